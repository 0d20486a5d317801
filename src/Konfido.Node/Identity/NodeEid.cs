using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Konfido.Core;
using Konfido.Eid.CrossBorder;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Node;

/// <summary>
/// What a node needs for eIDAS login and the cross-border assertions, loaded from
/// <see cref="EidSettings"/>: certificates with their keys, the professional registry, and the
/// national eIDAS node to trust (or none, for the embedded test eIDAS node).
/// </summary>
/// <param name="AssertionSigning">Signs HCP and TRC assertions (its certificate is in the trust list).</param>
/// <param name="SpSigning">Signs AuthnRequests.</param>
/// <param name="SpEncryption">RSA certificate eIDAS nodes encrypt assertions to.</param>
/// <param name="IdpCertificate">The national eIDAS node's signing certificate, or null for the embedded test node.</param>
/// <param name="IdpSsoUrl">The national eIDAS node's single-sign-on URL, or null for the embedded test node.</param>
/// <param name="Registry">The professional registry.</param>
/// <param name="Levels">The levels of assurance this node requires per transaction (as country A).</param>
public sealed record NodeEidMaterial(X509Certificate2 AssertionSigning, X509Certificate2 SpSigning, X509Certificate2 SpEncryption,
    X509Certificate2? IdpCertificate, string? IdpSsoUrl, ProfessionalRegistry Registry, AccessLevels Levels)
{
    /// <summary>The key that signs assertions when it is held in custody (<see cref="Custody.CustodyECDsa"/>); null: the private key of <see cref="AssertionSigning"/>.</summary>
    public ECDsa? AssertionKey { get; init; }

    /// <summary>The key that signs AuthnRequests when it is held in custody; null: the private key of <see cref="SpSigning"/>.</summary>
    public ECDsa? SpSigningKey { get; init; }

    /// <summary>The key that decrypts assertions when it is held in custody (<see cref="CustodyPkcs12Rsa"/>); null: the private key of <see cref="SpEncryption"/>.</summary>
    public RSA? SpDecryptionKey { get; init; }

    /// <summary>Loads the material <paramref name="settings"/> names.</summary>
    /// <exception cref="NodeConfigurationException">A file is missing or not what it should be.</exception>
    /// <param name="settings">The eID settings.</param>
    /// <param name="resolve">Resolves relative paths.</param>
    /// <param name="custody">The node's custody, for keys named <c>custody:id</c>.</param>
    public static NodeEidMaterial Load(EidSettings settings, Func<string, string> resolve, Custody.IKeyCustody? custody = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(resolve);
        var (assertion, assertionKey) = LoadSigning(settings.AssertionSigningPfx, settings.Password, custody, resolve, "eid.assertionSigningPfx");
        if (assertionKey is null && assertion.GetECDsaPrivateKey() is null)
        {
            throw new NodeConfigurationException($"eid.assertionSigningPfx {settings.AssertionSigningPfx}: needs an ECDSA P-256 key (eHDSI assertions are signed with ecdsa-sha256)");
        }

        var (spSigning, spSigningKey) = LoadSigning(settings.SpSigningPfx, settings.Password, custody, resolve, "eid.spSigningPfx");
        X509Certificate2 spEncryption;
        RSA? spDecryption = null;
        if (CustodyReferences.IsReference(settings.SpEncryptionPfx) && custody is not null
            && Custody.CustodyKeyId.TryParse(settings.SpEncryptionPfx[CustodyReferences.Prefix.Length..], out var rsaId, out _)
            && custody.FindKey(rsaId) is { Kind: Custody.CustodyKeyKind.Secret, IsDestroyed: false })
        {
            // The RSA key stays a custody secret, opened for each decryption only.
            spDecryption = new CustodyPkcs12Rsa(custody, rsaId, out spEncryption);
        }
        else
        {
            spEncryption = CustodyReferences.LoadCertificate(settings.SpEncryptionPfx, settings.Password, custody, resolve, "eid.spEncryptionPfx");
        }

        using (var rsa = spDecryption is null ? spEncryption.GetRSAPrivateKey() : spEncryption.GetRSAPublicKey())
        {
            if (rsa is null || rsa.KeySize < 3072)
            {
                throw new NodeConfigurationException($"eid.spEncryptionPfx {settings.SpEncryptionPfx}: needs an RSA key of at least 3072 bits (eIDAS cryptographic requirements)");
            }
        }

        X509Certificate2? idp = null;
        if (settings.IdpCertificate is { } idpPath)
        {
            try
            {
                idp = X509Certificate2.CreateFromPem(File.ReadAllText(resolve(idpPath)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new NodeConfigurationException($"eid.idpCertificate {idpPath}: {ex.Message}", ex);
            }
        }

        return new NodeEidMaterial(assertion, spSigning, spEncryption, idp, settings.IdpSsoUrl,
            ProfessionalRegistry.Load(resolve(settings.Professionals)), AccessLevels.From(settings))
        {
            AssertionKey = assertionKey,
            SpSigningKey = spSigningKey,
            SpDecryptionKey = spDecryption,
        };
    }

    /// <summary>A signing certificate: with its key in custody (the key signs through custody) or, for a PKCS#12 file or
    /// secret, with its private key in the certificate (the key is null).</summary>
    private static (X509Certificate2 Certificate, ECDsa? Key) LoadSigning(string setting, string? password, Custody.IKeyCustody? custody, Func<string, string> resolve, string field)
    {
        if (CustodyReferences.IsReference(setting) && custody is not null
            && Custody.CustodyKeyId.TryParse(setting[CustodyReferences.Prefix.Length..], out var id, out _) && CustodyCertificates.Exists(custody, id))
        {
            var (certificate, key) = CustodyCertificates.Load(custody, id);
            return (certificate, key);
        }

        return (CustodyReferences.LoadCertificate(setting, password, custody, resolve, field), null);
    }
}

/// <summary>
/// The eID side of a running node: the eIDAS service provider (and the embedded test eIDAS node
/// when no national one is configured), the professional sessions, and the issuer of HCP and TRC
/// assertions for this country's professionals.
/// </summary>
public sealed class NodeEid
{
    internal NodeEid(string country, Uri localUri, NodeEidMaterial material, ISecurityEventSink events)
    {
        var cc = CountryCode.Parse(country);
        Material = material;
        var acs = new Uri(localUri, "saml/acs").AbsoluteUri;
        if (material.IdpCertificate is null)
        {
            TestIdentityProvider = TestEidasIdentityProvider.CreateEphemeral(cc);
            IdpSsoUrl = new Uri(localUri, "eidas/sso").AbsoluteUri;
        }
        else
        {
            IdpSsoUrl = material.IdpSsoUrl!;
        }

        ServiceProvider = new EidasServiceProvider(new EidasServiceProviderOptions(cc, new Uri(localUri, "saml/metadata").AbsoluteUri, acs),
            material.SpSigningKey is { } spKey ? XmlSigningKey.Create(material.SpSigning, spKey) : XmlSigningKey.Create(material.SpSigning),
            material.SpEncryption, material.SpDecryptionKey ?? material.SpEncryption.GetRSAPrivateKey()!,
            new TrustedCertificates([material.IdpCertificate ?? TestIdentityProvider!.SigningCertificate]), new InMemoryAssertionReplayCache(), events);
        SpTrust = new TrustedCertificates([material.SpSigning]);
        Issuer = new CrossBorderAssertionIssuer(cc, material.AssertionKey is { } assertionKey
            ? XmlSigningKey.Create(material.AssertionSigning, assertionKey)
            : XmlSigningKey.Create(material.AssertionSigning));
    }

    /// <summary>The loaded material.</summary>
    public NodeEidMaterial Material { get; }

    /// <summary>The eIDAS service provider.</summary>
    public EidasServiceProvider ServiceProvider { get; }

    /// <summary>The embedded test eIDAS node, or null when a national one is configured.</summary>
    public TestEidasIdentityProvider? TestIdentityProvider { get; }

    /// <summary>Where AuthnRequests are posted.</summary>
    public string IdpSsoUrl { get; }

    /// <summary>The SP's signing certificate as the embedded eIDAS node trusts it.</summary>
    internal TrustedCertificates SpTrust { get; }

    /// <summary>Issues HCP and TRC assertions for this country's professionals.</summary>
    public CrossBorderAssertionIssuer Issuer { get; }

    /// <summary>The TRCs issued, reused per HCP assertion, patient and purpose.</summary>
    internal TrcCache Trcs { get; } = new();

    /// <summary>The live sessions.</summary>
    public ProfessionalSessions Sessions { get; } = new();
}
