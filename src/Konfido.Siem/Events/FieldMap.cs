namespace Konfido.Siem.Events;

/// <summary>
/// The members of an <see cref="EventObject"/> (a mutable struct embedded in it): key/value pairs in
/// insertion order in one array, found by a linear scan while small (most event objects hold a
/// handful of members) and through a hash index once larger. One allocation per object instead of
/// a dictionary's three or more.
/// </summary>
internal struct FieldMap
{
    private const int IndexThreshold = 12;

    private KeyValuePair<string, object?>[] _entries;
    private int _count;
    private Dictionary<string, int>? _index;

    public FieldMap(int capacity) => _entries = new KeyValuePair<string, object?>[Math.Max(capacity, 2)];

    public readonly int Count => _count;

    public object? this[string key]
    {
        set
        {
            var i = IndexOf(key);
            if (i >= 0)
            {
                _entries[i] = new KeyValuePair<string, object?>(_entries[i].Key, value);
                return;
            }

            if (_count == _entries.Length)
            {
                Array.Resize(ref _entries, _count * 2);
            }

            _entries[_count] = new KeyValuePair<string, object?>(key, value);
            _index?.Add(key, _count);
            _count++;
            if (_index is null && _count > IndexThreshold)
            {
                _index = new Dictionary<string, int>(_count * 2, StringComparer.Ordinal);
                for (var k = 0; k < _count; k++)
                {
                    _index[_entries[k].Key] = k;
                }
            }
        }
    }

    public readonly bool TryGetValue(string key, out object? value)
    {
        var i = IndexOf(key);
        value = i >= 0 ? _entries[i].Value : null;
        return i >= 0;
    }

    public readonly bool TryGetValue(ReadOnlySpan<char> key, out object? value)
    {
        var i = -1;
        if (_index is not null)
        {
            if (_index.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var found))
            {
                i = found;
            }
        }
        else
        {
            for (var k = 0; k < _count; k++)
            {
                if (key.SequenceEqual(_entries[k].Key))
                {
                    i = k;
                    break;
                }
            }
        }

        value = i >= 0 ? _entries[i].Value : null;
        return i >= 0;
    }

    public bool Remove(string key)
    {
        var i = IndexOf(key);
        if (i < 0)
        {
            return false;
        }

        _count--;
        Array.Copy(_entries, i + 1, _entries, i, _count - i);
        _entries[_count] = default;
        if (_index is not null)
        {
            _index.Clear();
            for (var k = 0; k < _count; k++)
            {
                _index[_entries[k].Key] = k;
            }
        }

        return true;
    }

    public readonly Enumerator GetEnumerator() => new(_entries, _count);

    public readonly IEnumerable<KeyValuePair<string, object?>> AsEnumerable() => Enumerate(_entries, _count);

    private static IEnumerable<KeyValuePair<string, object?>> Enumerate(KeyValuePair<string, object?>[] entries, int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return entries[i];
        }
    }

    private readonly int IndexOf(string key)
    {
        if (_index is not null)
        {
            return _index.TryGetValue(key, out var found) ? found : -1;
        }

        var entries = _entries;
        for (var i = 0; i < _count; i++)
        {
            var k = entries[i].Key;
            if (ReferenceEquals(k, key) || (k.Length == key.Length && string.Equals(k, key, StringComparison.Ordinal)))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>An allocation-free enumerator over the members in insertion order.</summary>
    public struct Enumerator(KeyValuePair<string, object?>[] entries, int count)
    {
        private int _i = -1;

        public readonly KeyValuePair<string, object?> Current => entries[_i];

        public bool MoveNext() => ++_i < count;
    }
}
