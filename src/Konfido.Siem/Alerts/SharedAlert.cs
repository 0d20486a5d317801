using System.Globalization;
using System.Text.Json;
using Konfido.Core;
using Konfido.Siem.Parsing;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Alerts;

/// <summary>
/// An alert as one country shares it with the others (wire format <c>konfido.siem.alert/1</c>):
/// the rule, severity, country of origin, time window, count, group values and evidence
/// references, never raw events; a group value under a patient field is a pseudonym
/// (<see cref="PatientPseudonymiser.Prefix"/>) or null. Create one with <see cref="FromAlert"/>, read
/// one with <see cref="TryParse"/>, which checks every field strictly.
/// </summary>
/// <remarks>
/// The JSON form: <c>{"format":"konfido.siem.alert/1","id":..,"origin":"DK","rule":{"id":..,"title":..,"level":..},
/// "kind":"rule|correlation|anomaly","severity":..,"first_seen":..,"last_seen":..,"count":n,"group":{..},
/// "evidence":[..],"description":..}</c>; times are ISO 8601 UTC, levels are Sigma levels in lower case,
/// <c>description</c> may be absent or null. Unknown or repeated properties are rejected.
/// </remarks>
public sealed record SharedAlert
{
    /// <summary>The wire format name and version.</summary>
    public const string Format = "konfido.siem.alert/1";

    /// <summary>The largest document accepted, in bytes.</summary>
    public const int MaxDocumentBytes = 64 * 1024;

    /// <summary>The most evidence references a shared alert carries.</summary>
    public const int MaxEvidence = 100;

    /// <summary>The most group entries a shared alert carries.</summary>
    public const int MaxGroupEntries = 32;

    private static readonly string[] Levels = ["informational", "low", "medium", "high", "critical"];
    private static readonly string[] Kinds = ["rule", "correlation", "anomaly"];
    private static readonly HashSet<string> Properties = new(StringComparer.Ordinal)
    {
        "format", "id", "origin", "rule", "kind", "severity", "first_seen", "last_seen", "count", "group", "evidence", "description",
    };

    private SharedAlert()
    {
    }

    /// <summary>The alert's id at its origin (unique per origin).</summary>
    public required string Id { get; init; }

    /// <summary>The country code of the node that raised it.</summary>
    public required string Origin { get; init; }

    /// <summary>The rule (or detector) id.</summary>
    public required string RuleId { get; init; }

    /// <summary>The rule's title.</summary>
    public required string RuleTitle { get; init; }

    /// <summary>The rule's Sigma level.</summary>
    public required SigmaLevel RuleLevel { get; init; }

    /// <summary>What raised it.</summary>
    public required AlertKind Kind { get; init; }

    /// <summary>The alert's severity.</summary>
    public required SigmaLevel Severity { get; init; }

    /// <summary>The first occurrence.</summary>
    public required DateTimeOffset FirstSeen { get; init; }

    /// <summary>The last merged occurrence (not before <see cref="FirstSeen"/>).</summary>
    public required DateTimeOffset LastSeen { get; init; }

    /// <summary>How many occurrences were merged (at least 1).</summary>
    public required int Count { get; init; }

    /// <summary>The group values (correlation group-by or key event fields); pseudonyms only for patients.</summary>
    public required IReadOnlyDictionary<string, string?> Group { get; init; }

    /// <summary>References to the evidence events at the origin (ids, not contents).</summary>
    public required IReadOnlyList<string> Evidence { get; init; }

    /// <summary>A short explanation, or null.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// The shared form of a local alert: its first <see cref="MaxEvidence"/> evidence references,
    /// everything else as it is. Requires an alert raised here (not one received from a peer) that
    /// satisfies the wire rules; throws <see cref="ArgumentException"/> naming the rule it breaks
    /// (for example a clear patient identifier in its group).
    /// </summary>
    /// <param name="alert">The alert.</param>
    public static SharedAlert FromAlert(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (alert.ReceivedFrom is not null)
        {
            throw new ArgumentException($"alert {alert.Id} was received from {alert.ReceivedFrom}; only alerts raised here are shared", nameof(alert));
        }

        var shared = new SharedAlert
        {
            Id = alert.Id,
            Origin = alert.Node,
            RuleId = alert.RuleId,
            RuleTitle = alert.Title,
            RuleLevel = alert.Severity,
            Kind = alert.Kind,
            Severity = alert.Severity,
            FirstSeen = alert.FirstSeen,
            LastSeen = alert.LastSeen,
            Count = alert.Count,
            Group = new Dictionary<string, string?>(alert.Group, StringComparer.Ordinal),
            Evidence = alert.Evidence.Take(MaxEvidence).ToArray(),
            Description = alert.Description,
        };
        if (Validate(shared) is { } problem)
        {
            throw new ArgumentException($"alert {alert.Id} cannot be shared: {problem}", nameof(alert));
        }

        return shared;
    }

    /// <summary>The alert as stored at a receiving node: its origin kept, the delivering peer recorded.</summary>
    /// <param name="receivedFrom">The country of the peer that delivered it.</param>
    public Alert ToReceivedAlert(string receivedFrom)
    {
        ArgumentException.ThrowIfNullOrEmpty(receivedFrom);
        return new Alert
        {
            Id = StorageId(Origin, Id),
            RuleId = RuleId,
            Title = RuleTitle,
            Severity = Severity,
            Kind = Kind,
            Node = Origin,
            DeduplicationKey = "shared|" + StorageId(Origin, Id),
            FirstSeen = FirstSeen,
            LastSeen = LastSeen,
            Count = Count,
            Group = Group,
            Evidence = Evidence,
            Description = Description,
            ReceivedFrom = receivedFrom,
        };
    }

    /// <summary>The id under which an alert received from <paramref name="origin"/> is stored (one row per origin and id).</summary>
    /// <param name="origin">The country of origin.</param>
    /// <param name="id">The alert's id at its origin.</param>
    public static string StorageId(string origin, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(origin);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return origin + "/" + id; // local ids never contain '/', so the two never collide
    }

    /// <summary>The JSON wire form (UTF-8).</summary>
    public byte[] ToJsonBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteString("id", Id);
            writer.WriteString("origin", Origin);
            writer.WriteStartObject("rule");
            writer.WriteString("id", RuleId);
            writer.WriteString("title", RuleTitle);
            writer.WriteString("level", Levels[(int)RuleLevel]);
            writer.WriteEndObject();
            writer.WriteString("kind", Kinds[(int)Kind]);
            writer.WriteString("severity", Levels[(int)Severity]);
            writer.WriteString("first_seen", FormatTime(FirstSeen));
            writer.WriteString("last_seen", FormatTime(LastSeen));
            writer.WriteNumber("count", Count);
            writer.WriteStartObject("group");
            foreach (var (key, value) in Group.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
            writer.WriteStartArray("evidence");
            foreach (var reference in Evidence)
            {
                writer.WriteStringValue(reference);
            }

            writer.WriteEndArray();
            if (Description is not null)
            {
                writer.WriteString("description", Description);
            }

            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>
    /// Reads and checks a shared alert from untrusted input. False, with a one-line reason naming the
    /// offending field, for anything that is not exactly a valid <c>konfido.siem.alert/1</c> document.
    /// </summary>
    /// <param name="utf8Json">The document.</param>
    /// <param name="alert">The alert, when valid.</param>
    /// <param name="error">Why the document was refused, when not.</param>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, out SharedAlert? alert, out string? error)
    {
        alert = null;
        if (utf8Json.Length > MaxDocumentBytes)
        {
            error = $"the document is larger than {MaxDocumentBytes} bytes";
            return false;
        }

        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            error = "the document is not valid UTF-8";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
            alert = Read(document.RootElement, out error);
        }
        catch (JsonException ex)
        {
            error = "not valid JSON: " + ex.Message;
            return false;
        }

        if (alert is not null && Validate(alert) is { } problem)
        {
            alert = null;
            error = problem;
        }

        return alert is not null;
    }

    private static SharedAlert? Read(JsonElement root, out string? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "the document is not a JSON object";
            return null;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!Properties.Contains(property.Name))
            {
                error = $"unknown property '{Printable(property.Name)}'";
                return null;
            }

            if (!seen.Add(property.Name))
            {
                error = $"property '{property.Name}' appears twice";
                return null;
            }
        }

        if (String(root, "format", out error) is not { } format)
        {
            return null;
        }

        if (format != Format)
        {
            error = $"format: expected '{Format}', found '{Printable(format)}'";
            return null;
        }

        if (!root.TryGetProperty("rule", out var rule) || rule.ValueKind != JsonValueKind.Object)
        {
            error = "rule: missing or not an object";
            return null;
        }

        foreach (var property in rule.EnumerateObject())
        {
            if (property.Name is not ("id" or "title" or "level"))
            {
                error = $"rule: unknown property '{Printable(property.Name)}'";
                return null;
            }
        }

        if (rule.EnumerateObject().Count() != 3)
        {
            error = "rule: needs exactly 'id', 'title' and 'level'";
            return null;
        }

        string? id, origin, ruleId, title, levelText, kindText, severityText, first, last;
        if ((id = String(root, "id", out error)) is null || (origin = String(root, "origin", out error)) is null
            || (ruleId = String(rule, "id", out error, "rule.")) is null || (title = String(rule, "title", out error, "rule.")) is null
            || (levelText = String(rule, "level", out error, "rule.")) is null || (kindText = String(root, "kind", out error)) is null
            || (severityText = String(root, "severity", out error)) is null || (first = String(root, "first_seen", out error)) is null
            || (last = String(root, "last_seen", out error)) is null)
        {
            return null;
        }

        var level = Array.IndexOf(Levels, levelText);
        var severity = Array.IndexOf(Levels, severityText);
        var kind = Array.IndexOf(Kinds, kindText);
        if (level < 0 || severity < 0)
        {
            error = $"{(level < 0 ? "rule.level" : "severity")}: expected one of {string.Join(", ", Levels)}";
            return null;
        }

        if (kind < 0)
        {
            error = $"kind: expected one of {string.Join(", ", Kinds)}";
            return null;
        }

        if (!TryParseTime(first, out var firstSeen) || !TryParseTime(last, out var lastSeen))
        {
            error = $"{(TryParseTime(first, out _) ? "last_seen" : "first_seen")}: expected an ISO 8601 UTC time (…Z)";
            return null;
        }

        if (!root.TryGetProperty("count", out var countElement) || countElement.ValueKind != JsonValueKind.Number || !countElement.TryGetInt32(out var count))
        {
            error = "count: missing or not a 32-bit integer";
            return null;
        }

        if (!root.TryGetProperty("group", out var groupElement) || groupElement.ValueKind != JsonValueKind.Object)
        {
            error = "group: missing or not an object";
            return null;
        }

        var group = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var entry in groupElement.EnumerateObject())
        {
            if (entry.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                error = $"group.{Printable(entry.Name)}: expected a string or null";
                return null;
            }

            if (!group.TryAdd(entry.Name, entry.Value.GetString()))
            {
                error = $"group: '{Printable(entry.Name)}' appears twice";
                return null;
            }
        }

        if (!root.TryGetProperty("evidence", out var evidenceElement) || evidenceElement.ValueKind != JsonValueKind.Array)
        {
            error = "evidence: missing or not an array";
            return null;
        }

        var evidence = new List<string>();
        foreach (var item in evidenceElement.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                error = "evidence: every reference must be a string";
                return null;
            }

            evidence.Add(item.GetString()!);
        }

        string? description = null;
        if (root.TryGetProperty("description", out var descriptionElement) && descriptionElement.ValueKind != JsonValueKind.Null)
        {
            if (descriptionElement.ValueKind != JsonValueKind.String)
            {
                error = "description: expected a string or null";
                return null;
            }

            description = descriptionElement.GetString();
        }

        return new SharedAlert
        {
            Id = id,
            Origin = origin,
            RuleId = ruleId,
            RuleTitle = title,
            RuleLevel = (SigmaLevel)level,
            Kind = (AlertKind)kind,
            Severity = (SigmaLevel)severity,
            FirstSeen = firstSeen,
            LastSeen = lastSeen,
            Count = count,
            Group = group,
            Evidence = evidence,
            Description = description,
        };
    }

    /// <summary>The rules every shared alert keeps, whichever way it was made; null if it keeps them.</summary>
    private static string? Validate(SharedAlert a)
    {
        if (!IsToken(a.Id, 64))
        {
            return "id: 1 to 64 characters from A-Z a-z 0-9 . _ : -";
        }

        if (!CountryCode.TryParse(a.Origin, out var origin) || origin.Value != a.Origin)
        {
            return $"origin: expected a two-letter upper-case country code, found '{Printable(a.Origin)}'";
        }

        if (!IsText(a.RuleId, 128) || !IsText(a.RuleTitle, 256))
        {
            return $"rule.{(IsText(a.RuleId, 128) ? "title" : "id")}: 1 to {(IsText(a.RuleId, 128) ? 256 : 128)} characters without control characters";
        }

        if (a.LastSeen < a.FirstSeen)
        {
            return "last_seen: before first_seen";
        }

        if (a.Count < 1)
        {
            return "count: must be at least 1";
        }

        if (a.Group.Count > MaxGroupEntries)
        {
            return $"group: more than {MaxGroupEntries} entries";
        }

        foreach (var (key, value) in a.Group)
        {
            if (!IsFieldName(key))
            {
                return $"group: '{Printable(key)}' is not a field name (1 to 128 characters from A-Z a-z 0-9 . _ @ -)";
            }

            if (value is not null && !IsText(value, 256, allowEmpty: true))
            {
                return $"group.{key}: at most 256 characters without control characters";
            }

            if (key.Contains("patient", StringComparison.OrdinalIgnoreCase) && value is not null && !IsPseudonym(value))
            {
                return $"group.{key}: a patient field must hold a pseudonym ({PatientPseudonymiser.Prefix}…), never a clear identifier";
            }
        }

        if (a.Evidence.Count > MaxEvidence)
        {
            return $"evidence: more than {MaxEvidence} references";
        }

        if (a.Evidence.Any(r => !IsText(r, 128)))
        {
            return "evidence: every reference has 1 to 128 characters without control characters";
        }

        if (a.Description is not null && !IsText(a.Description, 1024, allowEmpty: true))
        {
            return "description: at most 1024 characters without control characters";
        }

        return null;
    }

    private static string? String(JsonElement parent, string name, out string? error, string prefix = "")
    {
        if (!parent.TryGetProperty(name, out var element))
        {
            error = $"{prefix}{name}: missing";
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"{prefix}{name}: expected a string";
            return null;
        }

        error = null;
        return element.GetString();
    }

    private static bool TryParseTime(string text, out DateTimeOffset time)
    {
        time = default;
        return text.EndsWith('Z') && DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"],
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }

    private static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static bool IsToken(string s, int max) =>
        s.Length is > 0 && s.Length <= max && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-');

    private static bool IsFieldName(string s) =>
        s.Length is > 0 and <= 128 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '-');

    private static bool IsText(string s, int max, bool allowEmpty = false) =>
        (allowEmpty || s.Length > 0) && s.Length <= max && !s.Any(char.IsControl);

    private static bool IsPseudonym(string s) =>
        s.StartsWith(PatientPseudonymiser.Prefix, StringComparison.Ordinal) && s.Length == PatientPseudonymiser.Prefix.Length + 32
        && s.AsSpan(PatientPseudonymiser.Prefix.Length).IndexOfAnyExcept("0123456789abcdef") < 0;

    private static string Printable(string s)
    {
        var cut = s.Length > 40 ? s[..40] + "…" : s;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
