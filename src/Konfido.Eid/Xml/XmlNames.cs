namespace Konfido.Eid.Xml;

/// <summary>Namespace and algorithm identifiers of XML-DSig 1.1 and XML-Enc 1.1.</summary>
internal static class XmlNames
{
    public const string DSig = "http://www.w3.org/2000/09/xmldsig#";
    public const string XEnc = "http://www.w3.org/2001/04/xmlenc#";
    public const string XEnc11 = "http://www.w3.org/2009/xmlenc11#";
    public const string Xmlns = "http://www.w3.org/2000/xmlns/";

    public const string ExcC14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
    public const string ExcC14NWithComments = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
    public const string Enveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

    public const string Sha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
    public const string Sha384 = "http://www.w3.org/2001/04/xmldsig-more#sha384";
    public const string Sha512 = "http://www.w3.org/2001/04/xmlenc#sha512";
    public const string Sha1 = "http://www.w3.org/2000/09/xmldsig#sha1";

    public const string Aes256Gcm = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
    public const string RsaOaep11 = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
    public const string Mgf1Sha256 = "http://www.w3.org/2009/xmlenc11#mgf1sha256";
    public const string ElementType = "http://www.w3.org/2001/04/xmlenc#Element";
}
