// The TPM 2.0 backend.
// - Secret material is protected by envelope sealing: a fresh 256-bit AES key is sealed into a TPM
//   keyed-hash data object (TPM2_Create under the storage primary, at most 128 bytes of sensitive
//   data, Part 3 §12.1) and the material is encrypted under it with AES-256-GCM (SP 800-38D), the
//   context as associated data. Recovering it needs this TPM (TPM2_Load + TPM2_Unseal). Data sealed
//   to a measurement gets a sealed object whose authPolicy is TPM2_PolicyPCR over the measurement PCR
//   holding SHA-256(0³² ‖ measurement): the TPM itself refuses to unseal it under another measurement.
// - ECDSA P-256 signing keys are generated and used inside the TPM (TPM2_Create, TPM2_Sign); only
//   their TPM-wrapped private part ever leaves it.
// - Quotes: a restricted ECDSA P-256 attestation key signs TPM2_Quote over one resettable PCR that
//   was reset and extended with the node's measurement.
using System.Security.Cryptography;
using Konfido.Custody.Attestation;
using Konfido.Custody.Crypto;
using Konfido.Custody.Storage;

namespace Konfido.Custody.Tpm;

internal sealed class TpmBackend : ICustodyBackend
{
    private const byte BlobVersion = 0x02;
    private const byte PcrBoundBlobVersion = 0x03;
    private readonly TpmEndpoint _endpoint;
    private readonly TpmStorageKeyAlgorithm _storageKey;
    private readonly int _measurementPcr;
    private readonly TpmObjectBlob _attestationKey;

    public TpmBackend(TpmEndpoint endpoint, TpmStorageKeyAlgorithm storageKey, int measurementPcr, string directory)
    {
        _endpoint = endpoint;
        _storageKey = storageKey;
        _measurementPcr = measurementPcr;
        var akPath = Path.Combine(directory, "tpm-attestation-key.blob");
        if (!File.Exists(akPath))
        {
            using var session = Open();
            var created = session.Create(w => TpmTemplates.EcdsaSigningKey(w, restricted: true), []);
            try
            {
                AtomicFile.Write(akPath, TpmBlobs.Encode(created), overwrite: false);
            }
            catch (IOException) when (File.Exists(akPath))
            {
                // Created concurrently: use the stored one.
            }
        }

        if (!TpmBlobs.TryDecode(File.ReadAllBytes(akPath), out _attestationKey, out _))
        {
            throw new InvalidDataException($"The TPM attestation key file '{akPath}' is malformed.");
        }

        HardwareAttestationKey = TpmTemplates.EccPublicKeyInfo(_attestationKey.Public);
    }

    public string Name => "tpm";

    public byte[]? HardwareAttestationKey { get; }

    public byte[] Protect(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> context, NodeMeasurement? bindTo = null)
    {
        using var wrappingKey = SecretBuffer.Random(KeyAlgorithms.SymmetricKeySize);
        TpmObjectBlob sealedKey;
        using (var session = Open())
        {
            var policy = bindTo is null
                ? []
                : TpmTemplates.PcrPolicyDigest(_measurementPcr, QuoteChecks.ExpectedPcr(bindTo.Digest.Span));
            sealedKey = session.Create(w => TpmTemplates.SealedData(w, policy), wrappingKey.Span);
        }

        var header = new TpmWriter().U8(bindTo is null ? BlobVersion : PcrBoundBlobVersion);
        header.Bytes(TpmBlobs.Encode(sealedKey));
        var ciphertext = KeyAlgorithms.Encrypt(wrappingKey.Span, secret, context);
        header.Bytes(ciphertext);
        return header.ToArray();
    }

    public SecretBuffer? TryUnprotect(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> context, NodeMeasurement? current = null)
    {
        if (blob.Length < 1 || blob[0] is not (BlobVersion or PcrBoundBlobVersion) || !TpmBlobs.TryDecode(blob[1..], out var sealedKey, out var consumed))
        {
            return null;
        }

        var pcrBound = blob[0] == PcrBoundBlobVersion;
        var ciphertext = blob[(1 + consumed)..];
        if (ciphertext.Length < CustodyCiphertext.Overhead || (pcrBound && current is null))
        {
            return null;
        }

        byte[] clearKey;
        using (var session = Open())
        {
            try
            {
                var loaded = session.Load(sealedKey);
                var policySession = 0u;
                if (pcrBound)
                {
                    // One exclusive session: measure, then satisfy the PCR policy, then unseal.
                    session.PcrReset(_measurementPcr);
                    session.PcrExtend(_measurementPcr, current!.Digest.Span);
                    policySession = session.StartPolicySession();
                    session.PolicyPcr(policySession, _measurementPcr);
                }

                clearKey = session.Unseal(loaded, policySession);
            }
            catch (TpmCommandException)
            {
                return null; // Integrity, format or policy failure: altered, sealed by another TPM, or another measurement.
            }
        }

        using var key = SecretBuffer.CopyOf(clearKey);
        CryptographicOperations.ZeroMemory(clearKey);
        if (key.Length != KeyAlgorithms.SymmetricKeySize)
        {
            return null;
        }

        var output = new SecretBuffer(ciphertext.Length - CustodyCiphertext.Overhead);
        if (!KeyAlgorithms.TryDecrypt(key.Span, ciphertext, context, output.Span, out _))
        {
            output.Dispose();
            return null;
        }

        return output;
    }

    public bool HoldsKeys(CustodyKeyKind kind) => kind == CustodyKeyKind.EcdsaP256Signing;

    public byte[] CreateHeldKey(CustodyKeyKind kind, out byte[] publicKey)
    {
        if (kind != CustodyKeyKind.EcdsaP256Signing)
        {
            throw new NotSupportedException($"The TPM holds only ECDSA P-256 keys, not {kind}.");
        }

        using var session = Open();
        var blob = session.Create(w => TpmTemplates.EcdsaSigningKey(w, restricted: false), []);
        publicKey = TpmTemplates.EccPublicKeyInfo(blob.Public);
        return TpmBlobs.Encode(blob);
    }

    public byte[] SignDigestWithHeldKey(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> sha256Digest)
    {
        if (!TpmBlobs.TryDecode(blob, out var keyBlob, out _))
        {
            throw new InvalidDataException("The stored TPM key blob is malformed.");
        }

        using var session = Open();
        var key = session.Load(keyBlob);
        return session.Sign(key, sha256Digest).ToP1363();
    }

    public AttestationQuote? Quote(ReadOnlySpan<byte> nonce, NodeMeasurement measurement)
    {
        using var session = Open();
        // One exclusive session: nobody can extend the PCR between our reset and our quote.
        session.PcrReset(_measurementPcr);
        session.PcrExtend(_measurementPcr, measurement.Digest.Span);
        var pcrValue = session.PcrRead(_measurementPcr);
        var key = session.Load(_attestationKey);
        var (attest, signature) = session.Quote(key, nonce, _measurementPcr);
        return new AttestationQuote
        {
            Format = AttestationQuote.TpmFormat,
            Measurement = measurement.Digest.ToArray(),
            Nonce = nonce.ToArray(),
            Evidence = attest,
            Signature = signature.ToP1363(),
            Pcr = _measurementPcr,
            PcrValue = pcrValue,
        };
    }

    public void Dispose()
    {
    }

    private TpmSession Open() => TpmSession.Open(_endpoint, _storageKey);
}
