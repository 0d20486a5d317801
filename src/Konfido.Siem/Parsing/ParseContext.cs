using Konfido.Siem.Events;

namespace Konfido.Siem.Parsing;

/// <summary>Collects what a parser learnt while parsing one line: clear patient identifiers to scrub from the original.</summary>
internal sealed class ParseContext(PatientPseudonymiser pseudonymiser)
{
    private readonly List<(string Variant, string Replacement)> _secrets = [];

    public PatientPseudonymiser Pseudonymiser { get; } = pseudonymiser;

    /// <summary>Pseudonymises a patient identifier and remembers it (and its XML-escaped form) for scrubbing.</summary>
    public string Patient(string id)
    {
        Remember(id);
        return Pseudonymiser.Pseudonymise(id);
    }

    /// <summary>Remembers a personal value (e.g. a patient's name) that must not survive in the original.</summary>
    public void Remember(string value)
    {
        if (value.Length >= 2)
        {
            var replacement = Pseudonymiser.Pseudonymise(value);
            _secrets.Add((value, replacement));
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
