using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Konfido.Siem.Events;

/// <summary>
/// A normalised event: a nested JSON-like object. Values are <see cref="string"/>, <see cref="long"/>,
/// <see cref="double"/>, <see cref="bool"/>, <c>null</c>, a nested <see cref="EventObject"/> or an
/// <see cref="IList{T}"/> of such values. Keys are case-sensitive (ECS style, e.g. <c>event.action</c>
/// lives at <c>{"event":{"action":..}}</c>).
/// </summary>
public sealed class EventObject
{
    private FieldMap _fields;

    // True once a member name contains '.', which makes flat-key lookups necessary at this level.
    private bool _hasDottedKeys;

    /// <summary>Creates an empty object.</summary>
    public EventObject() => _fields = new FieldMap(4);

    internal EventObject(int capacity) => _fields = new FieldMap(capacity);

    /// <summary>True once a direct member name contains a dot (flat keys such as <c>"a.b"</c>).</summary>
    internal bool HasDottedKeys => _hasDottedKeys;

    /// <summary>The number of direct members.</summary>
    public int Count => _fields.Count;

    /// <summary>The direct members, in no guaranteed order.</summary>
    public IEnumerable<KeyValuePair<string, object?>> Members => _fields.AsEnumerable();

    /// <summary>Reads a direct member (no dotted-path interpretation).</summary>
    /// <param name="key">The member name.</param>
    /// <param name="value">The value.</param>
    public bool TryGetMember(string key, out object? value) => _fields.TryGetValue(key, out value);

    /// <summary>Sets a direct member (no dotted-path interpretation). Requires a valid value type.</summary>
    /// <param name="key">The member name.</param>
    /// <param name="value">The value.</param>
    public void SetMember(string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        _fields[key] = value;
        _hasDottedKeys |= key.Contains('.', StringComparison.Ordinal);
    }

    /// <summary>Removes a direct member; true if it existed.</summary>
    /// <param name="key">The member name.</param>
    public bool RemoveMember(string key) => _fields.Remove(key);

    /// <summary>
    /// Looks up a dotted path: first a flat key equal to the whole path, then the nested walk
    /// <c>a</c> → <c>b</c> → ..., also trying flat keys for the remaining suffix at each level.
    /// </summary>
    /// <param name="path">The path, e.g. <c>event.action</c>.</param>
    /// <param name="value">The value found (may be null when the field exists with a null value).</param>
    public bool TryGet(string path, out object? value)
    {
        ArgumentNullException.ThrowIfNull(path);
        return TryGet(path.AsSpan(), out value);
    }

    /// <summary>See <see cref="TryGet(string, out object?)"/>; no allocation.</summary>
    private bool TryGet(ReadOnlySpan<char> path, out object? value)
    {
        if (_fields.TryGetValue(path, out value))
        {
            return true;
        }

        var dot = path.IndexOf('.');
        while (dot > 0)
        {
            if (_fields.TryGetValue(path[..dot], out var child) && child is EventObject nested
                && nested.TryGet(path[(dot + 1)..], out value))
            {
                return true;
            }

            var next = path[(dot + 1)..].IndexOf('.');
            dot = next < 0 ? -1 : dot + 1 + next;
        }

        value = null;
        return false;
    }

    /// <summary>Looks up a path pre-split into segments (see <see cref="TryGet(string, out object?)"/>).</summary>
    /// <param name="path">The full dotted path.</param>
    /// <param name="segments">The path's segments.</param>
    /// <param name="suffixes">For each segment index i, the segments from i on joined with dots.</param>
    /// <param name="value">The value found.</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal bool TryGet(string path, string[] segments, string[] suffixes, out object? value)
    {
        // The nested walk; the general (flat and mixed keys) lookup only where an object has dotted keys.
        var current = this;
        for (var i = 0; i < segments.Length; i++)
        {
            if (current._hasDottedKeys)
            {
                return current.TryGet(suffixes[i], out value);
            }

            if (!current._fields.TryGetValue(segments[i], out var child))
            {
                value = null;
                return false;
            }

            if (i == segments.Length - 1)
            {
                value = child;
                return true;
            }

            if (child is not EventObject nested)
            {
                value = null;
                return false;
            }

            current = nested;
        }

        value = null;
        return false;
    }

    /// <summary>Reads a path as a string (numbers and booleans formatted invariantly); null if absent or not scalar.</summary>
    /// <param name="path">The dotted path.</param>
    public string? GetString(string path) => TryGet(path, out var v) ? ScalarToString(v) : null;

    /// <summary>Sets a dotted path, creating nested objects as needed (<c>a.b</c> → <c>{"a":{"b":..}}</c>).</summary>
    /// <param name="path">The dotted path.</param>
    /// <param name="value">The value; null values are stored as JSON null.</param>
    public void Set(string path, object? value)
    {
        ArgumentNullException.ThrowIfNull(path);
        var current = this;
        var start = 0;
        while (true)
        {
            var dot = path.IndexOf('.', start);
            if (dot < 0)
            {
                current._fields[start == 0 ? path : path[start..]] = value;
                return;
            }

            // Existing intermediate objects are found without allocating the segment's string.
            if (!current._fields.TryGetValue(path.AsSpan(start, dot - start), out var child) || child is not EventObject nested)
            {
                nested = new EventObject();
                current._fields[path[start..dot]] = nested;
            }

            current = nested;
            start = dot + 1;
        }
    }

    /// <summary>Sets a dotted path only when <paramref name="value"/> is not null or empty.</summary>
    /// <param name="path">The dotted path.</param>
    /// <param name="value">The value.</param>
    public void SetIfPresent(string path, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            Set(path, value);
        }
    }

    /// <summary>Formats a scalar invariantly; null for null, objects and arrays.</summary>
    /// <param name="value">The value.</param>
    public static string? ScalarToString(object? value) => value switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => null,
    };

    /// <summary>Visits every scalar leaf value (strings, numbers, booleans), depth first.</summary>
    /// <param name="visitor">Returns true to stop the walk.</param>
    /// <returns>True if the visitor stopped the walk.</returns>
    public bool VisitLeaves(Func<object, bool> visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        foreach (var pair in _fields)
        {
            if (VisitValue(pair.Value, visitor))
            {
                return true;
            }
        }

        return false;
    }

    private static bool VisitValue(object? value, Func<object, bool> visitor) => value switch
    {
        null => false,
        EventObject o => o.VisitLeaves(visitor),
        IList<object?> list => list.Any(item => VisitValue(item, visitor)),
        _ => visitor(value),
    };

    /// <summary>A deep copy.</summary>
    public EventObject Clone()
    {
        var copy = new EventObject(_fields.Count) { _hasDottedKeys = _hasDottedKeys };
        foreach (var pair in _fields)
        {
            copy._fields[pair.Key] = CloneValue(pair.Value);
        }

        return copy;
    }

    private static object? CloneValue(object? value) => value switch
    {
        EventObject o => o.Clone(),
        IList<object?> list => list.Select(CloneValue).ToList(),
        _ => value,
    };

    /// <summary>Parses a JSON object. Throws <see cref="JsonException"/> if <paramref name="json"/> is not one.</summary>
    /// <param name="json">The JSON text.</param>
    public static EventObject ParseJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("the JSON value is not an object");
        }

        return FromJson(document.RootElement);
    }

    /// <summary>
    /// Parses a JSON object from UTF-8 straight into an event (the same values as
    /// <see cref="ParseJson"/>, without building a <see cref="JsonDocument"/>). Throws
    /// <see cref="JsonException"/> if the text is not one JSON object.
    /// </summary>
    /// <param name="utf8">The UTF-8 JSON text.</param>
    internal static EventObject ParseJsonUtf8(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("the JSON value is not an object");
        }

        var result = ReadObject(ref reader);
        if (reader.Read())
        {
            throw new JsonException("unexpected data after the JSON object");
        }

        return result;
    }

    private static EventObject ReadObject(ref Utf8JsonReader reader)
    {
        var result = new EventObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            result._fields[name] = ReadValue(ref reader);
            result._hasDottedKeys |= name.Contains('.', StringComparison.Ordinal);
        }

        return result;
    }

    private static object? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                return ReadObject(ref reader);
            case JsonTokenType.StartArray:
                var list = new List<object?>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    list.Add(ReadValue(ref reader));
                }

                return list;
            case JsonTokenType.String:
                return reader.GetString()!;
            case JsonTokenType.Number:
                return reader.TryGetInt64(out var l) ? (object)l : reader.GetDouble(); // (object): else the conditional is a double
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            default:
                return null;
        }
    }

    /// <summary>Converts a JSON object element. Requires <paramref name="element"/> to be an object.</summary>
    /// <param name="element">The element.</param>
    public static EventObject FromJson(JsonElement element)
    {
        var result = new EventObject();
        foreach (var property in element.EnumerateObject())
        {
            result._fields[property.Name] = FromJsonValue(property.Value);
            result._hasDottedKeys |= property.Name.Contains('.', StringComparison.Ordinal);
        }

        return result;
    }

    private static object? FromJsonValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => FromJson(element),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJsonValue).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? (object)l : element.GetDouble(), // (object): else the conditional is a double
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>Writes this object as JSON.</summary>
    /// <param name="writer">The writer.</param>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        foreach (var pair in _fields)
        {
            writer.WritePropertyName(pair.Key);
            WriteValue(writer, pair.Value);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case long l: writer.WriteNumberValue(l); break;
            case int i: writer.WriteNumberValue(i); break;
            case double d: writer.WriteNumberValue(d); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case EventObject o: o.WriteTo(writer); break;
            case IEnumerable<object?> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    /// <summary>This object as compact JSON text.</summary>
    public string ToJson(bool indented = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = indented,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            WriteTo(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <inheritdoc />
    public override string ToString() => ToJson();
}
