namespace Konfido.Siem.Sigma;

/// <summary>Thrown while compiling a rule that cannot be loaded; the message is the load report's reason.</summary>
public sealed class SigmaRuleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SigmaRuleException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    /// <param name="message">Why the rule cannot be loaded.</param>
    public SigmaRuleException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and a cause.</summary>
    /// <param name="message">Why the rule cannot be loaded.</param>
    /// <param name="inner">The cause.</param>
    public SigmaRuleException(string message, Exception inner) : base(message, inner)
    {
    }
}
