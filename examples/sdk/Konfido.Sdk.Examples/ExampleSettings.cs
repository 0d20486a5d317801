namespace Konfido.Sdk.Examples;

/// <summary>Where the examples find a node and who acts (the defaults suit `konfido demo --serve`'s Danish node).</summary>
/// <param name="NodeUri">The node's local API, e.g. https://127.0.0.1:7101/.</param>
/// <param name="PinnedCertificateSha256">The node's TLS pin (the trust list's tlsCertificateSha256), or null.</param>
/// <param name="OperatorPerson">A health professional registered at the node (enrols devices, runs analytics).</param>
/// <param name="PatientPerson">A citizen of the node's country (their own data).</param>
/// <param name="SignedTrustList">The signed federation trust list (for example 03), or null.</param>
/// <param name="OperatorPublicKeyPem">The federation operator's public key (for example 03), or null.</param>
/// <param name="WorkDirectory">Where example 02 keeps its device's offline queue.</param>
/// <param name="PinnedTlsIssuer">The node's TLS issuer certificate (the trust list's tlsIssuer, base64), or null to pin one certificate.</param>
public sealed record ExampleSettings(Uri NodeUri, string? PinnedCertificateSha256, string OperatorPerson, string PatientPerson,
    string? SignedTrustList, string? OperatorPublicKeyPem, string WorkDirectory, string? PinnedTlsIssuer = null)
{
    /// <summary>A client for the node.</summary>
    public KonfidoClient Connect() => KonfidoClient.Create(new KonfidoClientOptions { NodeUri = NodeUri, PinnedCertificateSha256 = PinnedCertificateSha256, PinnedTlsIssuer = PinnedTlsIssuer });
}
