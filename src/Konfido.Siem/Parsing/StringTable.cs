using System.Collections.Concurrent;
using System.Text;

namespace Konfido.Siem.Parsing;

/// <summary>
/// Shares the string instances of short, recurring JSON names and values (<c>event</c>,
/// <c>category</c>, <c>success</c>, ...) between the events of one parser, so that parsing does not
/// allocate them again for every line. Bounded: once full it only hands out existing entries.
/// Thread-safe.
/// </summary>
internal sealed class StringTable
{
    /// <summary>The longest text (in UTF-8 bytes) that is shared.</summary>
    public const int MaxLength = 24;

    private const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);

    /// <summary>The shared string equal to the UTF-8 text <paramref name="utf8"/> (unescaped), or a new one.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        Span<char> chars = stackalloc char[MaxLength];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        var text = chars[..length];
        if (_strings.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out var shared))
        {
            return shared;
        }

        var created = new string(text);
        return _strings.Count < Capacity ? _strings.GetOrAdd(created, created) : created;
    }
}
