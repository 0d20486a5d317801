using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml;

namespace Konfido.Eid.Xml;

/// <summary>
/// Enveloped XML signatures over one element identified by an <c>ID</c> attribute, the profile
/// SAML 2.0 uses (SAML core section 5.4): one <c>Reference</c> with <c>URI="#id"</c>, the
/// enveloped-signature and exc-c14n transforms, exc-c14n for <c>SignedInfo</c>.
/// References: XML Signature Syntax and Processing 1.1 (W3C, 2013) sections 3.1-3.2 (core
/// generation and validation), RFC 6931 (algorithm identifiers).
/// </summary>
/// <remarks>
/// <para>
/// .NET's <c>SignedXml</c> finds the signature algorithm through the process-wide
/// <c>CryptoConfig</c> table and resolves references by a document-wide ID search that accepts
/// several id attribute names. Registering RSA-PSS and ECDSA there would mutate process-global
/// state, and the signature-wrapping defences need full control of reference resolution, so the
/// profile is implemented here on the platform's exc-c14n transform and signature primitives.
/// </para>
/// <para>
/// Verification is strict: exactly one reference, to the element that is the signature's parent;
/// the ID must be unique in the whole document; only the allowed algorithms; the signing
/// certificate must be trusted and strong enough.
/// </para>
/// </remarks>
public static class XmlSignature
{
    /// <summary>
    /// Signs <paramref name="element"/> (which must carry a non-empty <c>ID</c> attribute) with an
    /// enveloped signature inserted right after <paramref name="insertAfter"/> (a child of the
    /// element, e.g. its <c>Issuer</c>) or as its first child when that is null.
    /// </summary>
    /// <param name="element">The element to sign, inside its final document.</param>
    /// <param name="key">The signing key.</param>
    /// <param name="insertAfter">The child after which the signature goes, or null.</param>
    /// <returns>The <c>ds:Signature</c> element.</returns>
    public static XmlElement SignEnveloped(XmlElement element, XmlSigningKey key, XmlElement? insertAfter)
    {
        ArgumentNullException.ThrowIfNull(element);
        ArgumentNullException.ThrowIfNull(key);
        var id = element.GetAttribute("ID");
        if (id.Length == 0)
        {
            throw new ArgumentException("The element has no ID attribute.", nameof(element));
        }

        if (insertAfter is not null && !ReferenceEquals(insertAfter.ParentNode, element))
        {
            throw new ArgumentException("insertAfter must be a child of the element.", nameof(insertAfter));
        }

        var digestHash = XmlSignatureAlgorithm.DigestFromUri(key.Algorithm.DigestUri)!.Value;
        var digest = Canonical.Digest(element, null, null, digestHash);

        var doc = element.OwnerDocument;
        var signature = doc.CreateElement("ds", "Signature", XmlNames.DSig);
        var signedInfo = Append(signature, "SignedInfo");
        Append(signedInfo, "CanonicalizationMethod").SetAttribute("Algorithm", XmlNames.ExcC14N);
        Append(signedInfo, "SignatureMethod").SetAttribute("Algorithm", key.Algorithm.Uri);
        var reference = Append(signedInfo, "Reference");
        reference.SetAttribute("URI", "#" + id);
        var transforms = Append(reference, "Transforms");
        Append(transforms, "Transform").SetAttribute("Algorithm", XmlNames.Enveloped);
        Append(transforms, "Transform").SetAttribute("Algorithm", XmlNames.ExcC14N);
        Append(reference, "DigestMethod").SetAttribute("Algorithm", key.Algorithm.DigestUri);
        Append(reference, "DigestValue").InnerText = Convert.ToBase64String(digest);
        var signatureValue = Append(signature, "SignatureValue");
        var x509 = Append(Append(Append(signature, "KeyInfo"), "X509Data"), "X509Certificate");
        x509.InnerText = Convert.ToBase64String(key.Certificate.RawData);

        if (insertAfter is null)
        {
            element.PrependChild(signature);
        }
        else
        {
            element.InsertAfter(signature, insertAfter);
        }

        var signedInfoBytes = Canonical.Bytes(signedInfo, null, null);
        signatureValue.InnerText = Convert.ToBase64String(key.Sign(signedInfoBytes));
        return signature;
    }

    /// <summary>
    /// The enveloped signatures that are direct children of <paramref name="element"/>.
    /// </summary>
    /// <param name="element">A possibly signed element.</param>
    public static IReadOnlyList<XmlElement> DirectSignatures(XmlElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        List<XmlElement>? found = null;
        foreach (XmlNode child in element.ChildNodes)
        {
            if (child is XmlElement e && e.LocalName == "Signature" && e.NamespaceURI == XmlNames.DSig)
            {
                (found ??= []).Add(e);
            }
        }

        return found is null ? [] : found;
    }

    /// <summary>
    /// Verifies the enveloped signature that is a direct child of <paramref name="element"/> and
    /// must reference exactly that element. A failed check is a result, never an exception.
    /// </summary>
    /// <param name="element">The element claimed to be signed.</param>
    /// <param name="trust">The trusted signing certificates.</param>
    public static XmlSignatureCheck VerifyEnveloped(XmlElement element, TrustedCertificates trust)
    {
        ArgumentNullException.ThrowIfNull(element);
        ArgumentNullException.ThrowIfNull(trust);
        var signatures = DirectSignatures(element);
        if (signatures.Count == 0)
        {
            return XmlSignatureCheck.Fail($"{element.LocalName} is not signed");
        }

        if (signatures.Count > 1)
        {
            return XmlSignatureCheck.Fail($"{element.LocalName} carries more than one signature");
        }

        try
        {
            return Verify(element, signatures[0], trust);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or XmlException)
        {
            return XmlSignatureCheck.Fail($"signature on {element.LocalName} is malformed: {ex.Message}");
        }
    }

    private static XmlSignatureCheck Verify(XmlElement element, XmlElement signature, TrustedCertificates trust)
    {
        var signedInfo = SingleChild(signature, "SignedInfo");
        var signatureValue = SingleChild(signature, "SignatureValue");
        if (signedInfo is null || signatureValue is null)
        {
            return XmlSignatureCheck.Fail("signature lacks exactly one SignedInfo and SignatureValue");
        }

        var c14nMethod = SingleChild(signedInfo, "CanonicalizationMethod");
        var c14n = c14nMethod?.GetAttribute("Algorithm");
        if (c14n != XmlNames.ExcC14N)
        {
            return XmlSignatureCheck.Fail($"canonicalization method '{c14n}' is not allowed (only exclusive c14n without comments)");
        }

        var methodUri = SingleChild(signedInfo, "SignatureMethod")?.GetAttribute("Algorithm");
        var algorithm = XmlSignatureAlgorithm.FromUri(methodUri);
        if (algorithm is null)
        {
            return XmlSignatureCheck.Fail($"signature algorithm '{methodUri}' is not allowed (weak or not an eIDAS algorithm: only RSA-PSS and ECDSA with SHA-2)");
        }

        var references = Children(signedInfo, "Reference");
        if (references.Count != 1)
        {
            return XmlSignatureCheck.Fail($"signature has {references.Count} references; exactly one is required");
        }

        var reference = references[0];
        var uri = reference.GetAttribute("URI");
        if (uri.Length < 2 || uri[0] != '#')
        {
            return XmlSignatureCheck.Fail($"reference URI '{uri}' is not a same-document ID reference");
        }

        var id = uri[1..];
        var idCount = CountIds(element.OwnerDocument.DocumentElement!, id);
        if (idCount > 1)
        {
            return XmlSignatureCheck.Fail($"ID '{id}' occurs {idCount} times in the message (signature wrapping)");
        }

        if (element.GetAttribute("ID") != id)
        {
            return XmlSignatureCheck.Fail($"signature references '#{id}', not the {element.LocalName} that carries it (signature wrapping)");
        }

        var transforms = SingleChild(reference, "Transforms");
        var transformList = transforms is null ? [] : Children(transforms, "Transform");
        if (transformList.Count != 2 || transformList[0].GetAttribute("Algorithm") != XmlNames.Enveloped || transformList[1].GetAttribute("Algorithm") != XmlNames.ExcC14N)
        {
            return XmlSignatureCheck.Fail("reference transforms must be exactly enveloped-signature then exclusive c14n");
        }

        var inclusivePrefixes = InclusivePrefixes(transformList[1]);

        var digestUri = SingleChild(reference, "DigestMethod")?.GetAttribute("Algorithm");
        var digestHash = XmlSignatureAlgorithm.DigestFromUri(digestUri);
        if (digestHash is null)
        {
            return XmlSignatureCheck.Fail($"digest algorithm '{digestUri}' is not allowed (SHA-256 or stronger required)");
        }

        var anchor = FindSigner(signature, trust, out var keyReason);
        if (anchor is null)
        {
            return XmlSignatureCheck.Fail(keyReason!);
        }

        var weakness = anchor.Weakness(algorithm);
        if (weakness is not null)
        {
            return XmlSignatureCheck.Fail(weakness);
        }

        var expectedDigest = Convert.FromBase64String(SingleChild(reference, "DigestValue")?.InnerText.Trim() ?? string.Empty);
        var actualDigest = Canonical.Digest(element, signature, inclusivePrefixes, digestHash.Value);
        if (!CryptographicOperations.FixedTimeEquals(expectedDigest, actualDigest))
        {
            return XmlSignatureCheck.Fail($"digest of {element.LocalName} '{id}' does not match: the signed content was altered");
        }

        var signedInfoBytes = Canonical.Bytes(signedInfo, null, InclusivePrefixes(c14nMethod!));
        var value = Convert.FromBase64String(signatureValue.InnerText.Trim());
        if (!anchor.Verify(algorithm, signedInfoBytes, value))
        {
            return XmlSignatureCheck.Fail($"signature value on {element.LocalName} '{id}' does not verify");
        }

        return XmlSignatureCheck.Success(anchor.Certificate, algorithm);
    }

    private static string? InclusivePrefixes(XmlElement method)
    {
        foreach (XmlNode n in method.ChildNodes)
        {
            if (n is XmlElement { LocalName: "InclusiveNamespaces" } inc && inc.NamespaceURI == XmlNames.ExcC14N)
            {
                return inc.GetAttribute("PrefixList");
            }
        }

        return null;
    }

    private static TrustAnchor? FindSigner(XmlElement signature, TrustedCertificates trust, out string? reason)
    {
        var certText = SingleChild(SingleChild(SingleChild(signature, "KeyInfo"), "X509Data"), "X509Certificate")?.InnerText;
        if (certText is not null)
        {
            var anchor = trust.Find(Convert.FromBase64String(certText.Trim()));
            reason = anchor is null ? "signing certificate is not trusted" : null;
            return anchor;
        }

        // No certificate in KeyInfo: only a single trusted key can be meant unambiguously.
        if (trust.Anchors.Count == 1)
        {
            reason = null;
            return trust.Anchors[0];
        }

        reason = trust.Anchors.Count == 0 ? "no trusted signing certificate is configured" : "signature names no certificate and several keys are trusted";
        return null;
    }

    private static int CountIds(XmlElement root, string id)
    {
        // Every attribute a processor might treat as an ID counts, so no second element can
        // shadow the signed one under another id attribute name.
        var count = 0;
        var stack = new Stack<XmlElement>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            foreach (XmlAttribute a in e.Attributes)
            {
                if (a.Value == id && (a.LocalName is "ID" or "Id" or "id") && (a.NamespaceURI.Length == 0 || a.LocalName == "id"))
                {
                    count++;
                }
            }

            foreach (XmlNode child in e.ChildNodes)
            {
                if (child is XmlElement c)
                {
                    stack.Push(c);
                }
            }
        }

        return count;
    }

    private static XmlElement Append(XmlElement parent, string localName)
    {
        var child = parent.OwnerDocument.CreateElement("ds", localName, XmlNames.DSig);
        parent.AppendChild(child);
        return child;
    }

    internal static XmlElement? SingleChild(XmlElement? parent, string localName)
    {
        if (parent is null)
        {
            return null;
        }

        var list = Children(parent, localName);
        return list.Count == 1 ? list[0] : null;
    }

    private static List<XmlElement> Children(XmlElement parent, string localName)
    {
        var list = new List<XmlElement>(2);
        foreach (XmlNode n in parent.ChildNodes)
        {
            if (n is XmlElement e && e.LocalName == localName && e.NamespaceURI == XmlNames.DSig)
            {
                list.Add(e);
            }
        }

        return list;
    }
}

/// <summary>The outcome of verifying one XML signature.</summary>
public sealed record XmlSignatureCheck
{
    private XmlSignatureCheck(bool isValid, string? reason, X509Certificate2? signer, XmlSignatureAlgorithm? algorithm)
    {
        IsValid = isValid;
        Reason = reason;
        Signer = signer;
        Algorithm = algorithm;
    }

    /// <summary>True if the signature verified under a trusted key.</summary>
    public bool IsValid { get; }

    /// <summary>Why it did not verify; null when valid.</summary>
    public string? Reason { get; }

    /// <summary>The trusted certificate that verified it; null when invalid.</summary>
    public X509Certificate2? Signer { get; }

    /// <summary>The signature algorithm; null when invalid.</summary>
    public XmlSignatureAlgorithm? Algorithm { get; }

    internal static XmlSignatureCheck Fail(string reason) => new(false, reason, null, null);

    internal static XmlSignatureCheck Success(X509Certificate2 signer, XmlSignatureAlgorithm algorithm) => new(true, null, signer, algorithm);
}
