// Signers and verifiers of C2SP signed notes:
//   0x01 Ed25519 (RFC 8032) over the note text (c2sp.org/signed-note);
//   0x04 cosignature/v1: u64 BE timestamp || Ed25519 over "cosignature/v1\ntime <t>\n" || note text
//        (c2sp.org/tlog-cosignature, "Ed25519 signed message");
//   0x06 ML-DSA-44 (FIPS 204, pure, empty context) cosignature: u64 BE timestamp || signature over the
//        subtree/v1 cosigned_message of the checkpoint (c2sp.org/tlog-cosignature).
// Key sizes: Ed25519 seed 32, public 32, signature 64; ML-DSA-44 seed 32, public 1312, signature 2420.
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Konfido.Ledger.Notes;

/// <summary>Signs note texts under one key name and key ID.</summary>
public interface INoteSigner
{
    /// <summary>The key name written on the signature line.</summary>
    string Name { get; }

    /// <summary>The key ID.</summary>
    uint KeyId { get; }

    /// <summary>The signature bytes (after the key ID) over the UTF-8 note text.</summary>
    /// <param name="text">The note text, including its final newline.</param>
    byte[] Sign(ReadOnlySpan<byte> text);
}

/// <summary>Verifies signatures of one key (name, key ID, signature type).</summary>
public interface INoteVerifier
{
    /// <summary>The key name.</summary>
    string Name { get; }

    /// <summary>The key ID.</summary>
    uint KeyId { get; }

    /// <summary>The signature type.</summary>
    NoteSignatureType Type { get; }

    /// <summary>True if <paramref name="signature"/> (after the key ID) is valid over <paramref name="text"/>.</summary>
    /// <param name="text">The UTF-8 note text.</param>
    /// <param name="signature">The signature bytes.</param>
    bool Verify(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature);

    /// <summary>The verifier key string (<c>name+hash+base64</c>).</summary>
    string VerifierKey { get; }
}

/// <summary>Parses verifier key strings into verifiers.</summary>
public static class NoteVerifiers
{
    /// <summary>
    /// Parses a verifier key <c>name+hash+base64</c> of type 0x01, 0x04 or 0x06; false with a reason
    /// if it is malformed, of an unknown type, or its hash does not match its name and key.
    /// </summary>
    /// <param name="verifierKey">The key string.</param>
    /// <param name="verifier">The verifier.</param>
    /// <param name="error">Why it was refused.</param>
    public static bool TryParse(string? verifierKey, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out INoteVerifier? verifier, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        verifier = null;
        if (string.IsNullOrWhiteSpace(verifierKey))
        {
            error = "the verifier key is empty";
            return false;
        }

        if (!NoteKeys.TrySplit(verifierKey.Trim(), out var parts, out error))
        {
            return false;
        }

        var expectedLength = parts.Type switch
        {
            NoteSignatureType.Ed25519 or NoteSignatureType.CosignatureV1 => 32,
            NoteSignatureType.MlDsa44Cosignature => 1312,
            _ => -1,
        };
        if (expectedLength < 0)
        {
            error = $"unsupported signature type 0x{(byte)parts.Type:x2}";
            return false;
        }

        if (parts.Key.Length != expectedLength)
        {
            error = $"a type 0x{(byte)parts.Type:x2} key is {expectedLength} bytes, not {parts.Key.Length}";
            return false;
        }

        if (NoteKeys.KeyId(parts.Name, parts.Type, parts.Key) != parts.KeyId)
        {
            error = "the key hash does not match the name and key";
            return false;
        }

        try
        {
            verifier = parts.Type switch
            {
                NoteSignatureType.Ed25519 => new Ed25519NoteVerifier(parts.Name, parts.Key),
                NoteSignatureType.CosignatureV1 => new CosignatureV1Verifier(parts.Name, parts.Key),
                _ => new MlDsa44CosignatureVerifier(parts.Name, parts.Key),
            };
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return false;
        }

        return true;
    }

    /// <summary>Parses a verifier key or throws <see cref="FormatException"/> with the reason.</summary>
    /// <param name="verifierKey">The key string.</param>
    public static INoteVerifier Parse(string verifierKey) =>
        TryParse(verifierKey, out var verifier, out var error) ? verifier : throw new FormatException($"Invalid verifier key: {error}.");
}

/// <summary>Verifies Ed25519 (type 0x01) note signatures.</summary>
public sealed class Ed25519NoteVerifier : INoteVerifier
{
    private readonly PublicKey _key;
    private readonly byte[] _raw;

    /// <summary>Creates the verifier for a 32-byte Ed25519 public key.</summary>
    /// <param name="name">The key name.</param>
    /// <param name="publicKey">The public key.</param>
    public Ed25519NoteVerifier(string name, ReadOnlySpan<byte> publicKey)
    {
        if (!NoteKeys.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid key name.", nameof(name));
        }

        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            throw new FormatException("the Ed25519 public key is invalid");
        }

        _key = key;
        _raw = publicKey.ToArray();
        Name = name;
        KeyId = NoteKeys.KeyId(name, NoteSignatureType.Ed25519, publicKey);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public uint KeyId { get; }

    /// <inheritdoc />
    public NoteSignatureType Type => NoteSignatureType.Ed25519;

    /// <inheritdoc />
    public string VerifierKey => NoteKeys.FormatVerifierKey(Name, Type, _raw);

    /// <inheritdoc />
    public bool Verify(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature) =>
        signature.Length == 64 && SignatureAlgorithm.Ed25519.Verify(_key, text, signature);
}

/// <summary>Signs <paramref name="message"/> with an Ed25519 key held outside this process's keys (a key custody, an HSM).</summary>
/// <param name="message">The message.</param>
/// <returns>The 64-byte RFC 8032 (pure Ed25519) signature.</returns>
public delegate byte[] Ed25519Signature(ReadOnlySpan<byte> message);

/// <summary>An Ed25519 key pair that signs notes (type 0x01) and, as a witness, cosignatures (type 0x04).</summary>
public sealed class Ed25519NoteSigner : INoteSigner, IDisposable
{
    private static readonly byte[] ExternalProbe = "konfido ed25519 key check\n"u8.ToArray();
    private readonly Key? _key;
    private readonly Ed25519Signature? _external;
    private readonly byte[] _publicKey;

    private Ed25519NoteSigner(string name, Key key)
    {
        _key = key;
        _publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        Name = name;
        KeyId = NoteKeys.KeyId(name, NoteSignatureType.Ed25519, _publicKey);
    }

    private Ed25519NoteSigner(string name, ReadOnlySpan<byte> publicKey, Ed25519Signature external)
    {
        _external = external;
        _publicKey = publicKey.ToArray();
        Name = name;
        KeyId = NoteKeys.KeyId(name, NoteSignatureType.Ed25519, _publicKey);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public uint KeyId { get; }

    /// <summary>The 32-byte public key.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>The verifier key string for type 0x01 note signatures.</summary>
    public string VerifierKey => NoteKeys.FormatVerifierKey(Name, NoteSignatureType.Ed25519, _publicKey);

    /// <summary>Generates a new key named <paramref name="name"/>. Requires a valid key name.</summary>
    /// <param name="name">The key name, e.g. <c>ledger.dk.konfido.example</c>.</param>
    public static Ed25519NoteSigner Generate(string name)
    {
        if (!NoteKeys.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid key name (non-empty, no spaces, no '+').", nameof(name));
        }

        return new Ed25519NoteSigner(name, Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <summary>Creates the signer from a 32-byte seed (copied). Requires a valid name.</summary>
    /// <param name="name">The key name.</param>
    /// <param name="seed">The RFC 8032 private key (seed).</param>
    public static Ed25519NoteSigner FromSeed(string name, ReadOnlySpan<byte> seed)
    {
        if (!NoteKeys.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid key name.", nameof(name));
        }

        if (seed.Length != 32)
        {
            throw new ArgumentException("An Ed25519 seed is 32 bytes.", nameof(seed));
        }

        return new Ed25519NoteSigner(name, Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <summary>
    /// A signer whose private key is held elsewhere and used through <paramref name="sign"/> (e.g. a
    /// key custody): nothing secret enters this object. Requires a valid name and a 32-byte public key;
    /// throws <see cref="CryptographicException"/> if a probe signature by <paramref name="sign"/> does
    /// not verify under <paramref name="publicKey"/> (the key and the public key do not belong together).
    /// </summary>
    /// <param name="name">The key name.</param>
    /// <param name="publicKey">The RFC 8032 public key.</param>
    /// <param name="sign">Signs with the matching private key.</param>
    public static Ed25519NoteSigner FromExternal(string name, ReadOnlySpan<byte> publicKey, Ed25519Signature sign)
    {
        ArgumentNullException.ThrowIfNull(sign);
        if (!NoteKeys.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid key name.", nameof(name));
        }

        if (publicKey.Length != 32 || !NSec.Cryptography.PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var verifier) || verifier is null)
        {
            throw new ArgumentException("An Ed25519 public key is 32 valid bytes.", nameof(publicKey));
        }

        var probe = sign(ExternalProbe);
        if (probe is not { Length: 64 } || !SignatureAlgorithm.Ed25519.Verify(verifier, ExternalProbe, probe))
        {
            throw new CryptographicException($"The external key for '{name}' does not sign for the public key given.");
        }

        return new Ed25519NoteSigner(name, publicKey, sign);
    }

    /// <summary>
    /// Parses a signer key <c>PRIVATE+KEY+name+hash+base64(0x01||seed)</c>; false with a reason if it is
    /// malformed or its hash does not match.
    /// </summary>
    /// <param name="signerKey">The key string.</param>
    /// <param name="signer">The signer.</param>
    /// <param name="error">Why it was refused.</param>
    public static bool TryParse(string? signerKey, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Ed25519NoteSigner? signer, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        signer = null;
        var text = signerKey?.Trim();
        if (text is null || !text.StartsWith(NoteKeys.PrivateKeyPrefix, StringComparison.Ordinal))
        {
            error = $"a signer key starts with {NoteKeys.PrivateKeyPrefix}";
            return false;
        }

        if (!NoteKeys.TrySplit(text[NoteKeys.PrivateKeyPrefix.Length..], out var parts, out error))
        {
            return false;
        }

        try
        {
            if (parts.Type != NoteSignatureType.Ed25519 || parts.Key.Length != 32)
            {
                error = "only Ed25519 signer keys (type 0x01, 32-byte seed) are supported";
                return false;
            }

            var candidate = FromSeed(parts.Name, parts.Key);
            if (candidate.KeyId != parts.KeyId)
            {
                candidate.Dispose();
                error = "the key hash does not match the name and key";
                return false;
            }

            signer = candidate;
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parts.Key);
        }
    }

    /// <summary>The signer key string (secret: store it like a private key). Requires a key held by this
    /// object (not <see cref="FromExternal"/>: an external key cannot be exported).</summary>
    public string ExportSignerKey()
    {
        if (_key is null)
        {
            throw new InvalidOperationException($"The key '{Name}' is held outside this process and cannot be exported.");
        }

        var seed = _key.Export(KeyBlobFormat.RawPrivateKey);
        try
        {
            var blob = new byte[33];
            blob[0] = (byte)NoteSignatureType.Ed25519;
            seed.CopyTo(blob, 1);
            var text = $"{NoteKeys.PrivateKeyPrefix}{Name}+{KeyId:x8}+{Convert.ToBase64String(blob)}";
            CryptographicOperations.ZeroMemory(blob);
            return text;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <inheritdoc />
    public byte[] Sign(ReadOnlySpan<byte> text) => SignRaw(text);

    /// <summary>A cosigner (type 0x04) with the same key, timestamps from <paramref name="time"/>.</summary>
    /// <param name="time">The clock, or null for the system clock.</param>
    public INoteSigner AsCosigner(TimeProvider? time = null) => new CosignatureV1Signer(this, time ?? TimeProvider.System);

    /// <summary>The verifier key string for cosignatures (type 0x04) by this key.</summary>
    public string CosignatureVerifierKey => NoteKeys.FormatVerifierKey(Name, NoteSignatureType.CosignatureV1, _publicKey);

    internal byte[] SignRaw(ReadOnlySpan<byte> message) => _key is not null ? SignatureAlgorithm.Ed25519.Sign(_key, message) : _external!(message);

    /// <inheritdoc />
    public void Dispose() => _key?.Dispose();

    private sealed class CosignatureV1Signer(Ed25519NoteSigner key, TimeProvider time) : INoteSigner
    {
        public string Name => key.Name;

        public uint KeyId { get; } = NoteKeys.KeyId(key.Name, NoteSignatureType.CosignatureV1, key._publicKey);

        public byte[] Sign(ReadOnlySpan<byte> text)
        {
            var timestamp = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
            var signature = key.SignRaw(CosignatureV1Verifier.Message(timestamp, text));
            var result = new byte[8 + signature.Length];
            BinaryPrimitives.WriteUInt64BigEndian(result, timestamp);
            signature.CopyTo(result, 8);
            return result;
        }
    }
}

/// <summary>Verifies Ed25519 cosignature/v1 signatures (type 0x04).</summary>
public sealed class CosignatureV1Verifier : INoteVerifier
{
    private static readonly byte[] Header = "cosignature/v1\ntime "u8.ToArray();
    private readonly PublicKey _key;
    private readonly byte[] _raw;

    /// <summary>Creates the verifier for a 32-byte Ed25519 cosigner key.</summary>
    /// <param name="name">The cosigner name.</param>
    /// <param name="publicKey">The public key.</param>
    public CosignatureV1Verifier(string name, ReadOnlySpan<byte> publicKey)
    {
        if (!NoteKeys.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid key name.", nameof(name));
        }

        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            throw new FormatException("the Ed25519 public key is invalid");
        }

        _key = key;
        _raw = publicKey.ToArray();
        Name = name;
        KeyId = NoteKeys.KeyId(name, NoteSignatureType.CosignatureV1, publicKey);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public uint KeyId { get; }

    /// <inheritdoc />
    public NoteSignatureType Type => NoteSignatureType.CosignatureV1;

    /// <inheritdoc />
    public string VerifierKey => NoteKeys.FormatVerifierKey(Name, Type, _raw);

    /// <inheritdoc />
    public bool Verify(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 72)
        {
            return false;
        }

        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature);
        return timestamp <= long.MaxValue && SignatureAlgorithm.Ed25519.Verify(_key, Message(timestamp, text), signature[8..]);
    }

    /// <summary>The timestamp (POSIX seconds) of a timestamped cosignature (type 0x04 or 0x06), if long enough.</summary>
    /// <param name="signature">The signature bytes after the key ID.</param>
    /// <param name="timestamp">The timestamp.</param>
    public static bool TryReadTimestamp(ReadOnlySpan<byte> signature, out ulong timestamp)
    {
        timestamp = 0;
        if (signature.Length < 8)
        {
            return false;
        }

        timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature);
        return timestamp <= long.MaxValue;
    }

    internal static byte[] Message(ulong timestamp, ReadOnlySpan<byte> text)
    {
        var time = Encoding.ASCII.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "\n");
        var message = new byte[Header.Length + time.Length + text.Length];
        Header.CopyTo(message, 0);
        time.CopyTo(message, Header.Length);
        text.CopyTo(message.AsSpan(Header.Length + time.Length));
        return message;
    }
}

/// <summary>
/// An ML-DSA-44 key (BouncyCastle) that adds a post-quantum cosignature (type 0x06) to checkpoints,
/// alongside the Ed25519 signatures.
/// </summary>
public sealed class MlDsa44Cosigner : INoteSigner
{
    private readonly MLDsaPrivateKeyParameters _key;
    private readonly byte[] _publicKey;
    private readonly TimeProvider _time;

    private MlDsa44Cosigner(string name, MLDsaPrivateKeyParameters key, TimeProvider time)
    {
        _key = key;
        _publicKey = key.GetPublicKeyEncoded();
        _time = time;
        Name = name;
        KeyId = NoteKeys.KeyId(name, NoteSignatureType.MlDsa44Cosignature, _publicKey);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public uint KeyId { get; }

    /// <summary>The verifier key string (type 0x06, 1312-byte public key).</summary>
    public string VerifierKey => NoteKeys.FormatVerifierKey(Name, NoteSignatureType.MlDsa44Cosignature, _publicKey);

    /// <summary>Creates the cosigner from a 32-byte seed. Requires a valid name.</summary>
    /// <param name="name">The cosigner name.</param>
    /// <param name="seed">The FIPS 204 key-generation seed.</param>
    /// <param name="time">The clock, or null for the system clock.</param>
    public static MlDsa44Cosigner FromSeed(string name, ReadOnlySpan<byte> seed, TimeProvider? time = null)
    {
        if (!NoteKeys.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid key name.", nameof(name));
        }

        if (seed.Length != 32)
        {
            throw new ArgumentException("An ML-DSA seed is 32 bytes.", nameof(seed));
        }

        var copy = seed.ToArray();
        try
        {
            return new MlDsa44Cosigner(name, MLDsaPrivateKeyParameters.FromSeed(MLDsaParameters.ml_dsa_44, copy), time ?? TimeProvider.System);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    /// <summary>Generates a new cosigner key. Requires a valid name.</summary>
    /// <param name="name">The cosigner name.</param>
    /// <param name="time">The clock, or null for the system clock.</param>
    public static MlDsa44Cosigner Generate(string name, TimeProvider? time = null)
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        try
        {
            return FromSeed(name, seed, time);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>
    /// Signs the subtree/v1 message of the checkpoint in <paramref name="text"/>. Throws
    /// <see cref="ArgumentException"/> if the text is not a checkpoint.
    /// </summary>
    /// <param name="text">The checkpoint note text.</param>
    public byte[] Sign(ReadOnlySpan<byte> text)
    {
        if (!Checkpoint.TryParse(Encoding.UTF8.GetString(text), out var checkpoint, out var error))
        {
            throw new ArgumentException($"An ML-DSA cosignature needs a checkpoint: {error}.", nameof(text));
        }

        var timestamp = (ulong)_time.GetUtcNow().ToUnixTimeSeconds();
        var message = MlDsa44CosignatureVerifier.Message(Name, timestamp, checkpoint);
        var signer = new MLDsaSigner(MLDsaParameters.ml_dsa_44, deterministic: false);
        signer.Init(true, new ParametersWithRandom(_key, new SecureRandom()));
        signer.BlockUpdate(message);
        var signature = signer.GenerateSignature();
        var result = new byte[8 + signature.Length];
        BinaryPrimitives.WriteUInt64BigEndian(result, timestamp);
        signature.CopyTo(result, 8);
        return result;
    }
}

/// <summary>Verifies ML-DSA-44 cosignatures (type 0x06) over checkpoints.</summary>
public sealed class MlDsa44CosignatureVerifier : INoteVerifier
{
    private static readonly byte[] Label = "subtree/v1\n\0"u8.ToArray();
    private readonly MLDsaPublicKeyParameters _key;
    private readonly byte[] _raw;

    /// <summary>Creates the verifier for a 1312-byte ML-DSA-44 public key.</summary>
    /// <param name="name">The cosigner name.</param>
    /// <param name="publicKey">The encoded public key.</param>
    public MlDsa44CosignatureVerifier(string name, ReadOnlySpan<byte> publicKey)
    {
        if (!NoteKeys.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid key name.", nameof(name));
        }

        if (publicKey.Length != 1312)
        {
            throw new FormatException("an ML-DSA-44 public key is 1312 bytes");
        }

        _raw = publicKey.ToArray();
        _key = MLDsaPublicKeyParameters.FromEncoding(MLDsaParameters.ml_dsa_44, _raw);
        Name = name;
        KeyId = NoteKeys.KeyId(name, NoteSignatureType.MlDsa44Cosignature, publicKey);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public uint KeyId { get; }

    /// <inheritdoc />
    public NoteSignatureType Type => NoteSignatureType.MlDsa44Cosignature;

    /// <inheritdoc />
    public string VerifierKey => NoteKeys.FormatVerifierKey(Name, Type, _raw);

    /// <inheritdoc />
    public bool Verify(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 8 + 2420 || !Checkpoint.TryParse(Encoding.UTF8.GetString(text), out var checkpoint, out _))
        {
            return false;
        }

        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature);
        if (timestamp > long.MaxValue)
        {
            return false;
        }

        var verifier = new MLDsaSigner(MLDsaParameters.ml_dsa_44, deterministic: false);
        verifier.Init(false, _key);
        verifier.BlockUpdate(Message(Name, timestamp, checkpoint));
        return verifier.VerifySignature(signature[8..].ToArray());
    }

    // struct { u8 label[12]; opaque cosigner_name<1..255>; u64 timestamp; opaque log_origin<1..255>;
    //          u64 start; u64 end; u8 hash[32]; } with start = 0 and end = size for a checkpoint.
    internal static byte[] Message(string cosignerName, ulong timestamp, Checkpoint checkpoint)
    {
        var name = Encoding.UTF8.GetBytes(cosignerName);
        var origin = Encoding.UTF8.GetBytes(checkpoint.Origin);
        if (name.Length is 0 or > 255 || origin.Length is 0 or > 255)
        {
            throw new ArgumentException("Cosigner name and log origin must be 1 to 255 bytes.");
        }

        var message = new byte[Label.Length + 1 + name.Length + 8 + 1 + origin.Length + 8 + 8 + 32];
        var span = message.AsSpan();
        Label.CopyTo(span);
        span = span[Label.Length..];
        span[0] = (byte)name.Length;
        name.CopyTo(span[1..]);
        span = span[(1 + name.Length)..];
        BinaryPrimitives.WriteUInt64BigEndian(span, timestamp);
        span = span[8..];
        span[0] = (byte)origin.Length;
        origin.CopyTo(span[1..]);
        span = span[(1 + origin.Length)..];
        BinaryPrimitives.WriteUInt64BigEndian(span, 0);
        BinaryPrimitives.WriteUInt64BigEndian(span[8..], (ulong)checkpoint.Size);
        checkpoint.Root.WriteTo(span[16..]);
        return message;
    }
}
