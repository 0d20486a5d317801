namespace Konfido.Sdk.Tests.Vectors;

/// <summary>
/// Published RFC 6962 hash values. Source: RFC 6962 §2.1 definitions, as the Certificate Transparency
/// reference implementations' test data states them (certificate-transparency-go merkletree tests,
/// transparency-dev/merkle testonly): the leaf hash of the empty leaf is SHA-256(0x00).
/// </summary>
internal static class Rfc6962Vectors
{
    /// <summary>MTH of the empty leaf: SHA-256(0x00).</summary>
    public const string EmptyLeafHash = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
}
