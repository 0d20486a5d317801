using System.Buffers.Binary;
using System.Text;
using Konfido.He.Serialization;

namespace Konfido.He.Compiler.Runtime;

/// <summary>
/// Named binary blobs (keys, ciphertexts, clear outputs) in one transferable document:
/// "KHEB", a version byte, a count, then per entry a UTF-8 name and a payload, each length-prefixed.
/// </summary>
public sealed class HeBundle
{
    private static readonly byte[] Magic = "KHEB"u8.ToArray();
    private const byte Version = 1;
    private const int MaxEntries = 4096;
    private readonly Dictionary<string, byte[]> _entries = new(StringComparer.Ordinal);

    /// <summary>The entry names, in insertion-independent (ordinal) order.</summary>
    public IEnumerable<string> Names => _entries.Keys.Order(StringComparer.Ordinal);

    /// <summary>The number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>The payload of <paramref name="name"/>. Throws <see cref="KeyNotFoundException"/> if absent.</summary>
    public byte[] this[string name] => _entries[name];

    /// <summary>Sets an entry. Requires a non-empty name of at most 256 characters.</summary>
    public void Set(string name, byte[] payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(payload);
        if (name.Length > 256)
        {
            throw new ArgumentException("an entry name has at most 256 characters.", nameof(name));
        }

        _entries[name] = payload;
    }

    /// <summary>Whether <paramref name="name"/> is present.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The payload of <paramref name="name"/>, or null.</summary>
    public byte[]? Find(string name) => _entries.GetValueOrDefault(name);

    /// <summary>The bundle as bytes.</summary>
    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        stream.Write(Magic);
        stream.WriteByte(Version);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, _entries.Count);
        stream.Write(length);
        foreach (var name in Names)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            BinaryPrimitives.WriteInt32LittleEndian(length, nameBytes.Length);
            stream.Write(length);
            stream.Write(nameBytes);
            BinaryPrimitives.WriteInt32LittleEndian(length, _entries[name].Length);
            stream.Write(length);
            stream.Write(_entries[name]);
        }

        return stream.ToArray();
    }

    /// <summary>Reads a bundle. Throws <see cref="HeFormatException"/> saying what is wrong.</summary>
    public static HeBundle Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.Length < 9 || !data[..4].SequenceEqual(Magic))
        {
            throw new HeFormatException("not an HE bundle (bad magic).");
        }

        if (data[4] != Version)
        {
            throw new HeFormatException($"HE bundle version {data[4]} is not supported.");
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(data[5..]);
        if (count < 0 || count > MaxEntries)
        {
            throw new HeFormatException($"HE bundle claims {count} entries.");
        }

        var bundle = new HeBundle();
        int offset = 9;
        for (int i = 0; i < count; i++)
        {
            var name = Encoding.UTF8.GetString(Take(data, ref offset, 256));
            var payload = Take(data, ref offset, int.MaxValue).ToArray();
            if (name.Length == 0 || bundle.Contains(name))
            {
                throw new HeFormatException($"HE bundle entry {i} has an empty or repeated name.");
            }

            bundle._entries[name] = payload;
        }

        if (offset != data.Length)
        {
            throw new HeFormatException($"HE bundle has {data.Length - offset} trailing bytes.");
        }

        return bundle;
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int offset, int max)
    {
        if (offset + 4 > data.Length)
        {
            throw new HeFormatException("HE bundle is truncated.");
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(data[offset..]);
        offset += 4;
        // length > data.Length - offset, not offset + length > data.Length: the sum overflows for lengths near
        // int.MaxValue and the slice threw ArgumentOutOfRangeException (found by konfido fuzz).
        if (length < 0 || length > max || length > data.Length - offset)
        {
            throw new HeFormatException("HE bundle is truncated or has a bad length.");
        }

        var result = data.Slice(offset, length);
        offset += length;
        return result;
    }
}
