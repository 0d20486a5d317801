using System.Globalization;

namespace Konfido.Siem.Events;

/// <summary>Reads an event's time from <c>@timestamp</c>, <c>timestamp</c> or <c>time</c>.</summary>
public static class EventTime
{
    private static readonly string[] Fields = ["@timestamp", "timestamp", "time"];

    /// <summary>
    /// The event's time: an ISO 8601 string, or a number of Unix seconds (milliseconds when above
    /// 10^11). False if none of the fields holds a readable time.
    /// </summary>
    /// <param name="e">The event.</param>
    /// <param name="time">The time, in UTC.</param>
    public static bool TryGet(EventObject e, out DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(e);
        foreach (var field in Fields)
        {
            if (e.TryGet(field, out var value) && TryConvert(value, out time))
            {
                return true;
            }
        }

        time = default;
        return false;
    }

    /// <summary>Converts a JSON value (string or number) to a time.</summary>
    /// <param name="value">The value.</param>
    /// <param name="time">The time.</param>
    public static bool TryConvert(object? value, out DateTimeOffset time)
    {
        switch (value)
        {
            case string s when TryParseUtcFast(s, out time) || DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time):
                return true;
            case long l:
                time = l > 100_000_000_000L ? DateTimeOffset.FromUnixTimeMilliseconds(l) : DateTimeOffset.FromUnixTimeSeconds(l);
                return true;
            case double d when !double.IsNaN(d) && Math.Abs(d) < 1e15:
                time = d > 1e11 ? DateTimeOffset.FromUnixTimeMilliseconds((long)d) : DateTimeOffset.FromUnixTimeMilliseconds((long)(d * 1000));
                return true;
            default:
                time = default;
                return false;
        }
    }

    /// <summary>
    /// The common shape <c>yyyy-MM-ddTHH:mm:ss[.f{1,7}]Z</c> without the general parser (which gives
    /// the same result for it); false for anything else, which callers hand to the general parser.
    /// </summary>
    /// <param name="s">The text.</param>
    /// <param name="time">The time, in UTC.</param>
    internal static bool TryParseUtcFast(ReadOnlySpan<char> s, out DateTimeOffset time)
    {
        time = default;
        if (s.Length < 20 || s[^1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        {
            return false;
        }

        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
            || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        long fraction = 0;
        var fractionDigits = s.Length - 21;
        if (s.Length > 20)
        {
            if (s[19] != '.' || fractionDigits is < 1 or > 7 || !Digits(s, 20, fractionDigits, out var f))
            {
                return false;
            }

            fraction = f;
            for (var i = fractionDigits; i < 7; i++)
            {
                fraction *= 10;
            }
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        time = new DateTimeOffset(new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(fraction));
        return true;

        static bool Digits(ReadOnlySpan<char> text, int start, int count, out int value)
        {
            value = 0;
            for (var i = start; i < start + count; i++)
            {
                var d = text[i] - '0';
                if ((uint)d > 9)
                {
                    return false;
                }

                value = (value * 10) + d;
            }

            return true;
        }
    }

    /// <summary>Formats a time as ISO 8601 UTC with milliseconds.</summary>
    /// <param name="time">The time.</param>
    public static string Format(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return string.Create(24, utc, static (span, t) =>
        {
            Write(span, 0, t.Year, 4);
            span[4] = '-';
            Write(span, 5, t.Month, 2);
            span[7] = '-';
            Write(span, 8, t.Day, 2);
            span[10] = 'T';
            Write(span, 11, t.Hour, 2);
            span[13] = ':';
            Write(span, 14, t.Minute, 2);
            span[16] = ':';
            Write(span, 17, t.Second, 2);
            span[19] = '.';
            Write(span, 20, t.Millisecond, 3);
            span[23] = 'Z';
        });

        static void Write(Span<char> span, int at, int value, int digits)
        {
            for (var i = at + digits - 1; i >= at; i--)
            {
                span[i] = (char)('0' + (value % 10));
                value /= 10;
            }
        }
    }

    /// <summary><paramref name="text"/> itself if it is already a time in the form <see cref="Format"/> writes, else null.</summary>
    /// <param name="text">The text.</param>
    internal static string? AsCanonical(string text) =>
        text.Length == 24 && text[19] == '.' && TryParseUtcFast(text, out _) ? text : null;
}
