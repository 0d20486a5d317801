using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Konfido.Custody;
using Konfido.Ledger.Notes;

namespace Konfido.Node;

/// <summary>
/// Key settings that name a key in the node's custody instead of a file: <c>custody:&lt;key id&gt;</c>
/// (e.g. <c>"pfx": "custody:konfido.node/tls"</c>). Certificates with their private keys are PKCS#12
/// secrets in custody, opened with ephemeral key storage so that the key is never written to disk;
/// ledger and witness keys are Ed25519 custody keys that sign through the custody and never leave it.
/// </summary>
public static class CustodyReferences
{
    /// <summary>The prefix of a setting naming a custody key.</summary>
    public const string Prefix = "custody:";

    /// <summary>Custody key id of the ledger's log key (Ed25519).</summary>
    public const string LedgerLogKeyId = "konfido.node/ledger-log";

    /// <summary>Custody key id of the ledger's witness key (Ed25519).</summary>
    public const string LedgerWitnessKeyId = "konfido.node/ledger-witness";

    /// <summary>Custody key id of the certificate and key that sign the node's cross-border assertions (PKCS#12 secret).</summary>
    public const string AssertionKeyId = "konfido.node/eid-assertion";

    /// <summary>Custody key id of the eIDAS service provider's signing certificate and key (PKCS#12 secret).</summary>
    public const string SpSigningKeyId = "konfido.node/eid-sp-signing";

    /// <summary>Custody key id of the eIDAS service provider's RSA decryption certificate and key (PKCS#12 secret).</summary>
    public const string SpEncryptionKeyId = "konfido.node/eid-sp-encryption";

    /// <summary>Custody key id of the CA key (ECDSA P-256, with its certificate beside it) that issues the node's short-lived TLS certificates.</summary>
    public const string TlsIssuerKeyId = "konfido.node/tls-issuer";

    /// <summary>Custody key id of the node's payload key (ECDH P-256): peers seal clinical answers for it.</summary>
    public const string PayloadKeyId = "konfido.node/payload";

    /// <summary>Custody key id of the federation's patient-pseudonymisation key (a secret shared by every member, imported).</summary>
    public const string PseudonymKeyId = "konfido.federation/pseudonym";

    /// <summary>True if <paramref name="setting"/> names a custody key.</summary>
    /// <param name="setting">A key setting's value.</param>
    public static bool IsReference(string? setting) => setting is not null && setting.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The setting value naming custody key <paramref name="id"/>.</summary>
    /// <param name="id">The key id.</param>
    public static string Of(string id) => Prefix + id;

    /// <summary>
    /// Takes custody of <paramref name="certificate"/> and its private key as PKCS#12 secret <paramref name="id"/>
    /// (the caller disposes its copy). Requires a certificate with a private key and an unused id.
    /// </summary>
    /// <param name="custody">The node's custody.</param>
    /// <param name="id">The secret's id.</param>
    /// <param name="certificate">The certificate with its private key.</param>
    public static CustodyKeyInfo ImportCertificate(IKeyCustody custody, string id, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(custody);
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("The certificate has no private key.", nameof(certificate));
        }

        // The PKCS#12 is protected by the custody's sealing, not by a password.
        var pfx = certificate.Export(X509ContentType.Pkcs12);
        try
        {
            return custody.ImportSecret(CustodyKeyId.Parse(id), pfx);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    /// <summary>
    /// Loads the certificate and private key a setting names: a custody secret (<c>custody:id</c>) or a
    /// PKCS#12 file (resolved by <paramref name="resolve"/>, opened with <paramref name="password"/>).
    /// </summary>
    /// <param name="setting">The setting's value.</param>
    /// <param name="password">The file's password (not used for custody secrets).</param>
    /// <param name="custody">The node's custody, or null if it has none.</param>
    /// <param name="resolve">Resolves a relative file path.</param>
    /// <param name="field">The setting's name, for errors.</param>
    /// <exception cref="NodeConfigurationException">The key or file is missing or unreadable.</exception>
    public static X509Certificate2 LoadCertificate(string setting, string? password, IKeyCustody? custody, Func<string, string> resolve, string field)
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(resolve);
        if (!IsReference(setting))
        {
            var path = resolve(setting);
            try
            {
                return X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new NodeConfigurationException($"{field} {path}: {ex.Message}", ex);
            }
        }

        var id = Find(custody, setting, field, CustodyKeyKind.Secret);
        try
        {
            return custody!.UseSecret(id, 0, static (secret, _) => X509CertificateLoader.LoadPkcs12(secret, null, X509KeyStorageFlags.EphemeralKeySet));
        }
        catch (CryptographicException ex)
        {
            throw new NodeConfigurationException($"{field} {setting}: the custody secret is not a PKCS#12 certificate and key: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// HMAC-SHA-256 under the custody secret a reference (<c>custody:id</c>) names, computed inside
    /// <see cref="IKeyCustody.UseSecret{TState, TResult}"/> for each call: the caller never holds the key.
    /// </summary>
    /// <param name="setting">The setting's value (a reference).</param>
    /// <param name="custody">The node's custody.</param>
    /// <param name="field">The setting's name, for errors.</param>
    /// <exception cref="NodeConfigurationException">The custody has no such secret.</exception>
    public static Core.KeyedHash KeyedHash(string setting, IKeyCustody? custody, string field)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var id = Find(custody, setting, field, CustodyKeyKind.Secret);
        var held = custody!;
        return (data, mac) => held.UseSecret(id, data.ToArray(), static (secret, message) => HMACSHA256.HashData(secret, message)).CopyTo(mac);
    }

    /// <summary>The ledger's pseudonymiser for the key a setting names: through custody for a reference, holding the key read from a hex file otherwise.</summary>
    /// <param name="setting">The setting's value.</param>
    /// <param name="custody">The node's custody, or null if it has none.</param>
    /// <param name="resolve">Resolves a relative file path.</param>
    /// <param name="field">The setting's name, for errors.</param>
    public static Ledger.Log.PatientPseudonymiser LedgerPseudonymiser(string setting, IKeyCustody? custody, Func<string, string> resolve, string field) =>
        Pseudonymiser(setting, custody, resolve, field, hash => new Ledger.Log.PatientPseudonymiser(hash), key => new Ledger.Log.PatientPseudonymiser(key));

    /// <summary>The SIEM's pseudonymiser for the key a setting names, as <see cref="LedgerPseudonymiser"/>.</summary>
    /// <param name="setting">The setting's value.</param>
    /// <param name="custody">The node's custody, or null if it has none.</param>
    /// <param name="resolve">Resolves a relative file path.</param>
    /// <param name="field">The setting's name, for errors.</param>
    public static Siem.Parsing.PatientPseudonymiser SiemPseudonymiser(string setting, IKeyCustody? custody, Func<string, string> resolve, string field) =>
        Pseudonymiser(setting, custody, resolve, field, hash => new Siem.Parsing.PatientPseudonymiser(hash), key => new Siem.Parsing.PatientPseudonymiser(key));

    private static T Pseudonymiser<T>(string setting, IKeyCustody? custody, Func<string, string> resolve, string field, Func<Core.KeyedHash, T> throughCustody, Func<byte[], T> holdingKey)
    {
        if (IsReference(setting))
        {
            return throughCustody(KeyedHash(setting, custody, field));
        }

        var key = ReadSecret(setting, custody, resolve, field);
        try
        {
            return holdingKey(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// The secret key bytes a setting names: a custody secret (<c>custody:id</c>) or a hex file. The caller
    /// zeroises the returned array once it has handed the key to its user.
    /// </summary>
    /// <param name="setting">The setting's value.</param>
    /// <param name="custody">The node's custody, or null if it has none.</param>
    /// <param name="resolve">Resolves a relative file path.</param>
    /// <param name="field">The setting's name, for errors.</param>
    /// <exception cref="NodeConfigurationException">The key or file is missing or unreadable.</exception>
    public static byte[] ReadSecret(string setting, IKeyCustody? custody, Func<string, string> resolve, string field)
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(resolve);
        if (!IsReference(setting))
        {
            return NodeLauncher.ReadHexKey(resolve(setting), field);
        }

        var id = Find(custody, setting, field, CustodyKeyKind.Secret);
        return custody!.UseSecret(id, 0, static (secret, _) => secret.ToArray());
    }

    /// <summary>
    /// The ledger signer a setting names: an Ed25519 custody key (<c>custody:id</c>), which signs inside
    /// the custody, or a C2SP signer-key file.
    /// </summary>
    /// <param name="setting">The setting's value.</param>
    /// <param name="name">The note key name (log origin or witness name) for a custody key.</param>
    /// <param name="custody">The node's custody, or null if it has none.</param>
    /// <param name="resolve">Resolves a relative file path.</param>
    /// <param name="field">The setting's name, for errors.</param>
    /// <exception cref="NodeConfigurationException">The key or file is missing or unreadable.</exception>
    public static Ed25519NoteSigner LoadNoteSigner(string setting, string name, IKeyCustody? custody, Func<string, string> resolve, string field)
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(resolve);
        if (!IsReference(setting))
        {
            return NodeLedger.ReadSigner(resolve(setting), field);
        }

        var id = Find(custody, setting, field, CustodyKeyKind.Ed25519Signing);
        var key = custody!.FindKey(id)!;
        return Ed25519NoteSigner.FromExternal(name, key.PublicKey.Span, message => custody.Sign(id, message));
    }

    /// <summary>Creates (or finds, on a re-run) Ed25519 custody key <paramref name="id"/> and returns its note verifier key.</summary>
    /// <param name="custody">The node's custody.</param>
    /// <param name="id">The key id.</param>
    /// <param name="name">The note key name.</param>
    /// <param name="cosignature">True for the cosignature (witness) verifier key, false for the note-signature (log) one.</param>
    public static string EnsureNoteKey(IKeyCustody custody, string id, string name, bool cosignature)
    {
        ArgumentNullException.ThrowIfNull(custody);
        var keyId = CustodyKeyId.Parse(id);
        var key = custody.FindKey(keyId) is { IsDestroyed: false } found ? found : custody.CreateKey(keyId, CustodyKeyKind.Ed25519Signing);
        using var signer = Ed25519NoteSigner.FromExternal(name, key.PublicKey.Span, message => custody.Sign(keyId, message));
        return cosignature ? signer.CosignatureVerifierKey : signer.VerifierKey;
    }

    /// <summary>Resolves the <c>payloadKey</c> setting: null if unset; otherwise the ECDH key it names in custody (a
    /// <see cref="NodeConfigurationException"/> if it is not a custody reference to a live ECDH P-256 key).</summary>
    /// <param name="setting">The setting.</param>
    /// <param name="custody">The node's custody.</param>
    public static CustodyKeyInfo? PayloadKey(string? setting, IKeyCustody? custody)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return null;
        }

        if (!IsReference(setting))
        {
            throw new NodeConfigurationException($"'payloadKey' {setting}: the payload key can only live in custody ({Prefix}<key id>)");
        }

        return custody!.FindKey(Find(custody, setting, "payloadKey", CustodyKeyKind.EcdhP256KeyAgreement));
    }

    /// <summary>A custody certificate a setting names (<see cref="CustodyCertificates"/>): its certificate and its key, which
    /// signs through custody. A <see cref="NodeConfigurationException"/> names <paramref name="field"/> if it is missing.</summary>
    /// <param name="setting">The setting (<c>custody:&lt;id&gt;</c>).</param>
    /// <param name="custody">The node's custody.</param>
    /// <param name="field">The setting's name, for errors.</param>
    public static (X509Certificate2 Certificate, CustodyECDsa Key) LoadCustodyCertificate(string setting, IKeyCustody? custody, string field)
    {
        var id = Find(custody, setting, field, CustodyKeyKind.EcdsaP256Signing);
        if (!CustodyCertificates.Exists(custody!, id))
        {
            throw new NodeConfigurationException($"'{field}' {setting}: the custody key has no certificate beside it");
        }

        return CustodyCertificates.Load(custody!, id);
    }

    private static CustodyKeyId Find(IKeyCustody? custody, string setting, string field, CustodyKeyKind kind)
    {
        if (custody is null)
        {
            throw new NodeConfigurationException($"'{field}' {setting} names a custody key, but the node has no 'custody' section");
        }

        if (!CustodyKeyId.TryParse(setting[Prefix.Length..], out var id, out var reason))
        {
            throw new NodeConfigurationException($"'{field}' {setting}: {reason}");
        }

        var key = custody.FindKey(id);
        if (key is null || key.IsDestroyed)
        {
            throw new NodeConfigurationException($"'{field}' {setting}: no such key in the node's custody");
        }

        if (key.Kind != kind)
        {
            throw new NodeConfigurationException($"'{field}' {setting}: the custody key is {CustodyKeyKinds.Name(key.Kind)}, not {CustodyKeyKinds.Name(kind)}");
        }

        return id;
    }
}
