// The software backend: secret material protected at rest with AES-256-GCM (NIST SP 800-38D,
// 96-bit random nonces, 128-bit tags) under a 256-bit machine key; the associated data binds each
// blob to its purpose (key id and kind, or sealing parameters).
using System.Text;
using Konfido.Custody.Attestation;
using Konfido.Custody.Crypto;

namespace Konfido.Custody.Software;

internal sealed class SoftwareBackend(SecretBuffer machineKey) : ICustodyBackend
{
    private const byte BlobVersion = 0x01;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("konfido-custody-software/v1\0");

    public string Name => "software";

    public byte[]? HardwareAttestationKey => null;

    public byte[] Protect(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> context, NodeMeasurement? bindTo = null)
    {
        var ad = AssociatedData(context);
        var sealedBytes = KeyAlgorithms.Encrypt(machineKey.Span, secret, ad);
        var blob = new byte[1 + sealedBytes.Length];
        blob[0] = BlobVersion;
        sealedBytes.CopyTo(blob, 1);
        return blob;
    }

    public SecretBuffer? TryUnprotect(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> context, NodeMeasurement? current = null)
    {
        if (blob.Length < 1 + CustodyCiphertext.Overhead || blob[0] != BlobVersion)
        {
            return null;
        }

        var output = new SecretBuffer(blob.Length - 1 - CustodyCiphertext.Overhead);
        if (!KeyAlgorithms.TryDecrypt(machineKey.Span, blob[1..], AssociatedData(context), output.Span, out _))
        {
            output.Dispose();
            return null;
        }

        return output;
    }

    public bool HoldsKeys(CustodyKeyKind kind) => false;

    public byte[] CreateHeldKey(CustodyKeyKind kind, out byte[] publicKey) => throw new NotSupportedException();

    public byte[] SignDigestWithHeldKey(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> sha256Digest) => throw new NotSupportedException();

    public AttestationQuote? Quote(ReadOnlySpan<byte> nonce, NodeMeasurement measurement) => null;

    public void Dispose() => machineKey.Dispose();

    private static byte[] AssociatedData(ReadOnlySpan<byte> context)
    {
        var ad = new byte[Domain.Length + context.Length];
        Domain.CopyTo(ad, 0);
        context.CopyTo(ad.AsSpan(Domain.Length));
        return ad;
    }
}
