using System.Security.Cryptography;

namespace Konfido.Eid.Xml;

/// <summary>
/// The XML signature algorithms the eIDAS cryptographic requirements (v1.2, section 2.2) allow:
/// RSASSA-PSS with MGF1 (RFC 6931 section 2.3.10; salt length equal to the hash length, trailer
/// field 1) and ECDSA (RFC 6931 section 2.3.6, XML-DSig 1.1 section 6.4.3; the signature value is
/// r || s, each the size of the curve order). SHA-1 and RSA PKCS#1 v1.5 are not offered.
/// </summary>
public sealed class XmlSignatureAlgorithm
{
    private XmlSignatureAlgorithm(string uri, HashAlgorithmName hash, bool isEcdsa, string digestUri)
    {
        Uri = uri;
        Hash = hash;
        IsEcdsa = isEcdsa;
        DigestUri = digestUri;
    }

    /// <summary>RSASSA-PSS, MGF1 with SHA-256.</summary>
    public static XmlSignatureAlgorithm RsaPssSha256 { get; } = new("http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1", HashAlgorithmName.SHA256, false, XmlNames.Sha256);

    /// <summary>RSASSA-PSS, MGF1 with SHA-384.</summary>
    public static XmlSignatureAlgorithm RsaPssSha384 { get; } = new("http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1", HashAlgorithmName.SHA384, false, XmlNames.Sha384);

    /// <summary>RSASSA-PSS, MGF1 with SHA-512.</summary>
    public static XmlSignatureAlgorithm RsaPssSha512 { get; } = new("http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1", HashAlgorithmName.SHA512, false, XmlNames.Sha512);

    /// <summary>ECDSA with SHA-256.</summary>
    public static XmlSignatureAlgorithm EcdsaSha256 { get; } = new("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", HashAlgorithmName.SHA256, true, XmlNames.Sha256);

    /// <summary>ECDSA with SHA-384.</summary>
    public static XmlSignatureAlgorithm EcdsaSha384 { get; } = new("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", HashAlgorithmName.SHA384, true, XmlNames.Sha384);

    /// <summary>ECDSA with SHA-512.</summary>
    public static XmlSignatureAlgorithm EcdsaSha512 { get; } = new("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", HashAlgorithmName.SHA512, true, XmlNames.Sha512);

    /// <summary>Every allowed algorithm.</summary>
    public static IReadOnlyList<XmlSignatureAlgorithm> All { get; } = [RsaPssSha256, RsaPssSha384, RsaPssSha512, EcdsaSha256, EcdsaSha384, EcdsaSha512];

    /// <summary>The <c>SignatureMethod/@Algorithm</c> identifier.</summary>
    public string Uri { get; }

    /// <summary>The hash the signature is computed over.</summary>
    public HashAlgorithmName Hash { get; }

    /// <summary>True for ECDSA, false for RSA-PSS.</summary>
    public bool IsEcdsa { get; }

    /// <summary>The digest method used for references when signing with this algorithm.</summary>
    public string DigestUri { get; }

    /// <summary>The allowed algorithm named <paramref name="uri"/>, or null if it is not allowed.</summary>
    /// <param name="uri">A <c>SignatureMethod/@Algorithm</c> value.</param>
    public static XmlSignatureAlgorithm? FromUri(string? uri)
    {
        foreach (var a in All)
        {
            if (string.Equals(a.Uri, uri, StringComparison.Ordinal))
            {
                return a;
            }
        }

        return null;
    }

    /// <summary>The hash for an allowed <c>DigestMethod</c>, or null (SHA-1 and unknown digests are refused).</summary>
    internal static HashAlgorithmName? DigestFromUri(string? uri) => uri switch
    {
        XmlNames.Sha256 => HashAlgorithmName.SHA256,
        XmlNames.Sha384 => HashAlgorithmName.SHA384,
        XmlNames.Sha512 => HashAlgorithmName.SHA512,
        _ => null,
    };

    /// <inheritdoc />
    public override string ToString() => Uri;
}
