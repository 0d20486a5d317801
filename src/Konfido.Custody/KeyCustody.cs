using System.Text;
using Konfido.Core;
using Konfido.Custody.Attestation;
using Konfido.Custody.Crypto;
using Konfido.Custody.Software;
using Konfido.Custody.Storage;
using Konfido.Custody.Tpm;

namespace Konfido.Custody;

/// <summary>
/// The key custody of a node over one backend: the software backend (machine key, the embedded
/// default) or a TPM 2.0. Construct it with <see cref="OpenSoftware"/> or <see cref="OpenTpm"/>.
/// </summary>
public sealed class KeyCustody : IKeyCustody
{
    /// <summary>The largest secret or sealed payload, in bytes (16 MiB).</summary>
    public const int MaxPayload = 16 * 1024 * 1024;

    /// <summary>The id of the custody's own software attestation key.</summary>
    public static readonly CustodyKeyId AttestationKeyId = CustodyKeyId.Parse("konfido.custody/attestation");

    private const byte SealVersion = 0x01;
    private static readonly byte[] KeyDomain = Encoding.ASCII.GetBytes("konfido-custody-key/v1\0");
    private static readonly byte[] SealDomain = Encoding.ASCII.GetBytes("konfido-custody-seal/v1\0");

    private readonly ICustodyBackend _backend;
    private readonly KeyStore _store;
    private readonly TimeProvider _time;
    private readonly ISecurityEventSink? _events;
    private readonly string _node;
    private readonly Lock _gate = new();
    private byte[]? _attestationPublicKey;
    private bool _disposed;

    private KeyCustody(ICustodyBackend backend, KeyStore store, NodeMeasurement measurement, TimeProvider time, ISecurityEventSink? events, string? node)
    {
        _backend = backend;
        _store = store;
        _time = time;
        _events = events;
        _node = node ?? string.Empty;
        Measurement = measurement;
    }

    /// <inheritdoc />
    public string Backend => _backend.Name;

    /// <inheritdoc />
    public NodeMeasurement Measurement { get; }

    /// <summary>Opens (creating if needed) a software-backed custody. Throws <see cref="ArgumentException"/>
    /// naming what is wrong with <paramref name="options"/>, <see cref="InvalidOperationException"/> if the
    /// machine key file is readable by others, <see cref="TpmUnavailableException"/> if a sealing TPM is unreachable.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="time">The clock (default: system).</param>
    public static KeyCustody OpenSoftware(SoftwareCustodyOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateCommon(options.Directory, options.Measurement, options.Events, options.Node);
        var store = new KeyStore(options.Directory);
        var machineKey = options.SealMachineKeyTo is { } tpm
            ? MachineKey.SealedByTpm(options.MachineKeyFile ?? Path.Combine(options.Directory, "machine.key.tpm"), tpm, TpmStorageKeyAlgorithm.EccP256)
            : MachineKey.FromFile(options.MachineKeyFile ?? Path.Combine(options.Directory, "machine.key"));
        return new KeyCustody(new SoftwareBackend(machineKey), store, options.Measurement, time ?? TimeProvider.System, options.Events, options.Node);
    }

    /// <summary>Opens (creating if needed) a TPM-backed custody. Throws <see cref="ArgumentException"/> naming what is
    /// wrong with <paramref name="options"/>, <see cref="TpmUnavailableException"/> if the TPM is unreachable.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="time">The clock (default: system).</param>
    public static KeyCustody OpenTpm(TpmCustodyOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateCommon(options.Directory, options.Measurement, options.Events, options.Node);
        ArgumentNullException.ThrowIfNull(options.Tpm, nameof(options.Tpm));
        if (options.MeasurementPcr is not (16 or 23))
        {
            throw new ArgumentException($"MeasurementPcr must be a PCR resettable from locality 0 (16 or 23), not {options.MeasurementPcr}.", nameof(options));
        }

        if (!Enum.IsDefined(options.StorageKey))
        {
            throw new ArgumentException($"Unknown storage key algorithm {options.StorageKey}.", nameof(options));
        }

        var store = new KeyStore(options.Directory);
        var backend = new TpmBackend(options.Tpm, options.StorageKey, options.MeasurementPcr, options.Directory);
        return new KeyCustody(backend, store, options.Measurement, time ?? TimeProvider.System, options.Events, options.Node);
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> AttestationPublicKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _backend.HardwareAttestationKey ?? SoftwareAttestationKey();
        }
    }

    /// <inheritdoc />
    public CustodyKeyInfo CreateKey(CustodyKeyId id, CustodyKeyKind kind)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireId(id);
        if (kind == CustodyKeyKind.Secret)
        {
            throw new ArgumentException("Secrets are imported with ImportSecret, not generated.", nameof(kind));
        }

        _ = CustodyKeyKinds.Name(kind); // throws for undefined kinds
        RequireUnused(id);
        StoredKey record;
        if (_backend.HoldsKeys(kind))
        {
            var blob = _backend.CreateHeldKey(kind, out var publicKey);
            record = new StoredKey(id, kind, publicKey, blob, HeldByBackend: true, _time.GetUtcNow(), null);
        }
        else
        {
            using var material = KeyAlgorithms.Generate(kind, out var publicKey);
            var blob = _backend.Protect(material.Span, KeyContext(id, kind));
            record = new StoredKey(id, kind, publicKey, blob, HeldByBackend: false, _time.GetUtcNow(), null);
        }

        lock (_gate)
        {
            _store.Add(record);
        }

        Report("key-create", EventOutcome.Success, id, kind, null);
        return record.ToInfo();
    }

    /// <inheritdoc />
    public CustodyKeyInfo ImportSecret(CustodyKeyId id, ReadOnlySpan<byte> secret)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireId(id);
        if (secret.IsEmpty || secret.Length > MaxPayload)
        {
            throw new ArgumentException($"A secret is 1 to {MaxPayload} bytes.", nameof(secret));
        }

        RequireUnused(id);
        var blob = _backend.Protect(secret, KeyContext(id, CustodyKeyKind.Secret));
        var record = new StoredKey(id, CustodyKeyKind.Secret, [], blob, HeldByBackend: false, _time.GetUtcNow(), null);
        lock (_gate)
        {
            _store.Add(record);
        }

        Report("key-create", EventOutcome.Success, id, CustodyKeyKind.Secret, null);
        return record.ToInfo();
    }

    /// <inheritdoc />
    public CustodyKeyInfo? FindKey(CustodyKeyId id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireId(id);
        return _store.Find(id)?.ToInfo();
    }

    /// <inheritdoc />
    public IReadOnlyList<CustodyKeyInfo> ListKeys()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _store.All().Select(k => k.ToInfo()).ToList();
    }

    /// <inheritdoc />
    public bool DestroyKey(CustodyKeyId id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireId(id);
        lock (_gate)
        {
            var record = _store.Find(id);
            if (record is null || record.DestroyedAt is not null)
            {
                return false;
            }

            _store.ReplaceWithTombstone(record with { ProtectedMaterial = [], DestroyedAt = _time.GetUtcNow() });
        }

        Report("key-destroy", EventOutcome.Success, id, null, null);
        return true;
    }

    /// <inheritdoc />
    public byte[] Sign(CustodyKeyId id, ReadOnlySpan<byte> data)
    {
        var record = LiveKey(id);
        if (!CustodyKeyKinds.IsSigning(record.Kind))
        {
            throw new InvalidOperationException($"Custody key '{id}' is a {CustodyKeyKinds.Name(record.Kind)} key, not a signing key.");
        }

        if (record.HeldByBackend)
        {
            return _backend.SignDigestWithHeldKey(record.ProtectedMaterial, System.Security.Cryptography.SHA256.HashData(data));
        }

        using var material = Unprotect(record);
        return KeyAlgorithms.Sign(record.Kind, material, data);
    }

    /// <inheritdoc />
    public byte[] SignDigest(CustodyKeyId id, ReadOnlySpan<byte> sha256Digest)
    {
        if (sha256Digest.Length != 32)
        {
            throw new ArgumentException("A SHA-256 digest is 32 bytes.", nameof(sha256Digest));
        }

        var record = LiveKey(id, CustodyKeyKind.EcdsaP256Signing);
        if (record.HeldByBackend)
        {
            return _backend.SignDigestWithHeldKey(record.ProtectedMaterial, sha256Digest);
        }

        using var material = Unprotect(record);
        return KeyAlgorithms.SignDigestP256(material, sha256Digest);
    }

    /// <inheritdoc />
    public byte[] ComputeHmac(CustodyKeyId id, ReadOnlySpan<byte> data)
    {
        var record = LiveKey(id, CustodyKeyKind.HmacSha256);
        using var material = Unprotect(record);
        return System.Security.Cryptography.HMACSHA256.HashData(material.Span, data);
    }

    /// <inheritdoc />
    public byte[] Encrypt(CustodyKeyId id, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        if (plaintext.Length > MaxPayload)
        {
            throw new ArgumentException($"At most {MaxPayload} bytes can be encrypted at once.", nameof(plaintext));
        }

        var record = LiveKey(id, CustodyKeyKind.Aes256Gcm);
        using var material = Unprotect(record);
        return KeyAlgorithms.Encrypt(material.Span, plaintext, associatedData);
    }

    /// <inheritdoc />
    public CustodyResult<byte[]> Decrypt(CustodyKeyId id, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[Math.Max(0, ciphertext.Length - CustodyCiphertext.Overhead)];
        var result = Decrypt(id, ciphertext, associatedData, output);
        return result.Succeeded ? CustodyResult<byte[]>.Success(output) : CustodyResult<byte[]>.Fail(result.Failure);
    }

    /// <inheritdoc />
    public CustodyResult<int> Decrypt(CustodyKeyId id, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        var result = DecryptCore(id, ciphertext, associatedData, plaintext);
        if (!result.Succeeded)
        {
            Report("decrypt", EventOutcome.Failure, id, CustodyKeyKind.Aes256Gcm, $"decryption refused: {result.Failure}");
        }

        return result;
    }

    private CustodyResult<int> DecryptCore(CustodyKeyId id, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireId(id);
        var record = _store.Find(id);
        if (record is null)
        {
            return CustodyResult<int>.Fail(CustodyFailure.KeyNotFound);
        }

        if (record.DestroyedAt is not null)
        {
            return CustodyResult<int>.Fail(CustodyFailure.KeyDestroyed);
        }

        RequireKind(record, CustodyKeyKind.Aes256Gcm);
        if (ciphertext.Length < CustodyCiphertext.Overhead)
        {
            return CustodyResult<int>.Fail(CustodyFailure.Tampered);
        }

        using var material = Unprotect(record);
        return KeyAlgorithms.TryDecrypt(material.Span, ciphertext, associatedData, plaintext, out var written)
            ? CustodyResult<int>.Success(written)
            : CustodyResult<int>.Fail(CustodyFailure.Tampered);
    }

    /// <inheritdoc />
    public CustodyResult<int> OpenEnvelope(CustodyKeyId id, string envelope, Span<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireId(id);
        var record = _store.Find(id);
        CustodyResult<int> result;
        if (record is null)
        {
            result = CustodyResult<int>.Fail(CustodyFailure.KeyNotFound);
        }
        else if (record.DestroyedAt is not null)
        {
            result = CustodyResult<int>.Fail(CustodyFailure.KeyDestroyed);
        }
        else
        {
            RequireKind(record, CustodyKeyKind.EcdhP256KeyAgreement);
            var length = PayloadEnvelope.PlaintextLength(envelope);
            if (length >= 0 && plaintext.Length < length)
            {
                throw new ArgumentException($"The plaintext buffer needs {length} bytes.", nameof(plaintext));
            }

            using var material = Unprotect(record);
            result = PayloadEnvelope.Open(envelope, material.Span, plaintext);
        }

        if (!result.Succeeded)
        {
            Report("open-envelope", EventOutcome.Failure, id, CustodyKeyKind.EcdhP256KeyAgreement, $"envelope refused: {result.Failure}");
        }

        return result;
    }

    /// <inheritdoc />
    public TResult UseSecret<TState, TResult>(CustodyKeyId id, TState state, SecretFunc<TState, TResult> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        var record = LiveKey(id);
        if (record.HeldByBackend)
        {
            throw new InvalidOperationException($"Custody key '{id}' lives inside the {Backend} backend and cannot be used in host memory.");
        }

        using var material = Unprotect(record);
        return use(material.Span, state);
    }

    /// <inheritdoc />
    public byte[] Seal(ReadOnlySpan<byte> data, SealBinding binding = SealBinding.Backend)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (data.Length > MaxPayload)
        {
            throw new ArgumentException($"At most {MaxPayload} bytes can be sealed.", nameof(data));
        }

        if (!Enum.IsDefined(binding))
        {
            throw new ArgumentOutOfRangeException(nameof(binding));
        }

        var header = SealHeader(binding, Measurement.Digest.Span);
        var blob = _backend.Protect(data, SealContext(header), binding == SealBinding.BackendAndMeasurement ? Measurement : null);
        var output = new byte[header.Length + blob.Length];
        header.CopyTo(output, 0);
        blob.CopyTo(output, header.Length);
        return output;
    }

    /// <inheritdoc />
    public CustodyResult<byte[]> Unseal(ReadOnlySpan<byte> sealedBlob)
    {
        var result = UnsealCore(sealedBlob);
        if (!result.Succeeded)
        {
            Report("unseal", EventOutcome.Failure, null, null, $"unseal refused: {result.Failure}");
        }

        return result;
    }

    private CustodyResult<byte[]> UnsealCore(ReadOnlySpan<byte> sealedBlob)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (sealedBlob.Length < 2 || sealedBlob[0] != SealVersion || sealedBlob[1] > (byte)SealBinding.BackendAndMeasurement)
        {
            return CustodyResult<byte[]>.Fail(CustodyFailure.Tampered);
        }

        var binding = (SealBinding)sealedBlob[1];
        var headerLength = binding == SealBinding.BackendAndMeasurement ? 2 + NodeMeasurement.Size : 2;
        if (sealedBlob.Length < headerLength)
        {
            return CustodyResult<byte[]>.Fail(CustodyFailure.Tampered);
        }

        var header = sealedBlob[..headerLength];
        var bound = binding == SealBinding.BackendAndMeasurement;
        if (bound && !Measurement.Matches(header[2..]))
        {
            // Bound to another build or configuration (or the header was altered, which would fail
            // authentication anyway): the blob is not opened at all.
            return CustodyResult<byte[]>.Fail(CustodyFailure.WrongMeasurement);
        }

        using var clear = _backend.TryUnprotect(sealedBlob[headerLength..], SealContext(header), bound ? Measurement : null);
        return clear is null
            ? CustodyResult<byte[]>.Fail(CustodyFailure.Tampered)
            : CustodyResult<byte[]>.Success(clear.Span.ToArray());
    }

    /// <inheritdoc />
    public AttestationQuote Attest(ReadOnlySpan<byte> nonce)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (nonce.Length is < 16 or > 64)
        {
            throw new ArgumentException("A nonce is 16 to 64 bytes.", nameof(nonce));
        }

        var hardware = _backend.Quote(nonce, Measurement);
        if (hardware is not null)
        {
            return hardware;
        }

        SoftwareAttestationKey();
        var statement = QuoteChecks.SoftwareStatement(Measurement.Digest.Span, nonce);
        return new AttestationQuote
        {
            Format = AttestationQuote.SoftwareFormat,
            Measurement = Measurement.Digest.ToArray(),
            Nonce = nonce.ToArray(),
            Evidence = statement,
            Signature = Sign(AttestationKeyId, statement),
        };
    }

    /// <summary>Zeroises the machine key (software backend) and closes the custody.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _backend.Dispose();
        }
    }

    private byte[] SoftwareAttestationKey()
    {
        if (_attestationPublicKey is { } cached)
        {
            return cached;
        }

        lock (_gate)
        {
            var record = _store.Find(AttestationKeyId);
            if (record is null)
            {
                using var material = KeyAlgorithms.Generate(CustodyKeyKind.EcdsaP256Signing, out var publicKey);
                record = new StoredKey(AttestationKeyId, CustodyKeyKind.EcdsaP256Signing, publicKey,
                    _backend.Protect(material.Span, KeyContext(AttestationKeyId, CustodyKeyKind.EcdsaP256Signing)),
                    HeldByBackend: false, _time.GetUtcNow(), null);
                _store.Add(record);
            }

            return _attestationPublicKey = record.PublicKey;
        }
    }

    private StoredKey LiveKey(CustodyKeyId id, CustodyKeyKind? kind = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireId(id);
        var record = _store.Find(id) ?? throw new KeyNotFoundException($"There is no custody key '{id}'.");
        if (record.DestroyedAt is not null)
        {
            throw new InvalidOperationException($"Custody key '{id}' was destroyed.");
        }

        if (kind is { } k)
        {
            RequireKind(record, k);
        }

        return record;
    }

    private SecretBuffer Unprotect(StoredKey record) =>
        _backend.TryUnprotect(record.ProtectedMaterial, KeyContext(record.Id, record.Kind))
        ?? throw new System.Security.Cryptography.CryptographicException(
            $"The stored material of custody key '{record.Id}' does not authenticate: the key store was altered or belongs to another {Backend} backend.");

    // A cheap early refusal before generating anything; KeyStore.Add is the authoritative check.
    private void RequireUnused(CustodyKeyId id)
    {
        if (_store.Find(id) is not null)
        {
            throw new InvalidOperationException($"Custody key '{id}' already exists (ids are never reused, even after destruction).");
        }
    }

    private static void RequireKind(StoredKey record, CustodyKeyKind kind)
    {
        if (record.Kind != kind)
        {
            throw new InvalidOperationException(
                $"Custody key '{record.Id}' is a {CustodyKeyKinds.Name(record.Kind)} key, not {CustodyKeyKinds.Name(kind)}.");
        }
    }

    private static void RequireId(CustodyKeyId id)
    {
        if (id.Value is null)
        {
            throw new ArgumentException("The key id is the default (empty) value.", nameof(id));
        }
    }

    private static void ValidateCommon(string directory, NodeMeasurement measurement, ISecurityEventSink? events, string? node)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new ArgumentException("Directory is required: the folder that holds the key store.", nameof(directory));
        }

        if (measurement is null)
        {
            throw new ArgumentException("Measurement is required: the node's build and configuration digest.", nameof(measurement));
        }

        if (events is not null && string.IsNullOrWhiteSpace(node))
        {
            throw new ArgumentException("Node (the country code) is required when Events is set.", nameof(node));
        }
    }

    private void Report(string action, EventOutcome outcome, CustodyKeyId? id, CustodyKeyKind? kind, string? reason)
    {
        if (_events is null)
        {
            return;
        }

        var attributes = new Dictionary<string, string> { ["custody.backend"] = Backend };
        if (id is { } keyId)
        {
            attributes["custody.key_id"] = keyId.Value;
        }

        if (kind is { } k)
        {
            attributes["custody.key_kind"] = CustodyKeyKinds.Name(k);
        }

        var published = _events.PublishAsync(new SecurityEvent
        {
            Node = _node,
            Category = EventCategories.Custody,
            Action = action,
            Outcome = outcome,
            Reason = reason,
            Attributes = attributes,
        });
        if (!published.IsCompletedSuccessfully)
        {
            published.AsTask().GetAwaiter().GetResult();
        }
    }

    private static byte[] KeyContext(CustodyKeyId id, CustodyKeyKind kind) =>
        [.. KeyDomain, .. Encoding.UTF8.GetBytes(id.Value), 0, .. Encoding.ASCII.GetBytes(CustodyKeyKinds.Name(kind))];

    private static byte[] SealHeader(SealBinding binding, ReadOnlySpan<byte> measurement) =>
        binding == SealBinding.BackendAndMeasurement ? [SealVersion, (byte)binding, .. measurement] : [SealVersion, (byte)binding];

    private static byte[] SealContext(ReadOnlySpan<byte> header) => [.. SealDomain, .. header];
}
