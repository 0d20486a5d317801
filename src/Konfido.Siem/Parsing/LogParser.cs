using System.Text.Json;
using Konfido.Siem.Events;

namespace Konfido.Siem.Parsing;

/// <summary>
/// Parses raw log lines (syslog, ATNA, CEF, FHIR AuditEvent, JSON) into normalised events. Never
/// throws for bad input: a line that does not parse becomes an event with <c>error.message</c>
/// and <c>event.original</c>. Patient identifiers are pseudonymised, also in <c>event.original</c>.
/// Thread-safe.
/// </summary>
public sealed class LogParser
{
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Parsed events hold about a dozen top-level members (log, event, host, process, message, ...).
    private const int RootCapacity = 16;

    private readonly LogFormat _format;
    private readonly PatientPseudonymiser _pseudonymiser;
    private readonly TimeProvider _time;

    /// <summary>Creates a parser. Requires a pseudonymiser.</summary>
    /// <param name="format">The expected format, or <see cref="LogFormat.Auto"/>.</param>
    /// <param name="pseudonymiser">Pseudonymises patient identifiers.</param>
    /// <param name="time">The clock (RFC 3164 timestamps carry no year); the system clock by default.</param>
    public LogParser(LogFormat format, PatientPseudonymiser pseudonymiser, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(pseudonymiser);
        _format = format;
        _pseudonymiser = pseudonymiser;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>True if the event records a parse failure (<c>error.message</c> is set).</summary>
    /// <param name="e">The event.</param>
    public static bool IsError(EventObject e) => e?.GetString("error.message") is not null;

    /// <summary>Parses one line. Requires a non-null line.</summary>
    /// <param name="line">The raw line (without its line terminator).</param>
    public EventObject Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var e = new EventObject(RootCapacity);
        var context = new ParseContext(_pseudonymiser);
        string? error;
        try
        {
            error = ParseInto(line, e, context);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException or InvalidOperationException or JsonException or IndexOutOfRangeException)
        {
            error = $"{_format.ToString().ToLowerInvariant()}: {ex.Message}";
        }

        if (error is not null)
        {
            // Keep nothing half-parsed: the original (scrubbed of what was recognised) and the error.
            e = new EventObject();
            e.Set("event.kind", "pipeline_error");
            e.Set("error.message", error);
            e.Set("event.module", _format.ToString().ToLowerInvariant());
        }

        context.Finish(e, line);
        return e;
    }

    private string? ParseInto(string line, EventObject e, ParseContext context)
    {
        var trimmed = line.TrimStart();
        if (trimmed.Length == 0)
        {
            return "empty line";
        }

        switch (_format)
        {
            case LogFormat.Syslog:
                return ParseSyslog(line, e, context);
            case LogFormat.Cef:
                return CefParser.TryParse(line, e, out var cefError) ? null : cefError;
            case LogFormat.Atna:
                return trimmed[0] == '<' && !LooksLikeSyslogPri(trimmed)
                    ? (AtnaParser.TryParse(trimmed, e, context, out var atnaError) ? null : atnaError)
                    : ParseSyslog(line, e, context, requireAtna: true);
            case LogFormat.Json:
                return ParseJson(trimmed, e, context);
            default:
                if (trimmed.StartsWith("CEF:", StringComparison.Ordinal))
                {
                    return CefParser.TryParse(trimmed, e, out var autoCef) ? null : autoCef;
                }

                if (trimmed[0] == '{')
                {
                    return ParseJson(trimmed, e, context);
                }

                if (trimmed[0] == '<' && !LooksLikeSyslogPri(trimmed))
                {
                    return AtnaParser.TryParse(trimmed, e, context, out var autoAtna) ? null : autoAtna;
                }

                return ParseSyslog(line, e, context);
        }
    }

    private static bool LooksLikeSyslogPri(string s)
    {
        var close = s.IndexOf('>', StringComparison.Ordinal);
        return close is > 1 and < 5 && s.AsSpan(1, close - 1).IndexOfAnyExceptInRange('0', '9') < 0;
    }

    private string? ParseSyslog(string line, EventObject e, ParseContext context, bool requireAtna = false)
    {
        if (!SyslogParser.TryParse(line, _time.GetUtcNow(), e, out var message, out var error))
        {
            return error;
        }

        var payload = message?.TrimStart() ?? string.Empty;
        if (payload.StartsWith('<'))
        {
            return AtnaParser.TryParse(payload, e, context, out var atnaError) ? null : atnaError;
        }

        if (requireAtna)
        {
            return "ATNA: the syslog message carries no AuditMessage XML";
        }

        if (payload.StartsWith("CEF:", StringComparison.Ordinal))
        {
            return CefParser.TryParse(payload, e, out var cefError) ? null : cefError;
        }

        if (payload.StartsWith('{'))
        {
            try
            {
                var json = ReadJsonObject(payload);
                if (IsFhirAuditEvent(json))
                {
                    using var document = JsonDocument.Parse(payload);
                    FhirAuditEventParser.Parse(document.RootElement, e, context);
                }
                else
                {
                    foreach (var (key, value) in json.Members)
                    {
                        e.Set(key, value);
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: the message stays as text.
            }
        }

        return null;
    }

    /// <summary>Parses a JSON object through a pooled UTF-8 buffer; <see cref="JsonException"/> if it is not one.</summary>
    private static EventObject ReadJsonObject(string text)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(StrictUtf8.GetMaxByteCount(text.Length));
        try
        {
            var length = StrictUtf8.GetBytes(text, buffer);
            return EventObject.ParseJsonUtf8(buffer.AsSpan(0, length));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>True for a FHIR AuditEvent (<c>resourceType</c>, the last one if repeated, is <c>AuditEvent</c>).</summary>
    private static bool IsFhirAuditEvent(EventObject json) =>
        json.TryGetMember("resourceType", out var type) && type is "AuditEvent";

    private static string? ParseJson(string text, EventObject e, ParseContext context)
    {
        EventObject json;
        try
        {
            json = ReadJsonObject(text);
        }
        catch (JsonException ex)
        {
            // The general parser tells the reason (including "not an object") the way users know it.
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return "JSON: the line is not an object";
                }
            }
            catch (JsonException detailed)
            {
                return $"JSON: {detailed.Message}";
            }

            return $"JSON: {ex.Message}";
        }

        if (IsFhirAuditEvent(json))
        {
            using var document = JsonDocument.Parse(text);
            FhirAuditEventParser.Parse(document.RootElement, e, context);
            return null;
        }

        foreach (var (key, value) in json.Members)
        {
            e.SetMember(key, value);
        }

        if (e.GetString("event.module") is null)
        {
            e.Set("event.module", "json");
        }

        // A clear patient identifier in a JSON event is replaced by its pseudonym.
        if (e.TryGet("patient.id", out var patientId) && EventObject.ScalarToString(patientId) is { Length: > 0 } clear)
        {
            e.Set("patient.pseudonym", context.Patient(clear));
            if (!e.RemoveMember("patient.id") && e.TryGetMember("patient", out var patient) && patient is EventObject nested)
            {
                nested.RemoveMember("id");
            }
        }

        return null;
    }
}
