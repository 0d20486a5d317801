using System.Security.Cryptography;
using Konfido.Core;
using Konfido.Custody.Attestation;

namespace Konfido.Custody.Tests;

/// <summary>Peers checking each other's quotes: nonces, measurements, events — over both backends.</summary>
public sealed class AttestationVerifierTests
{
    private readonly InMemorySecurityEventSink _events = new();

    private AttestationVerifier Verifier(TimeProvider? time = null, params NodeMeasurement[] expected) =>
        new(expected.Length == 0 ? [CustodyFactory.Measurement] : expected, _events, "ES", TimeSpan.FromMinutes(5), time);

    [Theory]
    [MemberData(nameof(CustodyFactory.Backends), MemberType = typeof(CustodyFactory))]
    public async Task A_fresh_quote_is_accepted_once_and_its_replay_is_refused(string backend)
    {
        using var scope = new CustodyScope(backend);
        var verifier = Verifier();
        var nonce = verifier.CreateNonce("DK");
        var quote = scope.Custody.Attest(nonce);

        var first = await verifier.VerifyAsync(quote, scope.Custody.AttestationPublicKey, "DK");
        var replay = await verifier.VerifyAsync(quote, scope.Custody.AttestationPublicKey, "DK");

        Assert.True(first.IsValid, first.Reason);
        Assert.Equal(AttestationFailure.WrongNonce, replay.Failure);
        Assert.Equal([EventOutcome.Success, EventOutcome.Failure], _events.Events.Select(e => e.Outcome));
        Assert.All(_events.Events, e => Assert.Equal(EventCategories.Custody, e.Category));
        Assert.All(_events.Events, e => Assert.Equal(AttestationVerifier.EventAction, e.Action));
        Assert.Equal("DK", _events.Events[1].Actor);
        Assert.Equal(nameof(AttestationFailure.WrongNonce), _events.Events[1].Attributes["attestation.failure"]);
        Assert.False(string.IsNullOrEmpty(_events.Events[1].Reason));
    }

    [Theory]
    [MemberData(nameof(CustodyFactory.Backends), MemberType = typeof(CustodyFactory))]
    public async Task A_node_running_an_unexpected_build_is_refused_and_reported(string backend)
    {
        using var scope = new CustodyScope(backend, CustodyFactory.OtherMeasurement);
        var verifier = Verifier();
        var quote = scope.Custody.Attest(verifier.CreateNonce("IT"));

        var result = await verifier.VerifyAsync(quote, scope.Custody.AttestationPublicKey, "IT");

        Assert.Equal(AttestationFailure.WrongMeasurement, result.Failure);
        var reported = Assert.Single(_events.Events);
        Assert.Equal(EventOutcome.Failure, reported.Outcome);
        Assert.Equal(CustodyFactory.OtherMeasurement.Hex, reported.Attributes["attestation.measurement"]);
    }

    [Fact]
    public async Task A_nonce_issued_to_another_peer_or_never_issued_is_refused()
    {
        using var scope = new CustodyScope("software");
        var verifier = Verifier();
        var forItaly = verifier.CreateNonce("IT");
        var stolen = await verifier.VerifyAsync(scope.Custody.Attest(forItaly), scope.Custody.AttestationPublicKey, "DK");
        var invented = await verifier.VerifyAsync(scope.Custody.Attest(RandomNumberGenerator.GetBytes(32)), scope.Custody.AttestationPublicKey, "DK");
        Assert.Equal(AttestationFailure.WrongNonce, stolen.Failure);
        Assert.Equal(AttestationFailure.WrongNonce, invented.Failure);
    }

    [Fact]
    public async Task An_expired_nonce_is_refused()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var scope = new CustodyScope("software");
        var verifier = Verifier(clock);
        var nonce = verifier.CreateNonce("DK");
        clock.Advance(TimeSpan.FromMinutes(6));
        var result = await verifier.VerifyAsync(scope.Custody.Attest(nonce), scope.Custody.AttestationPublicKey, "DK");
        Assert.Equal(AttestationFailure.WrongNonce, result.Failure);
    }

    [Fact]
    public async Task A_quote_signed_by_a_key_other_than_the_enrolled_one_is_refused()
    {
        using var node = new CustodyScope("software");
        using var impostor = new CustodyScope("software");
        var verifier = Verifier();
        var quote = impostor.Custody.Attest(verifier.CreateNonce("DK"));
        var result = await verifier.VerifyAsync(quote, node.Custody.AttestationPublicKey, "DK");
        Assert.Equal(AttestationFailure.BadSignature, result.Failure);
    }

    [Fact]
    public void The_verifier_needs_at_least_one_expected_measurement()
    {
        Assert.Throws<ArgumentException>(() => new AttestationVerifier([], _events, "ES"));
    }

    [Fact]
    public void Tpm_quote_evidence_is_a_TPMS_ATTEST_over_the_measurement_pcr()
    {
        using var scope = new CustodyScope("tpm");
        var nonce = RandomNumberGenerator.GetBytes(32);
        var quote = scope.Custody.Attest(nonce);
        var evidence = quote.Evidence.Span;
        Assert.Equal(0xFF544347u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(evidence));
        Assert.Equal(0x8018, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(evidence[4..]));
        Assert.Equal(23, quote.Pcr);
        Assert.Equal(SHA256.HashData([.. new byte[32], .. CustodyFactory.Measurement.Digest.Span]), quote.PcrValue.ToArray());

        // A PCR value that is not the extension of the claimed measurement is caught even with a valid signature.
        var forged = quote with { PcrValue = SHA256.HashData([.. new byte[32], .. CustodyFactory.OtherMeasurement.Digest.Span]) };
        Assert.Equal(AttestationFailure.Malformed, QuoteChecks.Check(forged, scope.Custody.AttestationPublicKey.Span, nonce, [CustodyFactory.Measurement]).Failure);
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
