using Konfido.Siem.Events;

namespace Konfido.Siem.Parsing;

/// <summary>Collects what a parser learnt while parsing one line: clear patient identifiers to scrub from the original.</summary>
internal sealed class ParseContext(PatientPseudonymiser pseudonymiser)
{
    // Characters neither XML nor JSON escaping changes.
    private static readonly System.Buffers.SearchValues<char> Plain =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._:");

    private readonly List<(string Variant, string Replacement)> _secrets = [];

    public PatientPseudonymiser Pseudonymiser { get; } = pseudonymiser;

    /// <summary>Pseudonymises a patient identifier and remembers it (and its XML-escaped form) for scrubbing.</summary>
    public string Patient(string id)
    {
        var pseudonym = Pseudonymiser.Pseudonymise(id);
        Remember(id, pseudonym);
        return pseudonym;
    }

    /// <summary>Remembers a personal value (e.g. a patient's name) that must not survive in the original.</summary>
    public void Remember(string value)
    {
        if (value.Length >= 2)
        {
            Remember(value, Pseudonymiser.Pseudonymise(value));
        }
    }

    private void Remember(string value, string replacement)
    {
        if (value.Length < 2)
        {
            return;
        }

        _secrets.Add((value, replacement));
        if (value.AsSpan().IndexOfAnyExcept(Plain) < 0)
        {
            return; // nothing that XML or JSON would escape
        }

        var escaped = System.Security.SecurityElement.Escape(value);
        if (escaped != value)
        {
            _secrets.Add((escaped, replacement));
        }

        var json = System.Text.Json.JsonSerializer.Serialize(value)[1..^1];
        if (json != value)
        {
            _secrets.Add((json, replacement));
        }
    }

    /// <summary>The original text with every remembered value replaced by its pseudonym or a redaction mark.</summary>
    public string Scrub(string original)
    {
        if (_secrets.Count == 0)
        {
            return original;
        }

        foreach (var (variant, replacement) in _secrets.OrderByDescending(s => s.Variant.Length))
        {
            original = original.Replace(variant, replacement, StringComparison.Ordinal);
        }

        return original;
    }

    public void Finish(EventObject e, string original)
    {
        e.Set("event.original", Scrub(original));
        if (_secrets.Count > 0 && e.GetString("message") is { } message)
        {
            e.Set("message", Scrub(message));
        }
    }
}
