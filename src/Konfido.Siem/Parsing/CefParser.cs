using System.Globalization;
using System.Text;
using Konfido.Siem.Events;

namespace Konfido.Siem.Parsing;

// ArcSight Common Event Format (Micro Focus, "Implementing ArcSight CEF", revision 25):
// CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension
// Header fields escape '|' and '\' with a backslash; extension values escape '=', '\' and encode
// newlines as \n or \r. Keys are alphanumeric; a value runs to the space before the next key.

/// <summary>Parses CEF into ECS-style fields; every extension is also kept under <c>cef.extensions</c>.</summary>
internal static class CefParser
{
    private static readonly Dictionary<string, (string Field, bool Numeric)> Mapping = new(StringComparer.Ordinal)
    {
        ["src"] = ("source.ip", false), ["dst"] = ("destination.ip", false),
        ["spt"] = ("source.port", true), ["dpt"] = ("destination.port", true),
        ["shost"] = ("source.domain", false), ["dhost"] = ("destination.domain", false),
        ["suser"] = ("source.user.name", false), ["duser"] = ("destination.user.name", false),
        ["act"] = ("event.action", false), ["outcome"] = ("event.outcome", false),
        ["request"] = ("url.original", false), ["requestMethod"] = ("http.request.method", false),
        ["requestClientApplication"] = ("user_agent.original", false), ["msg"] = ("message", false),
        ["app"] = ("network.protocol", false), ["proto"] = ("network.transport", false),
        ["fname"] = ("file.name", false), ["filePath"] = ("file.path", false),
        ["in"] = ("source.bytes", true), ["out"] = ("destination.bytes", true),
        ["cat"] = ("event.category", false), ["dvchost"] = ("observer.hostname", false),
        ["dvc"] = ("observer.ip", false), ["cn1"] = ("cef.cn1", true),
    };

    public static bool TryParse(string text, EventObject e, out string? error)
    {
        error = null;
        var start = text.IndexOf("CEF:", StringComparison.Ordinal);
        if (start < 0)
        {
            error = "CEF: no 'CEF:' header";
            return false;
        }

        var headers = new List<string>(7);
        var sb = new StringBuilder();
        var pos = start + 4;
        while (pos < text.Length && headers.Count < 7)
        {
            var c = text[pos];
            if (c == '\\' && pos + 1 < text.Length && text[pos + 1] is '|' or '\\')
            {
                sb.Append(text[pos + 1]);
                pos += 2;
            }
            else if (c == '|')
            {
                headers.Add(sb.ToString());
                sb.Clear();
                pos++;
            }
            else
            {
                sb.Append(c);
                pos++;
            }
        }

        if (headers.Count < 7)
        {
            error = $"CEF: expected 7 header fields before the extension, found {headers.Count}";
            return false;
        }

        e.Set("event.module", "cef");
        e.Set("cef.version", headers[0]);
        e.Set("observer.vendor", headers[1]);
        e.Set("observer.product", headers[2]);
        e.Set("observer.version", headers[3]);
        e.Set("event.code", headers[4]);
        e.Set("cef.name", headers[5]);
        e.Set("event.severity", headers[6]);
        var extensions = ParseExtension(text.AsSpan(pos));
        var ext = new EventObject();
        foreach (var (key, value) in extensions)
        {
            ext.SetMember(key, value);
            if (Mapping.TryGetValue(key, out var target))
            {
                if (target.Numeric && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                {
                    e.Set(target.Field, n);
                }
                else
                {
                    e.Set(target.Field, value);
                }
            }
        }

        e.Set("cef.extensions", ext);
        if (e.GetString("message") is null)
        {
            e.Set("message", headers[5]);
        }

        if (extensions.TryGetValue("suser", out var suser) || extensions.TryGetValue("duser", out suser))
        {
            e.Set("user.name", suser);
        }

        if (extensions.TryGetValue("rt", out var rt))
        {
            if (long.TryParse(rt, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                e.Set("@timestamp", EventTime.Format(DateTimeOffset.FromUnixTimeMilliseconds(ms)));
            }
            else if (DateTimeOffset.TryParse(rt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts))
            {
                e.Set("@timestamp", EventTime.Format(ts));
            }
        }

        return true;
    }

    /// <summary>Splits "k1=v1 k2=v two k3=v\=3" into keys and unescaped values.</summary>
    internal static Dictionary<string, string> ParseExtension(ReadOnlySpan<char> s)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        // Positions of unescaped '='.
        var equals = new List<int>();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\')
            {
                i++;
            }
            else if (s[i] == '=')
            {
                equals.Add(i);
            }
        }

        // A key is a run of key characters right before '=', at the start or after a space; an
        // '=' that does not follow such a key belongs to the preceding value.
        var keyStartList = new List<int>();
        var keyEquals = new List<int>();
        foreach (var eq in equals)
        {
            var ks = eq;
            while (ks > 0 && IsKeyChar(s[ks - 1]))
            {
                ks--;
            }

            if (ks < eq && (ks == 0 || s[ks - 1] == ' '))
            {
                keyStartList.Add(ks);
                keyEquals.Add(eq);
            }
        }

        var keyStarts = keyStartList.ToArray();
        equals = keyEquals;
        for (var k = 0; k < equals.Count; k++)
        {
            var key = s[keyStarts[k]..equals[k]].ToString();
            if (key.Length == 0)
            {
                continue;
            }

            var valueEnd = k + 1 < equals.Count ? keyStarts[k + 1] : s.Length;
            var raw = s[(equals[k] + 1)..valueEnd].TrimEnd(' ');
            result[key] = Unescape(raw);
        }

        return result;
    }

    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '[' or ']';

    private static string Unescape(ReadOnlySpan<char> raw)
    {
        if (raw.IndexOf('\\') < 0)
        {
            return raw.ToString();
        }

        var sb = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 1 < raw.Length)
            {
                var next = raw[++i];
                sb.Append(next switch { 'n' => '\n', 'r' => '\r', _ => next });
            }
            else
            {
                sb.Append(raw[i]);
            }
        }

        return sb.ToString();
    }
}
