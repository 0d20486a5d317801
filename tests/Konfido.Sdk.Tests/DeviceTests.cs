using System.Net;
using System.Net.Http.Json;
using Konfido.Core;
using Konfido.He.Compiler.Service;
using Konfido.Node;
using Konfido.Puf.Protocol;
using Konfido.Puf.Simulation;
using Konfido.Testing;

namespace Konfido.Sdk.Tests;

/// <summary>PUF enrolment and authentication through the SDK against a real node.</summary>
[Collection(FederationCollection.Name)]
public sealed class DeviceTests(SdkFederation federation)
{
    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    [Fact]
    public async Task An_enrolled_device_authenticates_and_a_wrong_device_or_a_clone_is_refused()
    {
        using var client = federation.Client();
        var operatorClient = client.Operator(await client.LoginWithTestEidasAsync(SdkFederation.OperatorPerson));
        const ulong medium = 0x5EED_0001UL;
        var meter = DeviceIdentity.Simulated(NewId("meter"), medium);

        var enrolled = await operatorClient.EnrolAsync(meter);
        Assert.True(enrolled.Enrolled, enrolled.Detail);
        // The references are encrypted under a key generated inside the node's custody.
        Assert.NotNull(federation.Denmark.Components.Custody!.FindKey(Custody.CustodyKeyId.Parse(CustodyReferenceProtector.KeyName)));

        var authenticated = await client.Devices.AuthenticateAsync(meter);
        Assert.True(authenticated.Succeeded, authenticated.Detail);
        using (authenticated.Session)
        {
            Assert.Equal(meter.DeviceId, authenticated.Session!.DeviceId);
        }

        // Another device claiming the meter's identity: its PUF does not answer like the meter's.
        var impostor = DeviceIdentity.Simulated(meter.DeviceId, medium ^ 0xBADC0FFEEUL);
        var refused = await client.Devices.AuthenticateAsync(impostor);
        Assert.False(refused.Succeeded);
        Assert.Equal(nameof(PufFailure.ResponseMismatch), refused.Failure);

        // A physical copy of the meter's medium enrolling under another id is flagged as a clone.
        var copy = DeviceIdentity.Simulated(NewId("copy"), medium);
        var cloneEnrolment = await operatorClient.EnrolAsync(copy);
        Assert.False(cloneEnrolment.Enrolled);
        Assert.Equal(nameof(PufFailure.CloneSuspected), cloneEnrolment.Failure);
        Assert.Contains(federation.Events.Events, e => e.Action == "puf-clone-suspected" && e.Actor == copy.DeviceId);

        // A second enrolment of an enrolled id, and an unknown device.
        var again = await operatorClient.EnrolAsync(DeviceIdentity.Simulated(meter.DeviceId, 0x0DDBA11UL));
        Assert.Equal(nameof(PufFailure.AlreadyEnrolled), again.Failure);
        var unknown = await client.Devices.AuthenticateAsync(DeviceIdentity.Simulated(NewId("ghost"), 7));
        Assert.Equal(nameof(PufFailure.UnknownDevice), unknown.Failure);
    }

    [Fact]
    public async Task Only_an_operator_enrols_devices()
    {
        using var client = federation.Client();
        var anonymous = await Assert.ThrowsAsync<KonfidoApiException>(() => client.Operator("not-a-session").EnrolAsync(DeviceIdentity.Simulated(NewId("anon"), 11)));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);

        var patientToken = await client.LoginWithTestEidasAsync(SdkFederation.PatientPerson(9));
        var patient = await Assert.ThrowsAsync<KonfidoApiException>(() => client.Operator(patientToken).EnrolAsync(DeviceIdentity.Simulated(NewId("self"), 12)));
        Assert.Equal(HttpStatusCode.Forbidden, patient.Status);
    }

    [Fact]
    public async Task An_upload_not_sealed_under_the_session_key_is_refused_and_reported()
    {
        using var client = federation.Client();
        var operatorClient = client.Operator(await client.LoginWithTestEidasAsync(SdkFederation.OperatorPerson));
        var (programId, owner) = await UploadTests.RegisterGlucoseProgramAsync(operatorClient);
        owner.Dispose();
        var meter = DeviceIdentity.Simulated(NewId("seal"), 0x5EA1UL);
        Assert.True((await operatorClient.EnrolAsync(meter)).Enrolled);
        var authentication = await client.Devices.AuthenticateAsync(meter);
        using var session = authentication.Session!;

        using var raw = federation.Federation.LocalClient("DK");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"devices/v1/programs/{programId}/uploads/forged-1") { Content = new ByteArrayContent(new byte[4096]) };
        request.Headers.Add(KonfidoClient.DeviceSessionHeader, session.SessionId);
        request.Headers.Add("X-Konfido-Reading-Count", "3");
        request.Headers.Add(DeviceApi.ProgramKeyHeader, (await operatorClient.ListProgramsAsync()).Single(p => p.Id == programId).KeyId);
        using var response = await raw.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("SealInvalid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(federation.Events.Events, e => e.Action == "device-upload" && e.Outcome == EventOutcome.Failure && e.Actor == meter.DeviceId);

        // Without a session: 401.
        using var anonymous = new HttpRequestMessage(HttpMethod.Post, $"devices/v1/programs/{programId}/uploads/forged-2") { Content = new ByteArrayContent(new byte[16]) };
        using var refused = await raw.SendAsync(anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Enrolments_survive_a_restart_and_open_only_with_the_nodes_custody()
    {
        using var directory = new TemporaryDirectory("konfido-sdk-devices");
        var events = new InMemorySecurityEventSink();
        var settings = PufProtocolSettings.Create();
        var model = new PhotonicPufModel();
        var device = new PufDevice("pump-1", new PufResponseReader(PhotonicPufSimulator.Create(model, 99, 100), new GaborResponseQuantizer(model.GridSize)), settings);
        EnrolmentResponse enrolment;
        using (var custody = NodeLauncher.OpenCustody("DK", directory.File("custody"), null))
        using (var devices = NodeDevices.Open("DK", directory.Path, custody, events, new HeAnalyticsService(events, "DK")))
        {
            var request = devices.Verifier.CreateEnrolmentRequest("pump-1");
            enrolment = device.Enrol(request);
            Assert.True((await devices.Verifier.CompleteEnrolmentAsync(request, enrolment)).Succeeded);
        }

        // The database holds the reference responses only as custody ciphertexts.
        var stored = Directory.GetFiles(directory.Path, "devices.db*").SelectMany(File.ReadAllBytes).ToArray();
        Assert.NotEmpty(stored);
        Assert.All(enrolment.References, reference => Assert.True(stored.AsSpan().IndexOf(reference) < 0));
        using (var custody = NodeLauncher.OpenCustody("DK", directory.File("custody"), null))
        using (var devices = NodeDevices.Open("DK", directory.Path, custody, events, new HeAnalyticsService(events, "DK")))
        {
            Assert.True(await AuthenticateAsync(devices.Verifier, device));
        }

        // Another custody (another machine, or a copied database) cannot open the references.
        using (var other = NodeLauncher.OpenCustody("DK", directory.File("other-custody"), null))
        using (var devices = NodeDevices.Open("DK", directory.Path, other, events, new HeAnalyticsService(events, "DK")))
        {
            var start = await devices.Verifier.BeginAuthenticationAsync(device.Hello());
            var result = await devices.Verifier.CompleteAuthenticationAsync(device.Respond(start.Challenge!).Proof!);
            Assert.Equal(PufFailure.ReferenceUnavailable, result.Failure);
        }
    }

    [Fact]
    public async Task A_caller_cannot_burn_a_devices_challenges_by_naming_it()
    {
        using var client = federation.Client();
        var operatorClient = client.Operator(await client.LoginWithTestEidasAsync(SdkFederation.OperatorPerson));
        var meter = DeviceIdentity.Simulated(NewId("burn"), 0xB0B0UL);
        Assert.True((await operatorClient.EnrolAsync(meter)).Enrolled);
        using var raw = federation.Federation.LocalClient("DK");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < NodeDevices.HellosPerWindow + 2; i++)
        {
            using var hello = await raw.PostAsync("devices/v1/sessions", JsonContent.Create(new { deviceId = meter.DeviceId, deviceNonce = new byte[32] }));
            statuses.Add(hello.StatusCode);
        }

        Assert.Equal(NodeDevices.HellosPerWindow, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.Contains(federation.Events.Events, e => e.Action == "puf-auth-throttled" && e.Actor == meter.DeviceId);
        // 32 - 6 challenges are left for the real meter, once the window has passed.
    }

    private static async Task<bool> AuthenticateAsync(PufVerifier verifier, PufDevice device)
    {
        var start = await verifier.BeginAuthenticationAsync(device.Hello());
        var result = await verifier.CompleteAuthenticationAsync(device.Respond(start.Challenge!).Proof!);
        using var nodeSession = result.Session;
        using var deviceSession = result.Confirmation is null ? null : device.Complete(result.Confirmation);
        return deviceSession is not null;
    }
}
