using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;

namespace Konfido.Eid.Xml;

/// <summary>
/// XML Encryption 1.1 of one element (W3C, 2013): the content key encrypts the element with
/// AES-GCM (section 5.2.4: <c>CipherValue</c> = 96-bit IV || ciphertext || 128-bit tag) and is
/// transported to the recipient with RSA-OAEP (section 5.5.2, <c>xmlenc11#rsa-oaep</c> with
/// SHA-256 digest and MGF1 with SHA-256) in an <c>EncryptedKey</c> inside the <c>KeyInfo</c>.
/// .NET's <c>EncryptedXml</c> has no GCM, hence this implementation on <see cref="AesGcm"/>.
/// CBC modes and SHA-1 OAEP parameters are refused on decryption.
/// </summary>
public static class XmlEncryption
{
    private const int IvBytes = 12;
    private const int TagBytes = 16;
    private const int ContentKeyBytes = 32;

    /// <summary>
    /// Encrypts <paramref name="element"/> for <paramref name="recipient"/> (an RSA certificate of
    /// at least 3072 bits) and returns an <c>xenc:EncryptedData</c> element owned by
    /// <paramref name="owner"/>; the caller puts it where the element belongs.
    /// </summary>
    /// <param name="element">The element to encrypt (its in-scope namespaces are carried along).</param>
    /// <param name="recipient">The recipient's encryption certificate.</param>
    /// <param name="owner">The document the result belongs to.</param>
    public static XmlElement Encrypt(XmlElement element, X509Certificate2 recipient, XmlDocument owner)
    {
        ArgumentNullException.ThrowIfNull(element);
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(owner);
        using var rsa = recipient.GetRSAPublicKey() ?? throw new ArgumentException("The recipient certificate holds no RSA key.", nameof(recipient));
        if (rsa.KeySize < TrustedCertificates.MinimumRsaBits)
        {
            throw new ArgumentException($"RSA key of {rsa.KeySize} bits is below the minimum of {TrustedCertificates.MinimumRsaBits}.", nameof(recipient));
        }

        var plaintext = Encoding.UTF8.GetBytes(Canonical.StandaloneCopy(element).OuterXml);
        var key = RandomNumberGenerator.GetBytes(ContentKeyBytes);
        try
        {
            var cipherValue = new byte[IvBytes + plaintext.Length + TagBytes];
            var iv = cipherValue.AsSpan(0, IvBytes);
            RandomNumberGenerator.Fill(iv);
            using (var gcm = new AesGcm(key, TagBytes))
            {
                gcm.Encrypt(iv, plaintext, cipherValue.AsSpan(IvBytes, plaintext.Length), cipherValue.AsSpan(IvBytes + plaintext.Length));
            }

            var wrappedKey = rsa.Encrypt(key, RSAEncryptionPadding.OaepSHA256);

            var data = owner.CreateElement("xenc", "EncryptedData", XmlNames.XEnc);
            data.SetAttribute("Type", XmlNames.ElementType);
            XEnc(data, "EncryptionMethod").SetAttribute("Algorithm", XmlNames.Aes256Gcm);
            var keyInfo = owner.CreateElement("ds", "KeyInfo", XmlNames.DSig);
            data.AppendChild(keyInfo);
            var encryptedKey = owner.CreateElement("xenc", "EncryptedKey", XmlNames.XEnc);
            keyInfo.AppendChild(encryptedKey);
            var method = XEnc(encryptedKey, "EncryptionMethod");
            method.SetAttribute("Algorithm", XmlNames.RsaOaep11);
            var digest = owner.CreateElement("ds", "DigestMethod", XmlNames.DSig);
            digest.SetAttribute("Algorithm", XmlNames.Sha256);
            method.AppendChild(digest);
            var mgf = owner.CreateElement("xenc11", "MGF", XmlNames.XEnc11);
            mgf.SetAttribute("Algorithm", XmlNames.Mgf1Sha256);
            method.AppendChild(mgf);
            XEnc(XEnc(encryptedKey, "CipherData"), "CipherValue").InnerText = Convert.ToBase64String(wrappedKey);
            XEnc(XEnc(data, "CipherData"), "CipherValue").InnerText = Convert.ToBase64String(cipherValue);
            return data;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Decrypts an <c>xenc:EncryptedData</c> with the recipient's RSA private key. The encrypted
    /// key is taken from its <c>KeyInfo</c> or, as SAML allows, from a sibling
    /// <c>EncryptedKey</c>. A failure (wrong key, tampering, refused algorithm) is a result.
    /// </summary>
    /// <param name="encryptedData">The <c>xenc:EncryptedData</c> element.</param>
    /// <param name="privateKey">The recipient's RSA private key.</param>
    /// <param name="plaintextXml">The decrypted element's XML text, when the result is true.</param>
    /// <param name="reason">Why decryption failed, when the result is false.</param>
    public static bool TryDecrypt(XmlElement encryptedData, RSA privateKey, out string? plaintextXml, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(encryptedData);
        ArgumentNullException.ThrowIfNull(privateKey);
        plaintextXml = null;
        try
        {
            return Decrypt(encryptedData, privateKey, out plaintextXml, out reason);
        }
        catch (FormatException)
        {
            reason = "encrypted data is not valid base64";
            return false;
        }
    }

    private static bool Decrypt(XmlElement encryptedData, RSA privateKey, out string? plaintextXml, out string? reason)
    {
        plaintextXml = null;
        var algorithm = Child(encryptedData, "EncryptionMethod", XmlNames.XEnc)?.GetAttribute("Algorithm");
        var keyBytes = algorithm switch
        {
            "http://www.w3.org/2009/xmlenc11#aes128-gcm" => 16,
            "http://www.w3.org/2009/xmlenc11#aes192-gcm" => 24,
            XmlNames.Aes256Gcm => 32,
            _ => 0,
        };
        if (keyBytes == 0)
        {
            reason = $"data encryption algorithm '{algorithm}' is not allowed (only AES-GCM; CBC is open to padding-oracle attacks)";
            return false;
        }

        var encryptedKey = Child(Child(encryptedData, "KeyInfo", XmlNames.DSig), "EncryptedKey", XmlNames.XEnc)
            ?? (encryptedData.ParentNode is XmlElement parent ? Child(parent, "EncryptedKey", XmlNames.XEnc) : null);
        if (encryptedKey is null)
        {
            reason = "no EncryptedKey for the encrypted data";
            return false;
        }

        var keyMethod = Child(encryptedKey, "EncryptionMethod", XmlNames.XEnc);
        var keyAlgorithm = keyMethod?.GetAttribute("Algorithm");
        var digest = Child(keyMethod, "DigestMethod", XmlNames.DSig)?.GetAttribute("Algorithm");
        var mgf = Child(keyMethod, "MGF", XmlNames.XEnc11)?.GetAttribute("Algorithm");
        // .NET's OAEP uses one hash for the label digest and MGF1, so only matched pairs are offered.
        var padding = (digest, mgf) switch
        {
            (XmlNames.Sha256, XmlNames.Mgf1Sha256) => RSAEncryptionPadding.OaepSHA256,
            (XmlNames.Sha384, "http://www.w3.org/2009/xmlenc11#mgf1sha384") => RSAEncryptionPadding.OaepSHA384,
            (XmlNames.Sha512, "http://www.w3.org/2009/xmlenc11#mgf1sha512") => RSAEncryptionPadding.OaepSHA512,
            _ => null,
        };
        if (keyAlgorithm != XmlNames.RsaOaep11 || padding is null)
        {
            reason = $"key transport '{keyAlgorithm}' (digest '{digest}', MGF '{mgf}') is not allowed (only xmlenc11#rsa-oaep with SHA-2 and the matching MGF1; SHA-1 is refused)";
            return false;
        }

        var wrapped = Convert.FromBase64String(CipherValue(encryptedKey) ?? string.Empty);
        byte[] key;
        try
        {
            key = privateKey.Decrypt(wrapped, padding);
        }
        catch (CryptographicException)
        {
            reason = "the encrypted key does not decrypt with the configured decryption key";
            return false;
        }

        try
        {
            if (key.Length != keyBytes)
            {
                reason = $"content key of {key.Length} bytes does not match {algorithm}";
                return false;
            }

            var cipherValue = Convert.FromBase64String(CipherValue(encryptedData) ?? string.Empty);
            if (cipherValue.Length < IvBytes + TagBytes)
            {
                reason = "ciphertext is shorter than IV and tag";
                return false;
            }

            var plaintext = new byte[cipherValue.Length - IvBytes - TagBytes];
            using var gcm = new AesGcm(key, TagBytes);
            try
            {
                gcm.Decrypt(cipherValue.AsSpan(0, IvBytes), cipherValue.AsSpan(IvBytes, plaintext.Length), cipherValue.AsSpan(IvBytes + plaintext.Length), plaintext);
            }
            catch (AuthenticationTagMismatchException)
            {
                reason = "AES-GCM authentication failed: the ciphertext was tampered with or the key is wrong";
                return false;
            }

            try
            {
                plaintextXml = new UTF8Encoding(false, true).GetString(plaintext);
            }
            catch (DecoderFallbackException)
            {
                reason = "decrypted content is not UTF-8";
                return false;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }

            reason = null;
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static string? CipherValue(XmlElement parent) =>
        Child(Child(parent, "CipherData", XmlNames.XEnc), "CipherValue", XmlNames.XEnc)?.InnerText.Trim();

    private static XmlElement? Child(XmlElement? parent, string localName, string ns)
    {
        if (parent is null)
        {
            return null;
        }

        foreach (XmlNode n in parent.ChildNodes)
        {
            if (n is XmlElement e && e.LocalName == localName && e.NamespaceURI == ns)
            {
                return e;
            }
        }

        return null;
    }

    private static XmlElement XEnc(XmlElement parent, string localName)
    {
        var e = parent.OwnerDocument.CreateElement("xenc", localName, XmlNames.XEnc);
        parent.AppendChild(e);
        return e;
    }
}
