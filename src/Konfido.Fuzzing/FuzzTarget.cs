using System.Text;

namespace Konfido.Fuzzing;

/// <summary>The structure of a target's inputs: picks the structure-aware mutators next to the byte-level ones.</summary>
public enum InputShape
{
    /// <summary>Opaque bytes (serialised binary objects).</summary>
    Binary,

    /// <summary>Free text, line oriented (log lines, signed notes, program text).</summary>
    Text,

    /// <summary>XML (SAML, ATNA).</summary>
    Xml,

    /// <summary>JSON (FHIR, trust lists, quotes).</summary>
    Json,

    /// <summary>YAML (Sigma rules, country policies).</summary>
    Yaml,
}

/// <summary>
/// One parser under test: its name, a seed corpus of valid inputs (made with the component's own writers)
/// and edge cases, and <see cref="Run"/>, which feeds one input to the parser and classifies the outcome.
/// </summary>
/// <remarks>
/// <see cref="Run"/> returns <see cref="FuzzOutcome.Accepted"/> or <see cref="FuzzOutcome.Rejected"/> when the
/// parser behaves as documented (a failed result, or one of its documented exceptions, caught by the target);
/// anything that escapes <see cref="Run"/> is a crash, including <see cref="FuzzInvariantException"/> for an
/// accepted input that breaks a property. Targets hold no mutable state once their seeds are made, so an
/// abandoned (hung) run cannot disturb the next one.
/// </remarks>
public abstract class FuzzTarget
{
    private IReadOnlyList<byte[]>? _seeds;

    /// <summary>The target's name (<c>konfido fuzz run --target NAME</c>).</summary>
    public abstract string Name { get; }

    /// <summary>One line: which parser, through which entry point.</summary>
    public abstract string Description { get; }

    /// <summary>The structure of the inputs.</summary>
    public virtual InputShape Shape => InputShape.Binary;

    /// <summary>Tokens worth inserting (keywords, delimiters, magic values).</summary>
    public virtual IReadOnlyList<string> Dictionary => [];

    /// <summary>The seed corpus (made once, on first use).</summary>
    public IReadOnlyList<byte[]> Seeds => _seeds ??= [.. CreateSeeds()];

    /// <summary>Feeds one input to the parser. Requires a non-null input. Throws only for a crash.</summary>
    /// <param name="input">The input bytes.</param>
    public abstract FuzzResult Run(byte[] input);

    /// <summary>Creates the seed corpus.</summary>
    protected abstract IEnumerable<byte[]> CreateSeeds();

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A target whose parser takes text: inputs are decoded as UTF-8 (invalid sequences become U+FFFD).</summary>
public abstract class TextFuzzTarget : FuzzTarget
{
    /// <inheritdoc />
    public override InputShape Shape => InputShape.Text;

    /// <inheritdoc />
    public sealed override FuzzResult Run(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Run(Encoding.UTF8.GetString(input));
    }

    /// <summary>Feeds one text to the parser. Throws only for a crash.</summary>
    /// <param name="text">The text.</param>
    protected abstract FuzzResult Run(string text);

    /// <summary>Creates the seed texts.</summary>
    protected abstract IEnumerable<string> CreateTextSeeds();

    /// <inheritdoc />
    protected sealed override IEnumerable<byte[]> CreateSeeds() => CreateTextSeeds().Select(Encoding.UTF8.GetBytes);
}
