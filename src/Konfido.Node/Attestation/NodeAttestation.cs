using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Konfido.Core;
using Konfido.Custody;
using Konfido.Custody.Attestation;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary>
/// What a node is measured as: the Konfido assemblies it runs and its security-relevant
/// configuration (country, access policy). The federation operator lists each member's expected
/// measurements and attestation key in the trust list; peers check a fresh quote before they exchange data.
/// </summary>
public static class NodeMeasurements
{
    /// <summary>The measurement of a node of <paramref name="country"/> running this build with <paramref name="policyFile"/> (or none).</summary>
    public static NodeMeasurement Compute(string country, string? policyFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        var policy = policyFile is null ? "none" : Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(policyFile)));
        var configuration = Encoding.UTF8.GetBytes($"konfido-node/1\ncountry={country.ToUpperInvariant()}\npolicy-sha256={policy}\n");
        var assemblies = new[]
        {
            typeof(KonfidoNode).Assembly, typeof(FederationClient).Assembly, typeof(SecurityEvent).Assembly,
            typeof(Eid.CrossBorder.CrossBorderAssertionVerifier).Assembly, typeof(Policy.Decisions.PolicyDecisionPoint).Assembly,
            typeof(Ledger.Log.MerkleLog).Assembly, typeof(Siem.SiemNode).Assembly, typeof(Records.INationalBackend).Assembly,
            typeof(KeyCustody).Assembly,
        };
        return NodeMeasurement.FromAssemblies(assemblies, configuration);
    }
}

/// <summary>
/// Country B's check of a peer before exchanging data with it: a quote over a fresh nonce, signed by
/// the attestation key the trust list gives for the peer, of a measurement the trust list accepts
/// for it. A success is remembered for <see cref="Validity"/>; a failure is a security event and the
/// exchange is refused.
/// </summary>
internal sealed class PeerAttestation(string country, FederationClient client, Func<TrustList> trustList, ISecurityEventSink events)
{
    /// <summary>The federation path of the attestation quote.</summary>
    public const string Path = "attestation";

    /// <summary>How long a verified quote is trusted before the peer is asked again.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _verifiedUntil = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Returns once <paramref name="peer"/> is attested; throws a 502 <see cref="ExchangeException"/> otherwise.</summary>
    public async Task RequireAsync(string peer, CancellationToken cancellationToken)
    {
        if (string.Equals(peer, country, StringComparison.OrdinalIgnoreCase)
            || _verifiedUntil.TryGetValue(peer, out var until) && until > DateTimeOffset.UtcNow)
        {
            return;
        }

        var member = trustList().Find(peer);
        if (member is null)
        {
            return; // the gateway answers 404 for a country outside the federation
        }

        if (member.AttestationKey is null || member.Measurements is not { Count: > 0 } expected)
        {
            throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"the trust list gives no attestation key and measurements for {peer}; no data is exchanged with an unattested node");
        }

        var verifier = new AttestationVerifier(expected.Select(hex => NodeMeasurement.FromDigest(Convert.FromHexString(hex), $"trust list: {peer}")), events, country);
        var nonce = verifier.CreateNonce(peer);
        PeerResponse response;
        try
        {
            response = await client.GetAsync(peer, $"{Path}?nonce={Convert.ToHexStringLower(nonce)}", cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex)
        {
            // Unreachable or not answering as pinned: no quote, so no exchange; the refusal is on record.
            await events.PublishAsync(new SecurityEvent
            {
                Node = country,
                Category = EventCategories.Custody,
                Action = AttestationVerifier.EventAction,
                Outcome = EventOutcome.Failure,
                SourceCountry = country,
                TargetCountry = peer,
                Reason = $"no attestation quote from {peer}: {ex.Message}",
            }, cancellationToken).ConfigureAwait(false);
            throw;
        }

        if (response.Status != HttpStatusCode.OK)
        {
            throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"the {peer} node gave no attestation quote ({(int)response.Status}: {FhirOutcomes.TryReadDiagnostics(response.Body)})");
        }

        if (!AttestationQuote.TryParseJson(Encoding.UTF8.GetString(response.Body), out var quote, out var reason))
        {
            throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"the {peer} node's attestation quote is malformed: {reason}");
        }

        var result = await verifier.VerifyAsync(quote!, Convert.FromBase64String(member.AttestationKey), peer, cancellationToken).ConfigureAwait(false);
        if (!result.IsValid)
        {
            _verifiedUntil.TryRemove(peer, out _);
            throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"the {peer} node failed attestation: {result.Reason}");
        }

        _verifiedUntil[peer] = DateTimeOffset.UtcNow + Validity;
    }
}
