namespace Konfido.Custody;

/// <summary>
/// The name of a key held in custody: 1 to 128 characters from <c>a-z A-Z 0-9 . _ - / :</c>
/// (e.g. <c>ledger/checkpoint</c>, <c>patient/7f3a…</c>). Per-patient keys should be named by a
/// pseudonym, never by the clear national identifier: key names appear in file listings.
/// </summary>
public readonly record struct CustodyKeyId
{
    /// <summary>The longest accepted name, in characters.</summary>
    public const int MaxLength = 128;

    private CustodyKeyId(string value) => Value = value;

    /// <summary>The name.</summary>
    public string Value { get; }

    /// <summary>Parses a key name. Throws <see cref="ArgumentException"/> explaining what is wrong.</summary>
    /// <param name="value">The name.</param>
    public static CustodyKeyId Parse(string value) =>
        TryParse(value, out var id, out var reason) ? id : throw new ArgumentException($"Invalid custody key id: {reason}", nameof(value));

    /// <summary>Parses a key name; false (with the reason) if it is not acceptable.</summary>
    /// <param name="value">The name.</param>
    /// <param name="id">The parsed id.</param>
    /// <param name="reason">Why <paramref name="value"/> was refused, or null.</param>
    public static bool TryParse(string? value, out CustodyKeyId id, out string? reason)
    {
        id = default;
        if (string.IsNullOrEmpty(value))
        {
            reason = "the id is empty";
            return false;
        }

        if (value.Length > MaxLength)
        {
            reason = $"the id is longer than {MaxLength} characters";
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-' or '/' or ':'))
            {
                reason = $"character '{c}' is not allowed (use a-z A-Z 0-9 . _ - / :)";
                return false;
            }
        }

        reason = null;
        id = new CustodyKeyId(value);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
