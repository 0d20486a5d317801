using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Konfido.Fuzzing;

/// <summary>
/// Makes new inputs from a corpus: byte-level mutations (bit and byte flips, interesting integers, arithmetic,
/// insert/delete/duplicate/copy chunks, splicing two inputs, truncation, dictionary tokens) stacked with
/// structure-aware ones for the target's <see cref="InputShape"/>: lines (drop, duplicate, swap), numbers
/// (boundary values, longer digit runs), XML elements and attributes (drop, duplicate, move inside another
/// element, change values), JSON trees (drop, duplicate, retype and deeply nest values), YAML lines and
/// indentation, very deep nesting and huge strings. Deterministic: the same random state gives the same input.
/// </summary>
public sealed class Mutator
{
    private static readonly long[] InterestingIntegers =
        [0, 1, -1, 2, 7, 8, 16, 31, 32, 63, 64, 100, 127, 128, 255, 256, 1000, 1024, 4096, 32767, 32768, 65535, 65536,
         int.MaxValue, int.MinValue, (long)int.MaxValue + 1, uint.MaxValue, long.MaxValue, long.MinValue];

    private static readonly string[] InterestingNumbers =
        ["0", "-0", "-1", "1", "00", "0.0", "1e308", "-1e308", "1e-400", "NaN", "Infinity", "2147483647", "2147483648",
         "-2147483649", "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
         "99999999999999999999999999999999", "1.7976931348623157E+309", "0x7fffffff", "+5", "1_000", "٣"];

    private static readonly string[] GenericTokens =
        ["\0", "\r\n", "\n", "\t", " ", "\"", "'", "\\", "%", "%s", "%n", "{", "}", "[", "]", "<", ">", "&", ";", ":", ",",
         "=", "|", "\uFEFF", "\uFFFD", "\u202E", "\uD800", "é", "𝄞", "null", "true", "false", "-", "*", "?", "..", "/"];

    private readonly FuzzRandom _random;
    private readonly InputShape _shape;
    private readonly IReadOnlyList<string> _tokens;
    private readonly int _maxLength;

    /// <summary>Creates a mutator.</summary>
    /// <param name="random">The random source.</param>
    /// <param name="shape">The inputs' structure.</param>
    /// <param name="dictionary">Target-specific tokens.</param>
    /// <param name="maxLength">The largest input made (longer results are truncated). Requires &gt;= 16.</param>
    public Mutator(FuzzRandom random, InputShape shape, IReadOnlyList<string> dictionary, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(dictionary);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 16);
        _random = random;
        _shape = shape;
        _tokens = [.. dictionary, .. GenericTokens];
        _maxLength = maxLength;
    }

    /// <summary>Makes one new input from <paramref name="corpus"/> (1 to 4 stacked mutations). Requires a non-empty corpus.</summary>
    /// <param name="corpus">The inputs to start from.</param>
    public byte[] Mutate(IReadOnlyList<byte[]> corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfZero(corpus.Count);
        var data = corpus[_random.Next(corpus.Count)];
        var rounds = 1 + _random.Next(4);
        for (var i = 0; i < rounds; i++)
        {
            data = _shape != InputShape.Binary && _random.Next(3) != 0
                ? MutateStructure(data, corpus)
                : MutateBytes(data, corpus);
            if (data.Length > _maxLength)
            {
                data = data[.._maxLength];
            }
        }

        return data;
    }

    /// <summary>One byte-level mutation.</summary>
    /// <param name="input">The input (not modified).</param>
    /// <param name="corpus">Other inputs, for splicing.</param>
    public byte[] MutateBytes(byte[] input, IReadOnlyList<byte[]> corpus)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(corpus);
        var data = new List<byte>(input);
        if (data.Count == 0)
        {
            data.Add((byte)_random.Next(256));
        }

        switch (_random.Next(13))
        {
            case 0: // flip one bit
            {
                var i = _random.Next(data.Count);
                data[i] ^= (byte)(1 << _random.Next(8));
                break;
            }

            case 1: // random byte
                data[_random.Next(data.Count)] = (byte)_random.Next(256);
                break;
            case 2: // small arithmetic
            {
                var i = _random.Next(data.Count);
                data[i] = (byte)(data[i] + _random.Next(-35, 36));
                break;
            }

            case 3: // interesting integer, 1/2/4/8 bytes, either endianness
            {
                var width = 1 << _random.Next(4);
                var value = (ulong)_random.Pick(InterestingIntegers);
                var at = _random.Next(Math.Max(1, data.Count - width + 1));
                var bigEndian = _random.OneIn(2);
                for (var b = 0; b < width && at + b < data.Count; b++)
                {
                    var shift = 8 * (bigEndian ? width - 1 - b : b);
                    data[at + b] = (byte)(value >> shift);
                }

                break;
            }

            case 4: // insert random bytes
            {
                var bytes = new byte[_random.SmallLength(64)];
                _random.NextBytes(bytes);
                data.InsertRange(_random.Next(data.Count + 1), bytes);
                break;
            }

            case 5: // delete a chunk
            {
                var at = _random.Next(data.Count);
                data.RemoveRange(at, Math.Min(data.Count - at, _random.SmallLength(data.Count)));
                break;
            }

            case 6: // duplicate a chunk in place
            {
                var at = _random.Next(data.Count);
                var length = Math.Min(data.Count - at, _random.SmallLength(data.Count));
                data.InsertRange(at, data.GetRange(at, length));
                break;
            }

            case 7: // copy a chunk over another place
            {
                var from = _random.Next(data.Count);
                var length = Math.Min(data.Count - from, _random.SmallLength(data.Count));
                var chunk = data.GetRange(from, length);
                var to = _random.Next(data.Count);
                for (var b = 0; b < chunk.Count && to + b < data.Count; b++)
                {
                    data[to + b] = chunk[b];
                }

                break;
            }

            case 8: // splice with another input
            {
                var other = _random.Pick(corpus);
                var cut = _random.Next(data.Count + 1);
                var otherCut = other.Length == 0 ? 0 : _random.Next(other.Length + 1);
                data.RemoveRange(cut, data.Count - cut);
                data.AddRange(other.AsSpan(otherCut).ToArray());
                break;
            }

            case 9: // truncate
            {
                var keep = _random.Next(data.Count);
                data.RemoveRange(keep, data.Count - keep);
                break;
            }

            case 10: // insert a dictionary token
                data.InsertRange(_random.Next(data.Count + 1), Encoding.UTF8.GetBytes(_random.Pick(_tokens)));
                break;
            case 11: // overwrite with a dictionary token
            {
                var token = Encoding.UTF8.GetBytes(_random.Pick(_tokens));
                var at = _random.Next(data.Count);
                for (var b = 0; b < token.Length && at + b < data.Count; b++)
                {
                    data[at + b] = token[b];
                }

                break;
            }

            default: // swap two bytes
            {
                var a = _random.Next(data.Count);
                var b = _random.Next(data.Count);
                (data[a], data[b]) = (data[b], data[a]);
                break;
            }
        }

        return [.. data];
    }

    /// <summary>One structure-aware mutation for the mutator's shape (text shapes only).</summary>
    /// <param name="input">The input (not modified).</param>
    /// <param name="corpus">Other inputs, for splicing lines.</param>
    public byte[] MutateStructure(byte[] input, IReadOnlyList<byte[]> corpus)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(corpus);
        var text = Encoding.UTF8.GetString(input);
        var result = _random.Next(4) switch
        {
            0 => MutateLines(text, corpus),
            1 => MutateText(text),
            _ => _shape switch
            {
                InputShape.Xml => MutateXml(text),
                InputShape.Json => MutateJson(text),
                InputShape.Yaml => MutateYaml(text),
                _ => MutateText(text),
            },
        };
        return Encoding.UTF8.GetBytes(result);
    }

    private string MutateLines(string text, IReadOnlyList<byte[]> corpus)
    {
        var lines = new List<string>(text.Split('\n'));
        var a = _random.Next(lines.Count);
        var b = _random.Next(lines.Count);
        switch (_random.Next(5))
        {
            case 0:
                lines.RemoveAt(a);
                break;
            case 1:
                lines.Insert(a, lines[b]);
                break;
            case 2:
                (lines[a], lines[b]) = (lines[b], lines[a]);
                break;
            case 3: // a line from another input
            {
                var other = Encoding.UTF8.GetString(_random.Pick(corpus)).Split('\n');
                lines.Insert(a, _random.Pick(other));
                break;
            }

            default: // repeat a line many times
            {
                var copies = _random.SmallLength(2000);
                lines.InsertRange(a, Enumerable.Repeat(lines[b], copies));
                break;
            }
        }

        return string.Join('\n', lines);
    }

    private string MutateText(string text)
    {
        switch (_random.Next(5))
        {
            case 0: // replace a run of digits with a boundary number
            {
                var runs = DigitRuns(text);
                if (runs.Count > 0)
                {
                    var (start, length) = _random.Pick(runs);
                    return string.Concat(text.AsSpan(0, start), _random.Pick(InterestingNumbers), text.AsSpan(start + length));
                }

                return InsertAt(text, _random.Pick(InterestingNumbers));
            }

            case 1: // huge string
                return InsertAt(text, new string(_random.Pick("A\"\\<&%=|-[{ 9é".ToCharArray()), _random.OneIn(8) ? _random.SmallLength(200_000) : _random.SmallLength(2_000)));
            case 2: // a token somewhere
                return InsertAt(text, _random.Pick(_tokens));
            case 3: // repeat a short substring many times (pathological repetition)
            {
                if (text.Length == 0)
                {
                    return text;
                }

                var at = _random.Next(text.Length);
                var piece = text.Substring(at, Math.Min(text.Length - at, 1 + _random.Next(8)));
                return string.Concat(text.AsSpan(0, at), string.Concat(Enumerable.Repeat(piece, _random.SmallLength(5000))), text.AsSpan(at));
            }

            default: // deep nesting with the shape's brackets
            {
                var depth = Depth();
                var (open, close) = _random.Pick<(string, string)>([("[", "]"), ("{", "}"), ("(", ")"), ("<a>", "</a>"), ("- ", "")]);
                var at = text.Length == 0 ? 0 : _random.Next(text.Length);
                return string.Concat(text.AsSpan(0, at), Repeat(open, depth), Repeat(close, depth), text.AsSpan(at));
            }
        }
    }

    private string MutateXml(string text)
    {
        // The element scan is quadratic: big or deeply nested inputs get the generic text mutations.
        var elements = text.Length > 64 * 1024 ? [] : XmlElements(text);
        if (elements.Count == 0)
        {
            return MutateText(text);
        }

        var (start, length, name) = _random.Pick(elements);
        var element = text.Substring(start, length);
        switch (_random.Next(7))
        {
            case 0: // drop an element
                return text.Remove(start, length);
            case 1: // duplicate it next to itself
                return text.Insert(start + length, element);
            case 2: // move or copy it inside another element (signature wrapping)
            {
                var (otherStart, otherLength, _) = _random.Pick(elements);
                var inside = text.IndexOf('>', otherStart) + 1;
                if (inside <= 0 || inside > otherStart + otherLength)
                {
                    return text;
                }

                var copy = text.Insert(inside, element);
                return _random.OneIn(2) || (start >= otherStart && start < otherStart + otherLength) ? copy : copy.Remove(start + (start >= inside ? length : 0), length);
            }

            case 3: // change or drop an attribute value
            {
                var attributes = AttributeValues(text, start, text.IndexOf('>', start));
                if (attributes.Count == 0)
                {
                    return text;
                }

                var (valueStart, valueLength) = _random.Pick(attributes);
                var replacement = _random.Next(3) switch
                {
                    0 => _random.Pick(InterestingNumbers),
                    1 => _random.Pick(_tokens),
                    _ => "",
                };
                return string.Concat(text.AsSpan(0, valueStart), replacement, text.AsSpan(valueStart + valueLength));
            }

            case 4: // duplicate an attribute (or the whole start tag's attribute list)
            {
                var tagEnd = text.IndexOf('>', start);
                var nameEnd = start + 1 + name.Length;
                if (tagEnd < nameEnd)
                {
                    return text;
                }

                var attributes = text[nameEnd..tagEnd].TrimEnd('/');
                return text.Insert(tagEnd - (text[tagEnd - 1] == '/' ? 1 : 0), attributes);
            }

            case 5: // wrap the element in deep nesting
            {
                var depth = Depth();
                return text[..start] + Repeat($"<{name}>", depth) + element + Repeat($"</{name}>", depth) + text[(start + length)..];
            }

            default: // replace the element's content with entities, CDATA, comments or a DTD
            {
                var inside = text.IndexOf('>', start) + 1;
                var token = _random.Pick(["&amp;", "&#0;", "&#x10FFFF;", "&undefined;", "<![CDATA[]]>]]>", "<!-- -->", "<!DOCTYPE x [<!ENTITY e \"e\">]>", "<?xml version=\"1.0\"?>", "<x:y xmlns:x=\"\"/>"]);
                return inside <= 0 ? text : text.Insert(inside, token);
            }
        }
    }

    private string MutateJson(string text)
    {
        try
        {
            return MutateJsonTree(text);
        }
        catch (ArgumentException)
        {
            // Duplicate property names surface lazily, when the tree is walked.
            return MutateText(text);
        }
    }

    private string MutateJsonTree(string text)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException)
        {
            return MutateText(text);
        }

        if (root is null)
        {
            return MutateText(text);
        }

        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        if (nodes.Count == 0)
        {
            return MutateText(text);
        }

        var target = _random.Pick(nodes);
        var parent = target.Parent;
        switch (_random.Next(6))
        {
            case 0: // drop it
                if (parent is JsonObject o)
                {
                    o.Remove(target.GetPropertyName());
                }
                else if (parent is JsonArray a)
                {
                    a.Remove(target);
                }

                break;
            case 1: // duplicate an array element or copy a property under another name
                if (parent is JsonArray array)
                {
                    array.Insert(array.IndexOf(target), target.DeepClone());
                }
                else if (parent is JsonObject obj)
                {
                    obj[target.GetPropertyName() + _random.Pick(["", "_", "0", "X"])] = target.DeepClone();
                }

                break;
            default: // retype, nest or stretch
                var replacement = _random.Next(8) switch
                {
                    0 => (JsonNode?)JsonValue.Create(_random.Pick(InterestingIntegers)),
                    1 => JsonValue.Create(new string('A', _random.OneIn(8) ? _random.SmallLength(200_000) : _random.SmallLength(2_000))),
                    2 => null,
                    3 => JsonValue.Create(_random.OneIn(2)),
                    4 => new JsonObject(),
                    5 => new JsonArray(target.DeepClone()),
                    6 => JsonValue.Create(_random.Pick(_tokens)),
                    _ => JsonValue.Create(double.Parse(_random.Pick(["1e308", "-0", "0.5", "1e-300"]), System.Globalization.CultureInfo.InvariantCulture)),
                };
                if (parent is JsonObject po)
                {
                    po[target.GetPropertyName()] = replacement;
                }
                else if (parent is JsonArray pa)
                {
                    pa[pa.IndexOf(target)] = replacement;
                }
                else
                {
                    return _random.OneIn(2) ? Repeat("[", Depth()) + text : text + Repeat("]", 3);
                }

                break;
        }

        var written = root.ToJsonString();
        if (_random.OneIn(8))
        {
            // Deep nesting around a value: raw text, since the node API refuses depths over its limit.
            var colon = written.IndexOf(':', _random.Next(written.Length));
            if (colon > 0)
            {
                var depth = Depth();
                var end = written.IndexOfAny([',', '}'], colon);
                if (end > colon)
                {
                    written = written[..(colon + 1)] + Repeat("[", depth) + written[(colon + 1)..end] + Repeat("]", depth) + written[end..];
                }
            }
        }

        return written;
    }

    private string MutateYaml(string text)
    {
        var lines = new List<string>(text.Split('\n'));
        var i = _random.Next(lines.Count);
        switch (_random.Next(6))
        {
            case 0: // indent or dedent
                lines[i] = _random.OneIn(2) ? "  " + lines[i] : lines[i].TrimStart();
                break;
            case 1: // change a scalar after "key: " or "- "
            {
                var colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
                var prefix = colon >= 0 ? lines[i][..(colon + 2)] : lines[i].TrimStart().StartsWith('-') ? lines[i][..(lines[i].IndexOf('-') + 2 > lines[i].Length ? lines[i].Length : lines[i].IndexOf('-') + 2)] : lines[i];
                lines[i] = prefix + _random.Pick([.. InterestingNumbers, .. _tokens, "~", "[]", "{}", "|", ">", "&a", "*a", "!!binary", "!!int x", "<<: *a", "'", "\"\\u0000\""]);
                break;
            }

            case 2: // turn a scalar into a list or map
            {
                var colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
                if (colon >= 0)
                {
                    var indent = lines[i].Length - lines[i].TrimStart().Length;
                    var value = lines[i][(colon + 2)..];
                    lines[i] = lines[i][..(colon + 1)];
                    lines.Insert(i + 1, new string(' ', indent + 2) + (_random.OneIn(2) ? "- " + value : "k: " + value));
                }

                break;
            }

            case 3: // deep nesting (block or flow)
            {
                var depth = Depth();
                lines.Insert(i, _random.OneIn(2)
                    ? "x: " + Repeat("[", depth) + Repeat("]", depth)
                    : string.Join('\n', Enumerable.Range(0, Math.Min(depth, 400)).Select(d => new string(' ', d) + "k:")) + " v");
                break;
            }

            case 4: // an anchor and many aliases (alias expansion)
                lines.Insert(i, "a: &a [x, x, x, x, x, x, x, x]");
                lines.Insert(i + 1, "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]");
                lines.Insert(i + 2, "c: [*b, *b, *b, *b, *b, *b, *b, *b]");
                break;
            default: // a second document
                lines.Insert(i, _random.Pick(["---", "...", "%YAML 1.2", "%TAG ! tag:x:"]));
                break;
        }

        return string.Join('\n', lines);
    }

    private int Depth() => _random.Next(4) switch { 0 => 10 + _random.Next(60), 1 => 64 + _random.Next(200), 2 => 256 + _random.Next(1000), _ => 1000 + _random.Next(2000) };

    private string InsertAt(string text, string piece) => text.Insert(text.Length == 0 ? 0 : _random.Next(text.Length + 1), piece);

    private static string Repeat(string piece, int count) => new StringBuilder(piece.Length * count).Insert(0, piece, count).ToString();

    private static List<(int Start, int Length)> DigitRuns(string text)
    {
        var runs = new List<(int, int)>();
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                continue;
            }

            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            runs.Add((start, i - start));
        }

        return runs;
    }

    /// <summary>Start tags with their extent up to the matching end tag (a naive scan: good enough to mutate).</summary>
    private static List<(int Start, int Length, string Name)> XmlElements(string text)
    {
        var result = new List<(int, int, string)>();
        for (var i = text.IndexOf('<'); i >= 0 && result.Count < 400; i = text.IndexOf('<', i + 1))
        {
            var nameEnd = i + 1;
            while (nameEnd < text.Length && (char.IsLetterOrDigit(text[nameEnd]) || text[nameEnd] is ':' or '_' or '-' or '.'))
            {
                nameEnd++;
            }

            if (nameEnd == i + 1)
            {
                continue;
            }

            var name = text[(i + 1)..nameEnd];
            var tagEnd = text.IndexOf('>', nameEnd);
            if (tagEnd < 0)
            {
                break;
            }

            if (text[tagEnd - 1] == '/')
            {
                result.Add((i, tagEnd + 1 - i, name));
                continue;
            }

            var close = $"</{name}>";
            var open = $"<{name}";
            var depth = 1;
            var at = tagEnd + 1;
            var steps = 0;
            while (depth > 0 && ++steps < 64)
            {
                var nextClose = text.IndexOf(close, at, StringComparison.Ordinal);
                if (nextClose < 0)
                {
                    break;
                }

                var nextOpen = text.IndexOf(open, at, StringComparison.Ordinal);
                if (nextOpen >= 0 && nextOpen < nextClose)
                {
                    depth++;
                    at = nextOpen + open.Length;
                }
                else
                {
                    depth--;
                    at = nextClose + close.Length;
                }
            }

            if (depth == 0)
            {
                result.Add((i, at - i, name));
            }
        }

        return result;
    }

    private static List<(int Start, int Length)> AttributeValues(string text, int from, int to)
    {
        var result = new List<(int, int)>();
        if (to < 0)
        {
            return result;
        }

        for (var i = text.IndexOf("=\"", from, StringComparison.Ordinal); i >= 0 && i < to; i = text.IndexOf("=\"", i + 2, StringComparison.Ordinal))
        {
            var end = text.IndexOf('"', i + 2);
            if (end < 0 || end > to)
            {
                break;
            }

            result.Add((i + 2, end - i - 2));
        }

        return result;
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        if (nodes.Count >= 2000)
        {
            return;
        }

        if (node.Parent is not null)
        {
            nodes.Add(node);
        }

        switch (node)
        {
            case JsonObject o:
                foreach (var child in o.Select(p => p.Value).ToList())
                {
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }

                break;
        }
    }
}
