using System.Globalization;
using System.Text;
using Konfido.Siem.Events;

namespace Konfido.Siem.Parsing;

// Syslog: RFC 5424 section 6 (HEADER, STRUCTURED-DATA with '\"', '\\' and '\]' escapes in
// PARAM-VALUE, MSG with optional UTF-8 BOM) and the BSD format described in RFC 3164 section 4.1
// (PRI, "Mmm dd hh:mm:ss", HOSTNAME, TAG[pid]: CONTENT). Lines without PRI (log files such as
// auth.log) are read as RFC 3164 with the default priority 13 (user.notice).

/// <summary>Parses syslog lines into ECS-style fields under <c>log.syslog.*</c>, <c>host.*</c>, <c>process.*</c>, <c>message</c>.</summary>
internal static class SyslogParser
{
    private static readonly string[] Severities = ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"];

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>Parses a syslog line; false with a reason if it is not syslog.</summary>
    public static bool TryParse(string line, DateTimeOffset now, EventObject e, out string? message, out string? error)
    {
        message = null;
        error = null;
        var span = line.AsSpan();
        var pri = 13;
        var pos = 0;
        var hasPri = false;
        if (span.Length > 2 && span[0] == '<')
        {
            var close = span[..Math.Min(span.Length, 6)].IndexOf('>');
            if (close < 2 || !int.TryParse(span[1..close], NumberStyles.None, CultureInfo.InvariantCulture, out pri) || pri > 191)
            {
                error = "syslog: invalid PRI";
                return false;
            }

            pos = close + 1;
            hasPri = true;
        }

        e.Set("log.syslog.priority", (long)pri);
        e.Set("log.syslog.facility.code", (long)(pri / 8));
        e.Set("log.syslog.severity.code", (long)(pri % 8));
        e.Set("log.syslog.severity.name", Severities[pri % 8]);
        e.Set("event.module", "syslog");

        if (hasPri && line.Length - pos > 2 && char.IsAsciiDigit(line[pos]) && line[pos + 1] == ' ')
        {
            return TryParse5424(line, pos, e, out message, out error);
        }

        return TryParse3164(line[pos..], now, e, out message, out error);
    }

    /// <summary>RFC 5424 from <paramref name="start"/> (just after PRI) to the end of <paramref name="s"/>.</summary>
    private static bool TryParse5424(string s, int start, EventObject e, out string? message, out string? error)
    {
        message = null;
        error = null;
        var fields = new string[6];
        var pos = start;
        for (var i = 0; i < 6; i++)
        {
            var space = s.IndexOf(' ', pos);
            if (space < 0)
            {
                if (i == 5)
                {
                    fields[i] = s[pos..];
                    pos = s.Length;
                    break;
                }

                error = "syslog RFC 5424: truncated header";
                return false;
            }

            fields[i] = s[pos..space];
            pos = space + 1;
        }

        e.Set("log.syslog.version", long.Parse(fields[0], CultureInfo.InvariantCulture));
        if (fields[1] != "-")
        {
            if (EventTime.AsCanonical(fields[1]) is { } canonical)
            {
                e.Set("@timestamp", canonical);
            }
            else if (!DateTimeOffset.TryParse(fields[1], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var ts))
            {
                error = $"syslog RFC 5424: invalid TIMESTAMP '{fields[1]}'";
                return false;
            }
            else
            {
                e.Set("@timestamp", EventTime.Format(ts));
            }
        }

        SetNil(e, "host.hostname", fields[2]);
        SetNil(e, "host.name", fields[2]);
        SetNil(e, "log.syslog.hostname", fields[2]);
        SetNil(e, "log.syslog.appname", fields[3]);
        SetNil(e, "process.name", fields[3]);
        SetNil(e, "log.syslog.procid", fields[4]);
        if (long.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            e.Set("process.pid", pid);
        }

        SetNil(e, "log.syslog.msgid", fields[5]);

        // STRUCTURED-DATA
        if (pos < s.Length)
        {
            if (s[pos] == '-')
            {
                pos++;
            }
            else if (s[pos] == '[')
            {
                var sd = new EventObject();
                while (pos < s.Length && s[pos] == '[')
                {
                    if (!TryParseElement(s, ref pos, sd, out error))
                    {
                        return false;
                    }
                }

                e.Set("log.syslog.structured_data", sd);
            }
            else
            {
                error = "syslog RFC 5424: invalid STRUCTURED-DATA";
                return false;
            }

            if (pos < s.Length && s[pos] == ' ')
            {
                pos++;
            }

            if (pos < s.Length)
            {
                message = s[pos..].TrimStart('\uFEFF');
            }
        }

        if (message is not null)
        {
            e.Set("message", message);
        }

        return true;
    }

    private static bool TryParseElement(string s, ref int pos, EventObject sd, out string? error)
    {
        error = null;
        pos++; // '['
        var start = pos;
        while (pos < s.Length && s[pos] is not ' ' and not ']')
        {
            pos++;
        }

        if (pos >= s.Length)
        {
            error = "syslog RFC 5424: unterminated SD-ELEMENT";
            return false;
        }

        var id = s[start..pos];
        var element = new EventObject();
        sd.SetMember(id, element);
        while (pos < s.Length && s[pos] == ' ')
        {
            pos++;
            var eq = s.IndexOf('=', pos);
            if (eq < 0 || eq + 1 >= s.Length || s[eq + 1] != '"')
            {
                error = $"syslog RFC 5424: malformed SD-PARAM in [{id}]";
                return false;
            }

            var name = s[pos..eq];
            pos = eq + 2;
            var value = new StringBuilder();
            while (true)
            {
                if (pos >= s.Length)
                {
                    error = $"syslog RFC 5424: unterminated PARAM-VALUE in [{id}]";
                    return false;
                }

                var c = s[pos];
                if (c == '\\' && pos + 1 < s.Length && s[pos + 1] is '"' or '\\' or ']')
                {
                    value.Append(s[pos + 1]);
                    pos += 2;
                }
                else if (c == '"')
                {
                    pos++;
                    break;
                }
                else
                {
                    value.Append(c);
                    pos++;
                }
            }

            element.SetMember(name, value.ToString());
        }

        if (pos >= s.Length || s[pos] != ']')
        {
            error = $"syslog RFC 5424: missing ']' after [{id}]";
            return false;
        }

        pos++;
        return true;
    }

    private static bool TryParse3164(string s, DateTimeOffset now, EventObject e, out string? message, out string? error)
    {
        message = null;
        error = null;
        // "Mmm dd hh:mm:ss " = 16 characters; day is space-padded.
        if (s.Length < 16 || Array.IndexOf(Months, s[..3]) < 0 || s[3] != ' ' || s[15] != ' ')
        {
            error = "syslog: neither RFC 5424 nor RFC 3164 (no 'Mmm dd hh:mm:ss' timestamp)";
            return false;
        }

        var month = Array.IndexOf(Months, s[..3]) + 1;
        if (!int.TryParse(s.AsSpan(4, 2).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var day)
            || !TimeSpan.TryParseExact(s.AsSpan(7, 8), "hh\\:mm\\:ss", CultureInfo.InvariantCulture, out var time)
            || day is < 1 or > 31)
        {
            error = "syslog RFC 3164: invalid timestamp";
            return false;
        }

        // RFC 3164 omits the year: take the current one, or last year if that would lie in the future.
        var year = now.UtcDateTime.Year;
        if (day > DateTime.DaysInMonth(year, month))
        {
            error = "syslog RFC 3164: invalid date";
            return false;
        }

        var ts = new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero) + time;
        if (ts > now.AddDays(1) && day <= DateTime.DaysInMonth(year - 1, month))
        {
            ts = ts.AddYears(-1);
        }

        e.Set("@timestamp", EventTime.Format(ts));
        var rest = s[16..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        var first = space < 0 ? rest : rest[..space];
        var hasHost = space > 0 && !first.EndsWith(':') && !first.Contains('[', StringComparison.Ordinal);
        if (hasHost)
        {
            e.Set("host.hostname", first);
            e.Set("host.name", first);
            e.Set("log.syslog.hostname", first);
            rest = rest[(space + 1)..];
        }

        // TAG: up to 32 alphanumeric characters, optional [pid], then ':'.
        var colon = rest.IndexOf(": ", StringComparison.Ordinal);
        var tagEnd = colon >= 0 && colon <= 48 ? colon : -1;
        if (tagEnd > 0)
        {
            var tag = rest[..tagEnd];
            var bracket = tag.IndexOf('[', StringComparison.Ordinal);
            var app = bracket > 0 ? tag[..bracket] : tag;
            if (!app.Contains(' ', StringComparison.Ordinal))
            {
                e.Set("log.syslog.appname", app);
                e.Set("process.name", app);
                if (bracket > 0 && tag.EndsWith(']') &&
                    long.TryParse(tag.AsSpan(bracket + 1, tag.Length - bracket - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    e.Set("process.pid", pid);
                    e.Set("log.syslog.procid", pid.ToString(CultureInfo.InvariantCulture));
                }

                rest = rest[(tagEnd + 2)..];
            }
        }

        message = rest;
        e.Set("message", message);
        SshdExtractor.Extract(e, message);
        return true;
    }

    private static void SetNil(EventObject e, string path, string value)
    {
        if (value != "-")
        {
            e.Set(path, value);
        }
    }
}

/// <summary>Extracts user, source address and outcome from the common OpenSSH log lines.</summary>
internal static class SshdExtractor
{
    private static readonly (string Prefix, string Outcome)[] Prefixes =
    [
        ("Failed password for invalid user ", "failure"), ("Failed password for ", "failure"),
        ("Accepted password for ", "success"), ("Accepted publickey for ", "success"),
        ("Invalid user ", "failure"),
    ];

    public static void Extract(EventObject e, string message)
    {
        if (e.GetString("process.name") != "sshd")
        {
            return;
        }

        string? outcome = null;
        var rest = message;
        foreach (var (prefix, result) in Prefixes)
        {
            if (message.StartsWith(prefix, StringComparison.Ordinal))
            {
                outcome = result;
                rest = message[prefix.Length..];
                break;
            }
        }

        if (outcome is null)
        {
            return;
        }

        var parts = rest.Split(' ');
        e.Set("event.category", "authentication");
        e.Set("event.action", "ssh_login");
        e.Set("event.outcome", outcome);
        if (parts.Length > 0)
        {
            e.Set("user.name", parts[0]);
        }

        var from = Array.IndexOf(parts, "from");
        if (from >= 0 && from + 1 < parts.Length)
        {
            e.Set("source.ip", parts[from + 1]);
        }

        var port = Array.IndexOf(parts, "port");
        if (port >= 0 && port + 1 < parts.Length && long.TryParse(parts[port + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p))
        {
            e.Set("source.port", p);
        }
    }
}
