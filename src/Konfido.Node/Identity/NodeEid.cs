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
    /// <summary>Loads the material <paramref name="settings"/> names.</summary>
    /// <exception cref="NodeConfigurationException">A file is missing or not what it should be.</exception>
    /// <param name="settings">The eID settings.</param>
    /// <param name="resolve">Resolves relative paths.</param>
    /// <param name="custody">The node's custody, for keys named <c>custody:id</c>.</param>
    public static NodeEidMaterial Load(EidSettings settings, Func<string, string> resolve, Custody.IKeyCustody? custody = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(resolve);
        var assertion = CustodyReferences.LoadCertificate(settings.AssertionSigningPfx, settings.Password, custody, resolve, "eid.assertionSigningPfx");
        if (assertion.GetECDsaPrivateKey() is null)
        {
            throw new NodeConfigurationException($"eid.assertionSigningPfx {settings.AssertionSigningPfx}: needs an ECDSA P-256 key (eHDSI assertions are signed with ecdsa-sha256)");
        }

        var spSigning = CustodyReferences.LoadCertificate(settings.SpSigningPfx, settings.Password, custody, resolve, "eid.spSigningPfx");
        var spEncryption = CustodyReferences.LoadCertificate(settings.SpEncryptionPfx, settings.Password, custody, resolve, "eid.spEncryptionPfx");
        using (var rsa = spEncryption.GetRSAPrivateKey())
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
            ProfessionalRegistry.Load(resolve(settings.Professionals)), AccessLevels.From(settings));
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
            XmlSigningKey.Create(material.SpSigning), material.SpEncryption,
            new TrustedCertificates([material.IdpCertificate ?? TestIdentityProvider!.SigningCertificate]), new InMemoryAssertionReplayCache(), events);
        SpTrust = new TrustedCertificates([material.SpSigning]);
        Issuer = new CrossBorderAssertionIssuer(cc, XmlSigningKey.Create(material.AssertionSigning));
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
