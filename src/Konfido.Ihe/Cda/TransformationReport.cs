namespace Konfido.Ihe.Cda;

/// <summary>How an element fared in a transformation.</summary>
public enum TransformationIssueKind
{
    /// <summary>The element was not carried into the target at all.</summary>
    Unmapped,

    /// <summary>The element was carried, but something was lost or guessed (a code system without a known counterpart, free text for a code).</summary>
    Lossy,

    /// <summary>Something the reader should know, nothing lost (a required section added empty).</summary>
    Info,
}

/// <summary>One element the transformation could not carry faithfully.</summary>
/// <param name="Kind">Unmapped, lossy or informational.</param>
/// <param name="Location">Where in the source (a CDA path or a FHIR resource and element).</param>
/// <param name="Message">What happened.</param>
public sealed record TransformationIssue(TransformationIssueKind Kind, string Location, string Message);

/// <summary>
/// What a transformation did not carry: every element it skipped or carried with loss is listed here,
/// never dropped silently. <see cref="MappedEntries"/> counts the clinical entries that were mapped.
/// </summary>
public sealed class TransformationReport
{
    private readonly List<TransformationIssue> _issues = [];

    /// <summary>The issues, in source order.</summary>
    public IReadOnlyList<TransformationIssue> Issues => _issues;

    /// <summary>The clinical entries mapped (resources created, or CDA entries written).</summary>
    public int MappedEntries { get; private set; }

    /// <summary>True when nothing was left out (lossy and informational issues may remain).</summary>
    public bool IsComplete => !_issues.Any(i => i.Kind == TransformationIssueKind.Unmapped);

    internal void Unmapped(string location, string message) => _issues.Add(new(TransformationIssueKind.Unmapped, location, message));

    internal void Lossy(string location, string message) => _issues.Add(new(TransformationIssueKind.Lossy, location, message));

    internal void Info(string location, string message) => _issues.Add(new(TransformationIssueKind.Info, location, message));

    internal void Mapped() => MappedEntries++;

    internal void Merge(TransformationReport other)
    {
        _issues.AddRange(other._issues);
        MappedEntries += other.MappedEntries;
    }
}

/// <summary>A transformed document with its report.</summary>
/// <typeparam name="T">The target type.</typeparam>
/// <param name="Value">The result.</param>
/// <param name="Report">What was not carried faithfully.</param>
public sealed record TransformationResult<T>(T Value, TransformationReport Report);

/// <summary>A source document the transformer cannot read at all (not CDA, not an eHDSI class, no patient).</summary>
public sealed class CdaFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public CdaFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CdaFormatException() : base("The document is not an eHDSI CDA document.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">The cause.</param>
    public CdaFormatException(string message, Exception inner) : base(message, inner)
    {
    }
}
