namespace Konfido.Siem.Events;

/// <summary>
/// The members of an <see cref="EventObject"/>: keys and values in insertion order in two arrays,
/// found by a linear scan while small (most event objects hold a handful of members) and through a
/// hash index once larger. One or two allocations per object instead of a dictionary's three or more.
/// </summary>
internal sealed class FieldMap
{
    private const int IndexThreshold = 12;

    private string[] _keys;
    private object?[] _values;
    private int _count;
    private Dictionary<string, int>? _index;

    public FieldMap(int capacity)
    {
        capacity = Math.Max(capacity, 2);
        _keys = new string[capacity];
        _values = new object?[capacity];
    }

    public int Count => _count;

    public object? this[string key]
    {
        set
        {
            var i = IndexOf(key);
            if (i >= 0)
            {
                _values[i] = value;
                return;
            }

            if (_count == _keys.Length)
            {
                Array.Resize(ref _keys, _count * 2);
                Array.Resize(ref _values, _count * 2);
            }

            _keys[_count] = key;
            _values[_count] = value;
            _index?.Add(key, _count);
            _count++;
            if (_index is null && _count > IndexThreshold)
            {
                _index = new Dictionary<string, int>(_count * 2, StringComparer.Ordinal);
                for (var k = 0; k < _count; k++)
                {
                    _index[_keys[k]] = k;
                }
            }
        }
    }

    public bool TryGetValue(string key, out object? value)
    {
        var i = IndexOf(key);
        value = i >= 0 ? _values[i] : null;
        return i >= 0;
    }

    public bool TryGetValue(ReadOnlySpan<char> key, out object? value)
    {
        int i;
        if (_index is not null)
        {
            i = _index.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var found) ? found : -1;
        }
        else
        {
            i = -1;
            for (var k = 0; k < _count; k++)
            {
                if (key.SequenceEqual(_keys[k]))
                {
                    i = k;
                    break;
                }
            }
        }

        value = i >= 0 ? _values[i] : null;
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
        Array.Copy(_keys, i + 1, _keys, i, _count - i);
        Array.Copy(_values, i + 1, _values, i, _count - i);
        _keys[_count] = null!;
        _values[_count] = null;
        if (_index is not null)
        {
            _index.Clear();
            for (var k = 0; k < _count; k++)
            {
                _index[_keys[k]] = k;
            }
        }

        return true;
    }

    public Enumerator GetEnumerator() => new(this);

    public IEnumerable<KeyValuePair<string, object?>> AsEnumerable()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return new KeyValuePair<string, object?>(_keys[i], _values[i]);
        }
    }

    private int IndexOf(string key)
    {
        if (_index is not null)
        {
            return _index.TryGetValue(key, out var found) ? found : -1;
        }

        var keys = _keys;
        for (var i = 0; i < _count; i++)
        {
            var k = keys[i];
            if (ReferenceEquals(k, key) || (k.Length == key.Length && string.Equals(k, key, StringComparison.Ordinal)))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>An allocation-free enumerator over the members in insertion order.</summary>
    public struct Enumerator(FieldMap map)
    {
        private int _i = -1;

        public readonly KeyValuePair<string, object?> Current => new(map._keys[_i], map._values[_i]);

        public bool MoveNext() => ++_i < map._count;
    }
}
