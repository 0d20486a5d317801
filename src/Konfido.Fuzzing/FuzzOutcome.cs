namespace Konfido.Fuzzing;

/// <summary>How a target treated one input.</summary>
public enum FuzzOutcome
{
    /// <summary>The parser accepted the input (and every invariant the target checks held).</summary>
    Accepted,

    /// <summary>The parser refused the input in its documented way (a failed result, or a documented exception).</summary>
    Rejected,

    /// <summary>Anything else: an undocumented exception, a hang, or a violated invariant.</summary>
    Crash,
}

/// <summary>What a target returns for one input it did not crash on.</summary>
/// <param name="Outcome">Accepted or rejected (never <see cref="FuzzOutcome.Crash"/>: a crash is an exception).</param>
/// <param name="Reason">The parser's reason for a rejection, or null. New reasons feed the corpus.</param>
public readonly record struct FuzzResult(FuzzOutcome Outcome, string? Reason = null)
{
    /// <summary>An accepted input.</summary>
    public static FuzzResult Accept { get; } = new(FuzzOutcome.Accepted);

    /// <summary>A rejected input with the parser's reason.</summary>
    /// <param name="reason">Why it was rejected.</param>
    public static FuzzResult Reject(string? reason) => new(FuzzOutcome.Rejected, reason);
}

/// <summary>
/// Thrown by a target when the parser accepted an input but broke a property that must hold for every
/// accepted input (a re-serialisation that does not parse back, a signature verified over content that
/// was never signed). The fuzzer counts it as a crash.
/// </summary>
public sealed class FuzzInvariantException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="invariant">A short, stable name of the invariant (it is the crash signature).</param>
    /// <param name="detail">What was observed.</param>
    public FuzzInvariantException(string invariant, string detail)
        : base($"invariant '{invariant}' violated: {detail}")
    {
        Invariant = invariant;
    }

    /// <summary>Creates the exception.</summary>
    public FuzzInvariantException() => Invariant = "unnamed";

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public FuzzInvariantException(string message) : base(message) => Invariant = "unnamed";

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FuzzInvariantException(string message, Exception innerException) : base(message, innerException) => Invariant = "unnamed";

    /// <summary>The invariant's name.</summary>
    public string Invariant { get; }
}
