// Crypto-shredding for GDPR Art. 17.
// References: NIST SP 800-38D (GCM: 96-bit nonces, 128-bit tags); RFC 3394/5649 describe key
// wrapping, here done with AES-256-GCM under the master key with the patient id as associated data
// (so a wrapped key cannot be moved to another patient). Sizes: data keys 256 bits, nonces 96 bits,
// tags 128 bits. Envelope: version(1) || nonce(12) || tag(16) || ciphertext.
using System.Security.Cryptography;
using System.Text;
using Konfido.Core;
using Konfido.Policy.Rules;
using Konfido.Policy.Storage;

namespace Konfido.Policy.Gdpr;

/// <summary>
/// Wraps and unwraps per-patient data keys under a master key the caller never sees (the
/// custody component backs it with a TPM or enclave; <see cref="AesGcmMasterKey"/> is the software one).
/// </summary>
public interface IMasterKey
{
    /// <summary>The master key's identifier (recorded with each wrapped key).</summary>
    string KeyId { get; }

    /// <summary>Wraps a 32-byte data key bound to <paramref name="context"/>. Requires a 32-byte key.</summary>
    byte[] Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> context);

    /// <summary>Unwraps into <paramref name="dataKey"/> (32 bytes); false if the blob or context is wrong.</summary>
    bool TryUnwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> context, Span<byte> dataKey);
}

/// <summary>A software <see cref="IMasterKey"/>: AES-256-GCM key wrapping with a 256-bit key held in memory.</summary>
public sealed class AesGcmMasterKey : IMasterKey, IDisposable
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly AesGcm _aes;

    /// <summary>Creates the master key from 32 bytes (copied). Requires exactly 32 bytes.</summary>
    /// <param name="key">The key material.</param>
    /// <param name="keyId">Its identifier.</param>
    public AesGcmMasterKey(ReadOnlySpan<byte> key, string keyId)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("the master key must be 32 bytes", nameof(key));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        _aes = new AesGcm(key, TagSize);
        KeyId = keyId;
    }

    /// <summary>A fresh random master key (tests, demo).</summary>
    public static AesGcmMasterKey Generate(string keyId)
    {
        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        try
        {
            return new AesGcmMasterKey(key, keyId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <inheritdoc />
    public string KeyId { get; }

    /// <inheritdoc />
    public byte[] Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> context)
    {
        if (dataKey.Length != 32)
        {
            throw new ArgumentException("a data key is 32 bytes", nameof(dataKey));
        }

        var wrapped = new byte[NonceSize + TagSize + 32];
        var nonce = wrapped.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(nonce, dataKey, wrapped.AsSpan(NonceSize + TagSize), wrapped.AsSpan(NonceSize, TagSize), context);
        return wrapped;
    }

    /// <inheritdoc />
    public bool TryUnwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> context, Span<byte> dataKey)
    {
        if (wrapped.Length != NonceSize + TagSize + 32 || dataKey.Length != 32)
        {
            return false;
        }

        try
        {
            _aes.Decrypt(wrapped[..NonceSize], wrapped[(NonceSize + TagSize)..], wrapped.Slice(NonceSize, TagSize), dataKey, context);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(dataKey);
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _aes.Dispose();
}

/// <summary>Where wrapped per-patient data keys are kept. Implementations: in memory and SQLite.</summary>
public interface IWrappedKeyStore
{
    /// <summary>The wrapped key of the patient, or null if none (never created or destroyed).</summary>
    ValueTask<byte[]?> GetAsync(string patientId, CancellationToken cancellationToken = default);

    /// <summary>Stores the wrapped key if the patient has none; returns the key in force (the stored one if another writer won).</summary>
    ValueTask<byte[]> AddIfAbsentAsync(string patientId, byte[] wrapped, CancellationToken cancellationToken = default);

    /// <summary>Destroys the patient's wrapped key; true if there was one.</summary>
    ValueTask<bool> DestroyAsync(string patientId, CancellationToken cancellationToken = default);
}

/// <summary>An in-memory <see cref="IWrappedKeyStore"/>; destroyed keys are zeroised.</summary>
public sealed class InMemoryWrappedKeyStore : IWrappedKeyStore
{
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public ValueTask<byte[]?> GetAsync(string patientId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_keys.TryGetValue(patientId, out var key) ? (byte[]?)key.ToArray() : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<byte[]> AddIfAbsentAsync(string patientId, byte[] wrapped, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        lock (_gate)
        {
            if (!_keys.TryGetValue(patientId, out var existing))
            {
                existing = wrapped.ToArray();
                _keys.Add(patientId, existing);
            }

            return ValueTask.FromResult(existing.ToArray());
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DestroyAsync(string patientId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_keys.Remove(patientId, out var key))
            {
                return ValueTask.FromResult(false);
            }

            CryptographicOperations.ZeroMemory(key);
            return ValueTask.FromResult(true);
        }
    }
}

/// <summary>
/// A SQLite <see cref="IWrappedKeyStore"/>. Runs with <c>PRAGMA secure_delete = ON</c> so that a
/// destroyed key's bytes are overwritten in the database file, not left in a free page.
/// </summary>
public sealed class SqliteWrappedKeyStore : IWrappedKeyStore
{
    private readonly SqliteDatabase _db;

    /// <summary>Opens (creating if needed) the store. Requires a SQLite connection string.</summary>
    public SqliteWrappedKeyStore(string connectionString) =>
        _db = new SqliteDatabase(connectionString, """
            PRAGMA secure_delete = ON;
            CREATE TABLE IF NOT EXISTS patient_data_key (patient_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL);
            """);

    /// <inheritdoc />
    public async ValueTask<byte[]?> GetAsync(string patientId, CancellationToken cancellationToken = default)
    {
        var rows = await _db.QueryAsync("SELECT wrapped FROM patient_data_key WHERE patient_id = $p",
            new Dictionary<string, object?> { ["$p"] = patientId }, r => (byte[])r.GetValue(0), cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc />
    public async ValueTask<byte[]> AddIfAbsentAsync(string patientId, byte[] wrapped, CancellationToken cancellationToken = default)
    {
        await _db.ExecuteAsync("INSERT OR IGNORE INTO patient_data_key (patient_id, wrapped) VALUES ($p, $w)",
            new Dictionary<string, object?> { ["$p"] = patientId, ["$w"] = wrapped }, cancellationToken).ConfigureAwait(false);
        return await GetAsync(patientId, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("the key vanished while being added");
    }

    /// <inheritdoc />
    public async ValueTask<bool> DestroyAsync(string patientId, CancellationToken cancellationToken = default)
    {
        var deleted = await _db.ExecuteAsync("PRAGMA secure_delete = ON; DELETE FROM patient_data_key WHERE patient_id = $p",
            new Dictionary<string, object?> { ["$p"] = patientId }, cancellationToken).ConfigureAwait(false);
        return deleted > 0;
    }
}

/// <summary>Data of one category a controller holds about a patient, for the legal-hold check.</summary>
/// <param name="DataCategory">The category (matches the policy's retention entries, e.g. <c>prescriptions</c>).</param>
/// <param name="NewestRecordAt">When the newest record of that category was created.</param>
public sealed record HeldData(string DataCategory, DateTimeOffset NewestRecordAt);

/// <summary>The outcome of a legal-hold check.</summary>
/// <param name="IsHeld">True if the law requires keeping some of the data.</param>
/// <param name="Reasons">One reason per category held, naming the legal basis and the date until which it must be kept.</param>
/// <param name="HeldUntil">The latest date until which data must be kept, if held.</param>
public sealed record LegalHoldCheck(bool IsHeld, IReadOnlyList<string> Reasons, DateTimeOffset? HeldUntil);

/// <summary>Decides, from a country's retention rules, whether the law forbids erasing a patient's data now.</summary>
public static class LegalHold
{
    /// <summary>Checks <paramref name="holdings"/> against <paramref name="policy"/>'s retention rules at <paramref name="now"/>.</summary>
    public static LegalHoldCheck Check(CountryPolicy policy, IEnumerable<HeldData> holdings, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(holdings);
        var reasons = new List<string>();
        DateTimeOffset? until = null;
        foreach (var held in holdings)
        {
            var rule = policy.Retention.FirstOrDefault(r => string.Equals(r.DataCategory, held.DataCategory, StringComparison.OrdinalIgnoreCase));
            if (rule is null)
            {
                continue;
            }

            var keepUntil = held.NewestRecordAt + rule.Period;
            if (keepUntil > now)
            {
                reasons.Add($"{held.DataCategory} must be kept until {keepUntil.UtcDateTime:yyyy-MM-dd} ({rule.LegalBasis})");
                until = until is null || keepUntil > until ? keepUntil : until;
            }
        }

        return new LegalHoldCheck(reasons.Count > 0, reasons, until);
    }
}

/// <summary>The outcome of decrypting with a patient's data key.</summary>
/// <param name="Plaintext">The data, or null.</param>
/// <param name="Failure">Why not: the key was destroyed (erased), or the ciphertext is not authentic.</param>
public sealed record DecryptionResult(byte[]? Plaintext, string? Failure)
{
    /// <summary>True if the data was recovered.</summary>
    public bool Succeeded => Plaintext is not null;
}

/// <summary>The outcome of an erasure request.</summary>
/// <param name="Erased">True if the patient's data key was destroyed.</param>
/// <param name="Reasons">Why erasure was refused (legal hold), or what was done.</param>
public sealed record ErasureResult(bool Erased, IReadOnlyList<string> Reasons);

/// <summary>
/// Per-patient data keys for crypto-shredding (GDPR Art. 17): every piece of a patient's stored
/// personal data is encrypted (AES-256-GCM) under that patient's own key, kept only wrapped under
/// the master key; erasure destroys the wrapped key, after which every copy of the data (backups
/// included) is unrecoverable. Erasure is refused, with the legal basis, where the home country's
/// retention rules still require the data.
/// </summary>
public sealed class PatientDataKeys
{
    private const byte EnvelopeVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + NonceSize + TagSize;

    private readonly IMasterKey _master;
    private readonly IWrappedKeyStore _store;
    private readonly ISecurityEventSink? _events;
    private readonly string _node;

    /// <summary>Creates the key service. Requires a master key and a store.</summary>
    /// <param name="master">Wraps the data keys.</param>
    /// <param name="store">Keeps the wrapped data keys.</param>
    /// <param name="events">Receives <c>erasure</c> events, if given.</param>
    /// <param name="node">This node's country, for events.</param>
    public PatientDataKeys(IMasterKey master, IWrappedKeyStore store, ISecurityEventSink? events = null, string node = "--")
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(store);
        _master = master;
        _store = store;
        _events = events;
        _node = node ?? "--";
    }

    /// <summary>Encrypts a patient's data under their data key (created on first use). Requires a patient id.</summary>
    /// <param name="patientId">The patient.</param>
    /// <param name="plaintext">The personal data.</param>
    /// <param name="associatedData">Authenticated context (e.g. the record id), needed again to decrypt.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<byte[]> EncryptAsync(string patientId, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> associatedData = default, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        var wrapped = await _store.GetAsync(patientId, cancellationToken).ConfigureAwait(false);
        if (wrapped is null)
        {
            var fresh = new byte[32];
            RandomNumberGenerator.Fill(fresh);
            try
            {
                wrapped = await _store.AddIfAbsentAsync(patientId, _master.Wrap(fresh, Context(patientId)), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(fresh);
            }
        }

        var key = new byte[32];
        try
        {
            if (!_master.TryUnwrap(wrapped, Context(patientId), key))
            {
                throw new CryptographicException($"the data key of the patient does not unwrap under master key {_master.KeyId}");
            }

            var envelope = new byte[HeaderSize + plaintext.Length];
            envelope[0] = EnvelopeVersion;
            RandomNumberGenerator.Fill(envelope.AsSpan(1, NonceSize));
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(envelope.AsSpan(1, NonceSize), plaintext.Span, envelope.AsSpan(HeaderSize), envelope.AsSpan(1 + NonceSize, TagSize), Aad(patientId, associatedData.Span));
            return envelope;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Decrypts data encrypted by <see cref="EncryptAsync"/>; a failure result once the key is destroyed.</summary>
    public async Task<DecryptionResult> DecryptAsync(string patientId, ReadOnlyMemory<byte> envelope, ReadOnlyMemory<byte> associatedData = default, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        if (envelope.Length < HeaderSize || envelope.Span[0] != EnvelopeVersion)
        {
            return new DecryptionResult(null, "not a patient-data envelope (bad length or version)");
        }

        var wrapped = await _store.GetAsync(patientId, cancellationToken).ConfigureAwait(false);
        if (wrapped is null)
        {
            return new DecryptionResult(null, "the patient has no data key (erased, or never stored data)");
        }

        var key = new byte[32];
        try
        {
            if (!_master.TryUnwrap(wrapped, Context(patientId), key))
            {
                return new DecryptionResult(null, "the patient's data key does not unwrap under the master key");
            }

            var span = envelope.Span;
            var plaintext = new byte[envelope.Length - HeaderSize];
            using var aes = new AesGcm(key, TagSize);
            try
            {
                aes.Decrypt(span.Slice(1, NonceSize), span[HeaderSize..], span.Slice(1 + NonceSize, TagSize), plaintext, Aad(patientId, associatedData.Span));
            }
            catch (AuthenticationTagMismatchException)
            {
                return new DecryptionResult(null, "authentication failed (wrong patient, context or tampered data)");
            }

            return new DecryptionResult(plaintext, null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>True if the patient has a data key.</summary>
    public async Task<bool> HasKeyAsync(string patientId, CancellationToken cancellationToken = default) =>
        await _store.GetAsync(patientId, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>
    /// Erases a patient's personal data by destroying their data key, unless
    /// <paramref name="policy"/>'s retention rules hold some of <paramref name="holdings"/> at
    /// <paramref name="now"/>; then nothing is destroyed and the reasons name the legal basis.
    /// </summary>
    /// <param name="patientId">The data subject.</param>
    /// <param name="policy">The home country's policy (retention rules).</param>
    /// <param name="holdings">What data is held about the patient, by category.</param>
    /// <param name="now">The time of the request.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<ErasureResult> EraseAsync(string patientId, CountryPolicy policy, IEnumerable<HeldData> holdings, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        var hold = LegalHold.Check(policy, holdings, now);
        ErasureResult result;
        if (hold.IsHeld)
        {
            result = new ErasureResult(false, ["erasure refused under legal hold (GDPR Art. 17(3)(b))", .. hold.Reasons]);
        }
        else
        {
            var destroyed = await _store.DestroyAsync(patientId, cancellationToken).ConfigureAwait(false);
            result = new ErasureResult(true, [destroyed ? "the patient's data key was destroyed: stored personal data is unrecoverable" : "the patient had no data key (nothing stored)"]);
        }

        if (_events is not null)
        {
            await _events.PublishAsync(new SecurityEvent
            {
                Timestamp = now,
                Node = _node,
                Category = EventCategories.Policy,
                Action = "erasure",
                Outcome = result.Erased ? EventOutcome.Success : EventOutcome.Failure,
                PatientId = patientId,
                Reason = string.Join("; ", result.Reasons),
                Attributes = new Dictionary<string, string> { ["master.key"] = _master.KeyId },
            }, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private static byte[] Context(string patientId) => Encoding.UTF8.GetBytes("konfido/patient-data-key/v1\0" + patientId);

    private static byte[] Aad(string patientId, ReadOnlySpan<byte> associatedData)
    {
        var prefix = Encoding.UTF8.GetBytes("konfido/patient-data/v1\0" + patientId + "\0");
        var aad = new byte[prefix.Length + associatedData.Length];
        prefix.CopyTo(aad, 0);
        associatedData.CopyTo(aad.AsSpan(prefix.Length));
        return aad;
    }
}
