namespace Konfido.Puf.Keys;

/// <summary>Packs unpacked bits (one per byte) MSB-first into bytes and back.</summary>
public static class BitPacking
{
    /// <summary>Packs bits, first bit = MSB of byte 0; the last byte is zero-padded.</summary>
    /// <param name="bits">Bits, each 0 or 1.</param>
    public static byte[] Pack(ReadOnlySpan<byte> bits)
    {
        var packed = new byte[(bits.Length + 7) / 8];
        for (var i = 0; i < bits.Length; i++)
        {
            packed[i >> 3] |= (byte)((bits[i] & 1) << (7 - (i & 7)));
        }

        return packed;
    }

    /// <summary>Unpacks the first <paramref name="count"/> bits. Requires packed.Length &gt;= ceil(count/8).</summary>
    /// <param name="packed">The packed bytes.</param>
    /// <param name="count">How many bits.</param>
    public static byte[] Unpack(ReadOnlySpan<byte> packed, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (packed.Length * 8L < count)
        {
            throw new ArgumentException($"{packed.Length} bytes hold fewer than {count} bits", nameof(packed));
        }

        var bits = new byte[count];
        for (var i = 0; i < count; i++)
        {
            bits[i] = (byte)(packed[i >> 3] >> (7 - (i & 7)) & 1);
        }

        return bits;
    }

    /// <summary>The number of positions where two equally long bit vectors differ.</summary>
    /// <param name="a">Bits.</param>
    /// <param name="b">Bits of the same length.</param>
    public static int HammingDistance(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("the bit vectors differ in length", nameof(b));
        }

        var d = 0;
        for (var i = 0; i < a.Length; i++)
        {
            d += (a[i] ^ b[i]) & 1;
        }

        return d;
    }
}
