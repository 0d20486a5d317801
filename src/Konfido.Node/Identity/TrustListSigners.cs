using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Konfido.Core;
using Konfido.Eid.CrossBorder;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary>
/// The cross-border assertion signers the federation trust list names (each member's
/// <see cref="FederationMember.AssertionCertificate"/>); re-read when the trust list is replaced.
/// </summary>
internal sealed class TrustListSigners(Func<TrustList> trustList) : ITrustedSigners
{
    private readonly Lock _gate = new();
    private TrustList? _source;
    private Dictionary<CountryCode, IReadOnlyList<X509Certificate2>> _signers = [];

    public IReadOnlyList<X509Certificate2> GetSigners(CountryCode country)
    {
        var current = trustList();
        lock (_gate)
        {
            if (!ReferenceEquals(current, _source))
            {
                _signers = Read(current);
                _source = current;
            }

            return _signers.TryGetValue(country, out var list) ? list : [];
        }
    }

    private static Dictionary<CountryCode, IReadOnlyList<X509Certificate2>> Read(TrustList list)
    {
        var result = new Dictionary<CountryCode, IReadOnlyList<X509Certificate2>>();
        foreach (var member in list.Members)
        {
            if (member.AssertionCertificate is not { } der || !CountryCode.TryParse(member.Country, out var country))
            {
                continue;
            }

            try
            {
                result[country] = [X509CertificateLoader.LoadCertificate(Convert.FromBase64String(der))];
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException)
            {
                // A malformed entry trusts nothing for that country; the verifier then names the missing signer.
            }
        }

        return result;
    }
}
