using System.Security.Cryptography;

namespace Konfido.Puf.Protocol;

/// <summary>
/// Encrypts the node's stored PUF reference responses under a node key. The key custody component
/// backs this in deployments (sealed key, TPM or enclave); <see cref="AesGcmReferenceProtector"/> is the
/// software implementation.
/// </summary>
public interface IReferenceProtector
{
    /// <summary>Encrypts and authenticates <paramref name="plaintext"/> bound to <paramref name="associatedData"/>.</summary>
    /// <param name="plaintext">The reference response.</param>
    /// <param name="associatedData">Binds the blob to its device and challenge.</param>
    byte[] Protect(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData);

    /// <summary>Decrypts a blob from <see cref="Protect"/>; null if it was altered or bound to other data.</summary>
    /// <param name="protectedData">The blob.</param>
    /// <param name="associatedData">The same associated data as at protection.</param>
    byte[]? Unprotect(ReadOnlySpan<byte> protectedData, ReadOnlySpan<byte> associatedData);
}

/// <summary>AES-256-GCM reference protection with a node key held in memory (nonce ‖ ciphertext ‖ tag).</summary>
public sealed class AesGcmReferenceProtector : IReferenceProtector, IDisposable
{
    private readonly AesGcm _aes;

    /// <summary>Creates the protector. Requires a 32-byte key (copied; the caller zeroises its copy).</summary>
    /// <param name="key">The node key.</param>
    public AesGcmReferenceProtector(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("the node key must be 32 bytes", nameof(key));
        }

        _aes = new AesGcm(key, 16);
    }

    /// <inheritdoc />
    public byte[] Protect(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var blob = new byte[12 + plaintext.Length + 16];
        RandomNumberGenerator.Fill(blob.AsSpan(0, 12));
        _aes.Encrypt(blob.AsSpan(0, 12), plaintext, blob.AsSpan(12, plaintext.Length), blob.AsSpan(12 + plaintext.Length), associatedData);
        return blob;
    }

    /// <inheritdoc />
    public byte[]? Unprotect(ReadOnlySpan<byte> protectedData, ReadOnlySpan<byte> associatedData)
    {
        if (protectedData.Length < 28)
        {
            return null;
        }

        var plaintext = new byte[protectedData.Length - 28];
        try
        {
            _aes.Decrypt(protectedData[..12], protectedData.Slice(12, plaintext.Length), protectedData[^16..], plaintext, associatedData);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _aes.Dispose();
}
