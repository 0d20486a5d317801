using System.Security.Cryptography;

namespace Konfido.Custody.Crypto;

/// <summary>
/// A pinned byte array holding clear secret material (the GC never moves it, so no stale copy is
/// left behind by compaction), zeroised on <see cref="Dispose"/>.
/// </summary>
internal sealed class SecretBuffer : IDisposable
{
    private readonly byte[] _bytes;
    private bool _disposed;

    public SecretBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _bytes = GC.AllocateArray<byte>(length, pinned: true);
    }

    /// <summary>Copies <paramref name="source"/> into a new buffer.</summary>
    public static SecretBuffer CopyOf(ReadOnlySpan<byte> source)
    {
        var buffer = new SecretBuffer(source.Length);
        source.CopyTo(buffer._bytes);
        return buffer;
    }

    /// <summary>A buffer filled with cryptographically random bytes.</summary>
    public static SecretBuffer Random(int length)
    {
        var buffer = new SecretBuffer(length);
        RandomNumberGenerator.Fill(buffer._bytes);
        return buffer;
    }

    public int Length => _bytes.Length;

    /// <summary>True once the buffer was zeroised.</summary>
    public bool IsDisposed => _disposed;

    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    /// <summary>The underlying array, for APIs that only take arrays. Never keep it.</summary>
    public byte[] Array
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_bytes);
            _disposed = true;
        }
    }
}
