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
            case string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture,
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

    /// <summary>Formats a time as ISO 8601 UTC with milliseconds.</summary>
    /// <param name="time">The time.</param>
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
