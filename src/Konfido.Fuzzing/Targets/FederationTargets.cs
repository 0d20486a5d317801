using System.Security.Cryptography;
using System.Text;
using Konfido.Custody.Attestation;
using Konfido.Exchange;
using Konfido.Policy.Rules;

namespace Konfido.Fuzzing.Targets;

/// <summary>
/// The signed federation trust list (<see cref="SignedTrustList.Verify"/>: malformed, forged or stale lists are failed
/// results). Invariant: a list that verifies is, member for member, the list the operator signed.
/// </summary>
/// <remarks>The operator key is fresh per process (ECDSA signatures are randomised): inputs repeat only within a process.</remarks>
public sealed class TrustListTarget : TextFuzzTarget, IDisposable
{
    private static readonly DateTimeOffset IssuedAt = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly ECDsa _operator = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly TrustList _list;

    /// <summary>Creates the target with a fresh operator key.</summary>
    public TrustListTarget()
    {
        using var node = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = Convert.ToBase64String(node.ExportSubjectPublicKeyInfo());
        _list = new TrustList("konfido-eu", 42, IssuedAt, IssuedAt.AddDays(30),
        [
            new FederationMember("DK", "Denmark NCP", new Uri("https://ncp.dk.konfido.invalid:9443/"), new string('a', 64), key, "ledger.dk.konfido.example+12345678+AQID", null)
            {
                Measurements = [new string('0', 64)],
            },
            new FederationMember("ES", "Spain NCP", new Uri("https://ncp.es.konfido.invalid:9443/"), new string('b', 64), key),
            new FederationMember("IT", "Italy NCP", new Uri("https://ncp.it.konfido.invalid:9443/"), new string('c', 64), key),
        ]);
    }

    /// <inheritdoc />
    public override string Name => "trust-list";

    /// <inheritdoc />
    public override string Description => "the operator-signed federation trust list, flattened JWS ES256 (SignedTrustList.Verify); invariant: only the signed list verifies";

    /// <inheritdoc />
    public override InputShape Shape => InputShape.Json;

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => ["\"protected\"", "\"payload\"", "\"signature\"", "eyJhbGciOiJub25lIn0", "eyJhbGciOiJFUzI1NiJ9", ".", "_", "-", "=="];

    /// <inheritdoc />
    public void Dispose() => _operator.Dispose();

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        yield return SignedTrustList.Sign(_list, _operator);
        yield return SignedTrustList.Sign(_list with { Members = [_list.Members[0]] }, _operator);
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        var check = SignedTrustList.Verify(text, _operator, IssuedAt.AddDays(1));
        if (!check.IsValid)
        {
            return FuzzResult.Reject(check.Reason);
        }

        var list = check.TrustList!;
        var signed = list.Members.Count == 1 ? [_list.Members[0]] : _list.Members;
        if (list.Federation != _list.Federation || list.Sequence != _list.Sequence || list.NextUpdate != _list.NextUpdate || list.Members.Count != signed.Count
            || list.Members.Zip(signed).Any(p => p.First.Country != p.Second.Country || p.First.SigningKey != p.Second.SigningKey
                || p.First.TlsCertificateSha256 != p.Second.TlsCertificateSha256 || p.First.Endpoint != p.Second.Endpoint))
        {
            throw new FuzzInvariantException("trust-list-signed-content", "a verified trust list differs from the one the operator signed");
        }

        return FuzzResult.Accept;
    }
}

/// <summary>
/// Detached JWS payload signatures between nodes (<see cref="DetachedJws.Verify"/>: a failed check is a result).
/// Input: the JWS, a newline, the payload. Invariant: only the signed payload verifies.
/// </summary>
public sealed class DetachedJwsTarget : TextFuzzTarget, IDisposable
{
    private const string Payload = "{\"resourceType\":\"Bundle\",\"id\":\"ips-1\"}";
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <inheritdoc />
    public override string Name => "detached-jws";

    /// <inheritdoc />
    public override string Description => "detached JWS (RFC 7515 appendix F, ES256) over exchanged payloads (DetachedJws.Verify); invariant: only the signed payload verifies";

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => ["..", ".", "eyJhbGciOiJub25lIn0", "eyJhbGciOiJFUzI1NiIsImI2NCI6ZmFsc2V9", "=", "+", "/"];

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        yield return DetachedJws.Sign(Encoding.UTF8.GetBytes(Payload), _key, "node-dk") + "\n" + Payload;
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var jws = newline < 0 ? text : text[..newline];
        var payload = newline < 0 ? "" : text[(newline + 1)..];
        var check = DetachedJws.Verify(jws, Encoding.UTF8.GetBytes(payload), _key);
        if (!check.IsValid)
        {
            return FuzzResult.Reject(check.Reason);
        }

        if (payload != Payload)
        {
            throw new FuzzInvariantException("jws-signed-content", "a detached JWS verified over a payload that was never signed");
        }

        return FuzzResult.Accept;
    }
}

/// <summary>
/// Country policy files (<see cref="CountryPolicyLoader.Load"/>: every problem is an error in the result).
/// </summary>
public sealed class PolicyYamlTarget : TextFuzzTarget
{
    /// <inheritdoc />
    public override string Name => "policy-yaml";

    /// <inheritdoc />
    public override string Description => "country access-policy YAML (CountryPolicyLoader.Load)";

    /// <inheritdoc />
    public override InputShape Shape => InputShape.Yaml;

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary =>
        ["country: ", "consent_model: opt-in", "consent_model: opt-out", "require_trc: ", "rules:", "- id: ", "transactions: [", "roles: [", "purposes: [", "min_loa: high",
         "break_the_glass:", "retention:", "years: ", "days: ", "TREATMENT", "EMERGENCY", "physician", "pharmacist", "patient-summary", "eprescription", "*"];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds() => ExamplePolicies.Countries.Select(ExamplePolicies.Text);

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        var result = CountryPolicyLoader.Load(text, "fuzz.yaml");
        return result.Succeeded ? FuzzResult.Accept : FuzzResult.Reject(result.Errors.Count > 0 ? result.Errors[0].Message : "failed");
    }
}

/// <summary>
/// Attestation quotes received from peers (<see cref="AttestationQuote.TryParseJson"/>: false with the reason).
/// Invariant: an accepted quote writes JSON that parses back to the same quote.
/// </summary>
public sealed class AttestationQuoteTarget : TextFuzzTarget
{
    /// <inheritdoc />
    public override string Name => "attestation-quote";

    /// <inheritdoc />
    public override string Description => "key-custody attestation quotes in JSON (AttestationQuote.TryParseJson); invariant: accepted quotes round-trip";

    /// <inheritdoc />
    public override InputShape Shape => InputShape.Json;

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => ["\"format\"", "\"measurement\"", "\"nonce\"", "\"evidence\"", "\"signature\"", "\"pcr\"", "\"pcr_value\"", "software-v1", "tpm2-quote-v1"];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        byte[] Bytes(int length, byte fill) => Enumerable.Repeat(fill, length).ToArray();
        yield return new AttestationQuote { Format = AttestationQuote.SoftwareFormat, Measurement = Bytes(32, 1), Nonce = Bytes(32, 2), Evidence = Bytes(48, 3), Signature = Bytes(64, 4) }.ToJson();
        yield return new AttestationQuote { Format = AttestationQuote.TpmFormat, Measurement = Bytes(32, 5), Nonce = Bytes(32, 6), Evidence = Bytes(129, 7), Signature = Bytes(72, 8), Pcr = 16, PcrValue = Bytes(32, 9) }.ToJson();
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        if (!AttestationQuote.TryParseJson(text, out var quote, out var reason))
        {
            return FuzzResult.Reject(reason);
        }

        if (!AttestationQuote.TryParseJson(quote!.ToJson(), out var again, out var againReason))
        {
            throw new FuzzInvariantException("quote-roundtrip", $"an accepted quote writes JSON that does not parse: {againReason}");
        }

        if (again!.Format != quote.Format || again.Pcr != quote.Pcr || !again.Measurement.Span.SequenceEqual(quote.Measurement.Span) || !again.Nonce.Span.SequenceEqual(quote.Nonce.Span)
            || !again.Evidence.Span.SequenceEqual(quote.Evidence.Span) || !again.Signature.Span.SequenceEqual(quote.Signature.Span) || !again.PcrValue.Span.SequenceEqual(quote.PcrValue.Span))
        {
            throw new FuzzInvariantException("quote-roundtrip", "an accepted quote parses back different");
        }

        return FuzzResult.Accept;
    }
}

/// <summary>
/// Sealed clinical answers as a client (or a node's custody boundary) receives them: a JWE (ECDH-ES over P-256, A256GCM)
/// holding the home country's compact JWS (<see cref="SealedPayloads.OpenForClient"/>, over <see cref="Custody.PayloadEnvelope"/>
/// and <see cref="DetachedJws.VerifyCompact"/>). Invariant: what opens and verifies is exactly the payload the home country signed.
/// </summary>
/// <remarks>The keys are fresh per process (the envelope's ephemeral key is random): inputs repeat only within a process.</remarks>
public sealed class SealedPayloadTarget : TextFuzzTarget, IDisposable
{
    private const string Payload = "{\"resourceType\":\"Bundle\",\"type\":\"document\",\"id\":\"ips-1\"}";
    private readonly ECDsa _home = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDiffieHellman _recipient = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly FederationMember _dk;
    private readonly FederationMember _es;

    /// <summary>Creates the target with fresh keys.</summary>
    public SealedPayloadTarget()
    {
        _dk = new FederationMember("DK", "Denmark NCP", new Uri("https://ncp.dk.konfido.invalid:9443/"), new string('a', 64), Convert.ToBase64String(_home.ExportSubjectPublicKeyInfo()));
        _es = new FederationMember("ES", "Spain NCP", new Uri("https://ncp.es.konfido.invalid:9443/"), new string('b', 64), "AAAA")
        {
            PayloadKey = Convert.ToBase64String(_recipient.ExportSubjectPublicKeyInfo()),
        };
    }

    /// <inheritdoc />
    public override string Name => "sealed-payload";

    /// <inheritdoc />
    public override string Description => "sealed clinical answers: JWE ECDH-ES/A256GCM around the home country's compact JWS (SealedPayloads.OpenForClient); invariant: only the signed payload opens";

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => [".", "..", "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTI1NkdDTSJ9", "eyJhbGciOiJFUzI1NiJ9", "_", "-", "A", "AAAA"];

    /// <inheritdoc />
    public void Dispose()
    {
        _home.Dispose();
        _recipient.Dispose();
    }

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        var body = Encoding.UTF8.GetBytes(Payload);
        yield return Encoding.ASCII.GetString(SealedPayloads.Seal(body, DetachedJws.Sign(body, _home, "DK"), _es));
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        byte[] payload;
        try
        {
            (payload, _) = SealedPayloads.OpenForClient(text, _recipient, _dk);
        }
        catch (ExchangeException ex)
        {
            return FuzzResult.Reject(ex.Message);
        }

        if (Encoding.UTF8.GetString(payload) != Payload)
        {
            throw new FuzzInvariantException("sealed-signed-content", "a sealed answer opened to a payload the home country never signed");
        }

        return FuzzResult.Accept;
    }
}
