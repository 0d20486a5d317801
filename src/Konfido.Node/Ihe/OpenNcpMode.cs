using Konfido.Exchange;
using Konfido.Ihe.Gateway;

namespace Konfido.Node.Ihe;

/// <summary>
/// Runs countries in OpenNCP mode without reissuing the trust list (demos and tests): the countries
/// named are seen with <c>protocol: "ihe"</c>, so every node calls them over the IHE SOAP profiles,
/// and they serve and initiate clinical transactions over SOAP only. In production the federation
/// operator sets <c>"protocol": "ihe"</c> in the signed trust list instead.
/// </summary>
public static class OpenNcpMode
{
    /// <summary>A trust-list source that flags <paramref name="countries"/> as IHE-speaking (the same instance until the source changes).</summary>
    /// <param name="source">The node's trust-list source.</param>
    /// <param name="countries">ISO 3166-1 alpha-2 codes.</param>
    public static Func<TrustList> Apply(Func<TrustList> source, params string[] countries) => ApplyProtocol(source, IheEndpoints.Protocol, countries);

    /// <summary>As <see cref="Apply(Func{TrustList}, string[])"/> with an explicit protocol value (<c>ihe</c> or <c>openncp</c>: OpenNCP's service paths).</summary>
    /// <param name="source">The node's trust-list source.</param>
    /// <param name="protocol">The protocol value.</param>
    /// <param name="countries">ISO 3166-1 alpha-2 codes.</param>
    public static Func<TrustList> ApplyProtocol(Func<TrustList> source, string protocol, params string[] countries)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(protocol);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(countries);
        TrustList? seen = null, flagged = null;
        var gate = new Lock();
        return () =>
        {
            var current = source();
            lock (gate)
            {
                if (!ReferenceEquals(current, seen))
                {
                    seen = current;
                    flagged = current with
                    {
                        Members = [.. current.Members.Select(m => countries.Contains(m.Country, StringComparer.OrdinalIgnoreCase) ? m with { Protocol = protocol } : m)],
                    };
                }

                return flagged!;
            }
        };
    }
}
