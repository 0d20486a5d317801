namespace Konfido.Core;

/// <summary>An ISO 3166-1 alpha-2 country code in upper case (e.g. <c>DK</c>, <c>ES</c>, <c>IT</c>).</summary>
public readonly record struct CountryCode
{
    /// <summary>The two upper-case letters.</summary>
    public string Value { get; }

    private CountryCode(string value) => Value = value;

    /// <summary>Parses a two-letter code, case-insensitively. Throws <see cref="FormatException"/> otherwise.</summary>
    /// <param name="text">The code, e.g. <c>dk</c>.</param>
    public static CountryCode Parse(string text) =>
        TryParse(text, out var code) ? code : throw new FormatException($"'{text}' is not a two-letter country code.");

    /// <summary>Parses a two-letter code, case-insensitively; false if <paramref name="text"/> is not one.</summary>
    /// <param name="text">The code.</param>
    /// <param name="code">The parsed code.</param>
    public static bool TryParse(string? text, out CountryCode code)
    {
        code = default;
        if (text is not { Length: 2 } || !char.IsAsciiLetter(text[0]) || !char.IsAsciiLetter(text[1]))
        {
            return false;
        }

        code = new CountryCode(text.ToUpperInvariant());
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
