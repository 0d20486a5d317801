using System.Security.Cryptography;
using Konfido.Core;
using Konfido.Puf.Protocol;
using Konfido.Puf.Simulation;

namespace Konfido.Puf.Tests.Protocol;

public sealed class ProtocolTests : IDisposable
{
    private static readonly PufProtocolSettings Settings = PufProtocolSettings.Create(new PufProtocolParameters
    {
        ChallengePoolSize = 4,
        EnrolmentReads = 3,
    });

    private readonly InMemorySecurityEventSink _events = new();
    private readonly InMemoryPufEnrolmentStore _store = new();
    private readonly AesGcmReferenceProtector _protector = new(RandomNumberGenerator.GetBytes(32));
    private readonly PufVerifier _verifier;

    public ProtocolTests()
    {
        _verifier = new PufVerifier(Settings, _store, _protector, _events, "DK");
    }

    public void Dispose() => _protector.Dispose();

    private static (PufDevice Device, PhotonicPufSimulator Puf) Device(string id, ulong medium, ulong noise)
    {
        var puf = PhotonicPufSimulator.Create(new PhotonicPufModel(), medium, noise);
        return (new PufDevice(id, new PufResponseReader(puf, new GaborResponseQuantizer()), Settings), puf);
    }

    private async Task<EnrolmentResult> Enrol(PufDevice device)
    {
        var request = _verifier.CreateEnrolmentRequest(device.DeviceId);
        return await _verifier.CompleteEnrolmentAsync(request, device.Enrol(request));
    }

    private async Task<(AuthenticationResult Node, PufSession? Device)> Authenticate(PufDevice device)
    {
        var start = await _verifier.BeginAuthenticationAsync(device.Hello());
        Assert.NotNull(start.Challenge);
        var answer = device.Respond(start.Challenge);
        Assert.NotNull(answer.Proof);
        var result = await _verifier.CompleteAuthenticationAsync(answer.Proof);
        return (result, result.Confirmation is null ? null : device.Complete(result.Confirmation));
    }

    [Fact]
    public async Task Enrolled_device_authenticates_mutually_and_its_uploads_are_protected()
    {
        var (meter, _) = Device("glucose-meter-1", 101, 1);
        Assert.True((await Enrol(meter)).Succeeded);
        var (node, deviceSession) = await Authenticate(meter);
        Assert.True(node.Succeeded, node.Failure.ToString());
        Assert.NotNull(deviceSession);
        using var nodeSession = node.Session!;
        using var _ = deviceSession;
        Assert.True(node.FractionalDistance < Settings.Parameters.DesignBitErrorRate);

        var upload = deviceSession.Seal("glucose 5.4 mmol/L"u8, "reading"u8);
        Assert.Equal("glucose 5.4 mmol/L"u8.ToArray(), nodeSession.Open(upload, "reading"u8));
        Assert.Null(nodeSession.Open(upload, "reading"u8)); // a replayed upload is refused
        var altered = deviceSession.Seal("x"u8);
        altered[10] ^= 1;
        Assert.Null(nodeSession.Open(altered));
        Assert.Equal("ack"u8.ToArray(), deviceSession.Open(nodeSession.Seal("ack"u8)));

        Assert.Contains(_events.Events, e => e is { Category: EventCategories.Device, Action: "puf-enrol", Outcome: EventOutcome.Success });
        Assert.Contains(_events.Events, e => e is { Action: "puf-auth", Outcome: EventOutcome.Success, Actor: "glucose-meter-1" });
    }

    [Fact]
    public async Task Device_authenticates_at_the_worst_case_temperature()
    {
        var (meter, puf) = Device("meter-hot", 102, 2);
        Assert.True((await Enrol(meter)).Succeeded);
        puf.TemperatureCelsius = puf.Model.WorstCaseTemperatureCelsius;
        for (var i = 0; i < 3; i++)
        {
            var (node, session) = await Authenticate(meter);
            Assert.True(node.Succeeded, node.Failure.ToString());
            Assert.NotNull(session);
        }
    }

    [Fact]
    public async Task A_replayed_proof_is_refused()
    {
        var (meter, _) = Device("meter-replay", 103, 3);
        Assert.True((await Enrol(meter)).Succeeded);
        var start = await _verifier.BeginAuthenticationAsync(meter.Hello());
        var proof = meter.Respond(start.Challenge!).Proof!;
        Assert.True((await _verifier.CompleteAuthenticationAsync(proof)).Succeeded);

        var replay = await _verifier.CompleteAuthenticationAsync(proof);
        Assert.Equal(PufFailure.UnknownOrReplayedSession, replay.Failure);
        Assert.Contains(_events.Events, e => e is { Action: "puf-replay", Outcome: EventOutcome.Failure });

        // An old proof spliced into a fresh session fails the transcript MAC (new nonces, new challenge).
        var fresh = await _verifier.BeginAuthenticationAsync(new AuthenticationHello("meter-replay", RandomNumberGenerator.GetBytes(32)));
        var spliced = await _verifier.CompleteAuthenticationAsync(proof with { SessionId = fresh.Challenge!.SessionId });
        Assert.False(spliced.Succeeded);
    }

    [Fact]
    public async Task A_second_device_claiming_an_enrolled_identity_is_refused()
    {
        var (genuine, _) = Device("meter-7", 104, 4);
        Assert.True((await Enrol(genuine)).Succeeded);
        var (impostor, _) = Device("meter-7", 999, 5);

        Assert.Equal(PufFailure.AlreadyEnrolled, (await Enrol(impostor)).Failure);
        var (node, session) = await Authenticate(impostor);
        Assert.Equal(PufFailure.ResponseMismatch, node.Failure);
        Assert.Null(session);
        Assert.Contains(_events.Events, e => e is { Action: "puf-auth", Outcome: EventOutcome.Failure, Actor: "meter-7" });
        Assert.True((await Authenticate(genuine)).Node.Succeeded);
    }

    [Fact]
    public async Task A_physical_clone_enrolling_under_another_identity_is_flagged()
    {
        var (original, _) = Device("meter-a", 105, 6);
        var (copy, _) = Device("meter-b", 105, 7); // the same medium: a perfect physical copy
        var (other, _) = Device("meter-c", 106, 8);
        Assert.True((await Enrol(original)).Succeeded);
        Assert.True((await Enrol(other)).Succeeded);
        var result = await Enrol(copy);
        Assert.Equal(PufFailure.CloneSuspected, result.Failure);
        var alert = Assert.Single(_events.Events, e => e.Action == "puf-clone-suspected");
        Assert.Equal("meter-a", alert.Attributes["puf.similar_device"]);
        Assert.Null(await _store.GetAsync("meter-b"));
    }

    [Fact]
    public async Task Tampered_helper_data_is_detected()
    {
        var (meter, _) = Device("meter-tamper", 107, 9);
        Assert.True((await Enrol(meter)).Succeeded);
        var start = await _verifier.BeginAuthenticationAsync(meter.Hello());
        var proof = meter.Respond(start.Challenge!).Proof!;
        var helper = (byte[])proof.HelperData.Clone();
        helper[5] ^= 0x10; // within the code's correction radius: decodes, but to another response
        var result = await _verifier.CompleteAuthenticationAsync(proof with { HelperData = helper });
        Assert.Equal(PufFailure.HelperDataTampered, result.Failure);
        Assert.Contains(_events.Events, e => e is { Action: "puf-helper-tampered", Outcome: EventOutcome.Failure });
    }

    [Fact]
    public async Task A_forged_node_confirmation_is_refused_by_the_device()
    {
        var (meter, _) = Device("meter-mutual", 108, 10);
        Assert.True((await Enrol(meter)).Succeeded);
        var start = await _verifier.BeginAuthenticationAsync(meter.Hello());
        var proof = meter.Respond(start.Challenge!).Proof!;
        Assert.Null(meter.Complete(new AuthenticationConfirmation(proof.SessionId, RandomNumberGenerator.GetBytes(32))));
    }

    [Fact]
    public async Task Challenges_are_never_reused_and_the_pool_runs_out()
    {
        var (meter, _) = Device("meter-pool", 109, 11);
        Assert.True((await Enrol(meter)).Succeeded);
        var seen = new HashSet<int>();
        for (var i = 0; i < Settings.Parameters.ChallengePoolSize; i++)
        {
            var start = await _verifier.BeginAuthenticationAsync(new AuthenticationHello("meter-pool", RandomNumberGenerator.GetBytes(32)));
            Assert.True(seen.Add(start.Challenge!.ChallengeIndex));
        }

        var exhausted = await _verifier.BeginAuthenticationAsync(meter.Hello());
        Assert.Equal(PufFailure.ChallengesExhausted, exhausted.Failure);
        Assert.Equal(0, await _store.RemainingChallengesAsync("meter-pool"));
    }

    [Fact]
    public async Task The_device_refuses_to_answer_a_challenge_twice()
    {
        var (meter, _) = Device("meter-twice", 110, 12);
        Assert.True((await Enrol(meter)).Succeeded);
        var start = await _verifier.BeginAuthenticationAsync(meter.Hello());
        Assert.Equal(DeviceRefusal.None, meter.Respond(start.Challenge!).Refusal);
        meter.Hello();
        Assert.Equal(DeviceRefusal.ChallengeReused, meter.Respond(start.Challenge! with { NodeNonce = RandomNumberGenerator.GetBytes(32) }).Refusal);
    }

    [Fact]
    public async Task Stored_references_are_encrypted_and_tampering_with_them_is_detected()
    {
        var (meter, _) = Device("meter-store", 111, 13);
        var request = _verifier.CreateEnrolmentRequest(meter.DeviceId);
        var response = meter.Enrol(request);
        Assert.True((await _verifier.CompleteEnrolmentAsync(request, response)).Succeeded);
        var stored = (await _store.GetAsync("meter-store"))!;
        for (var i = 0; i < stored.Challenges.Count; i++)
        {
            Assert.False(stored.Challenges[i].ProtectedReference.AsSpan().IndexOf(response.References[i].AsSpan(0, 16)) >= 0);
            stored.Challenges[i].ProtectedReference[20] ^= 1; // storage tampering
        }

        var start = await _verifier.BeginAuthenticationAsync(meter.Hello());
        var result = await _verifier.CompleteAuthenticationAsync(meter.Respond(start.Challenge!).Proof!);
        Assert.Equal(PufFailure.ReferenceUnavailable, result.Failure);
    }
}
