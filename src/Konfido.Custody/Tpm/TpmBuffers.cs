// Big-endian marshalling of TPM 2.0 structures (TCG TPM 2.0 Library, Part 1 §18 "Command/Response
// structure": every integer is big-endian; a TPM2B is a 16-bit size followed by that many bytes).
using System.Buffers.Binary;

namespace Konfido.Custody.Tpm;

/// <summary>Builds a big-endian TPM byte stream.</summary>
internal sealed class TpmWriter
{
    private byte[] _buffer = new byte[256];
    private int _length;

    public int Length => _length;

    public TpmWriter U8(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
        return this;
    }

    public TpmWriter U16(ushort value)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
        return this;
    }

    public TpmWriter U32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
        return this;
    }

    public TpmWriter Bytes(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
        return this;
    }

    /// <summary>A TPM2B: 16-bit size, then the bytes.</summary>
    public TpmWriter Sized(ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentException("A TPM2B holds at most 65535 bytes.", nameof(value));
        }

        return U16((ushort)value.Length).Bytes(value);
    }

    /// <summary>A TPM2B wrapping what <paramref name="inner"/> writes.</summary>
    public TpmWriter Sized(Action<TpmWriter> inner)
    {
        var nested = new TpmWriter();
        inner(nested);
        Sized(nested.AsSpan());
        nested.Clear(); // it may have held sensitive data (TPMS_SENSITIVE_CREATE)
        return this;
    }

    /// <summary>Overwrites 4 bytes at <paramref name="offset"/> (e.g. the command size).</summary>
    public void PatchU32(int offset, uint value) => BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(offset, 4), value);

    public ReadOnlySpan<byte> AsSpan() => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => AsSpan().ToArray();

    /// <summary>Zeroes the buffer (it may have held sensitive data).</summary>
    public void Clear()
    {
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_buffer);
        _length = 0;
    }

    private void Ensure(int extra)
    {
        if (_length + extra > _buffer.Length)
        {
            var bigger = new byte[Math.Max(_buffer.Length * 2, _length + extra)];
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(_buffer);
            _buffer = bigger;
        }
    }
}

/// <summary>Reads a big-endian TPM byte stream; malformed input throws <see cref="TpmFormatException"/>.</summary>
internal ref struct TpmReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public TpmReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public readonly int Position => _position;

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new TpmFormatException($"TPM structure truncated: wanted {count} bytes at offset {_position}, {Remaining} left.");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>A TPM2B's contents.</summary>
    public ReadOnlySpan<byte> Sized() => Take(U16());
}

/// <summary>A TPM structure that does not parse.</summary>
internal sealed class TpmFormatException(string message) : Exception(message);
