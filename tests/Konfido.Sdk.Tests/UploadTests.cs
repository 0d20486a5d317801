using System.Net;
using Konfido.Core;
using Konfido.He.Compiler;
using Konfido.He.Compiler.Runtime;

namespace Konfido.Sdk.Tests;

/// <summary>Encrypted uploads: batching, retries, a client crash and restart, the node counting each upload once, the HE mean.</summary>
[Collection(FederationCollection.Name)]
public sealed class UploadTests(SdkFederation federation)
{
    /// <summary>Compiles the glucose program, makes keys and registers it; returns its id and the data owner's key holder.</summary>
    internal static async Task<(string Id, HeKeyHolder Owner)> RegisterGlucoseProgramAsync(OperatorClient operatorClient)
    {
        var program = HeCompiler.Compile(ReadingKinds.ProgramSource(ReadingKinds.Glucose));
        var owner = new HeKeyHolder(program);
        var id = $"glucose-{Guid.NewGuid():N}"[..20];
        await operatorClient.RegisterProgramAsync(new ProgramRegistration(id, ReadingKinds.Glucose, "mmol/L", 1, program.Serialize(), owner.EvaluationKeys.Serialize()));
        return (id, owner);
    }

    [Fact]
    public async Task Uploads_survive_a_client_crash_and_restart_and_are_counted_once()
    {
        var journal = Path.Combine(federation.WorkDirectory, "crash-" + Guid.NewGuid().ToString("N"));
        using var setup = federation.Client();
        var operatorClient = setup.Operator(await setup.LoginWithTestEidasAsync(SdkFederation.OperatorPerson));
        var (programId, owner) = await RegisterGlucoseProgramAsync(operatorClient);
        using var ownerKeys = owner;
        var meter = DeviceIdentity.Simulated($"cgm-{Guid.NewGuid():N}"[..16], 0xC6A1UL);
        Assert.True((await operatorClient.EnrolAsync(meter)).Enrolled);

        var random = new Random(7);
        var values = Enumerable.Range(0, 180).Select(_ => Math.Round(4 + (random.NextDouble() * 8), 1)).ToArray();
        var start = DateTimeOffset.UtcNow.AddHours(-10);

        // Run 1: 150 readings (batches of 64, 64, 22); the first upload reaches the node, which counts it, but the
        // device dies before it reads the answer.
        using (var crash = new CancellationTokenSource())
        {
            var faults = new FaultHandler(async (request, send) =>
            {
                var response = await send(request);
                if (request.RequestUri!.AbsolutePath.Contains("/uploads/", StringComparison.Ordinal))
                {
                    await crash.CancelAsync();
                    throw new OperationCanceledException(crash.Token);
                }

                return response;
            });
            using var client = federation.Client(inner => faults.Over(inner));
            using var uploader = ReadingUploader.Open(client, meter, new ReadingUploaderOptions { JournalDirectory = journal, ProgramIds = [programId] });
            for (var i = 0; i < 150; i++)
            {
                await uploader.EnqueueAsync(new Reading(ReadingKinds.Glucose, values[i], start.AddMinutes(i)));
            }

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => uploader.FlushAsync(crash.Token));
            Assert.Equal(3, uploader.PendingBatches);
        }

        // Run 2 (a new process): the journal gives back the three batches under their upload ids; 30 new readings; the node
        // answers 503 twice before it recovers.
        var unavailable = 2;
        var retried = new FaultHandler((request, send) =>
            request.RequestUri!.AbsolutePath.Contains("/uploads/", StringComparison.Ordinal) && Interlocked.Decrement(ref unavailable) >= 0
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable))
                : send(request));
        using (var client = federation.Client(inner => retried.Over(inner)))
        using (var uploader = ReadingUploader.Open(client, meter, new ReadingUploaderOptions { JournalDirectory = journal, ProgramIds = [programId], InitialBackoff = TimeSpan.FromMilliseconds(10) }))
        {
            Assert.Equal(3, uploader.PendingBatches);
            Assert.Equal(0, uploader.PendingReadings);
            for (var i = 150; i < values.Length; i++)
            {
                await uploader.EnqueueAsync(new Reading(ReadingKinds.Glucose, values[i], start.AddMinutes(i)));
            }

            var report = await uploader.FlushAsync();
            Assert.Equal(4, report.BatchesUploaded);
            Assert.Equal(180, report.ReadingsUploaded);
            Assert.Equal(1, report.Duplicates);
            Assert.Equal(2, report.Retries);
            Assert.Equal(0, report.PendingReadings + report.PendingBatches);
        }

        // The journal is empty once everything is acknowledged (no reading stays on the device's disk).
        Assert.Equal(0, new FileInfo(Path.Combine(journal, "journal.jsonl")).Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(journal, "batches")));

        // The node counted 180 readings in 4 batches: the replayed batch once.
        var result = await operatorClient.ComputeAsync(programId);
        Assert.Equal(4, result.Batches);
        Assert.Equal(180, result.Readings);
        Assert.Single(federation.Events.Events, e => e.Action == "device-upload" && e.Actor == meter.DeviceId && e.Attributes.GetValueOrDefault("duplicate") == "true");

        // The data owner decrypts the total: the exact sum of the one-decimal readings.
        var decrypted = ownerKeys.Decrypt(HeBundle.Deserialize(result.EncryptedResult));
        Assert.Equal(values.Sum(v => (long)Math.Round(v * 10)), (long)decrypted.Outputs["total"][0]);
        Assert.Equal(values.Average(), decrypted.Outputs["total"][0] / 10 / result.Readings, 9);
        Assert.True(decrypted.NoiseBudgetBits > 0);
        Assert.Contains(federation.Events.Events, e => e.Category == EventCategories.HomomorphicEncryption && e.Action == "device-analytics-compute" && e.Outcome == EventOutcome.Success);
    }

    [Fact]
    public async Task A_node_that_forgot_the_session_is_met_with_a_new_authentication()
    {
        using var client = federation.Client();
        var operatorClient = client.Operator(await client.LoginWithTestEidasAsync(SdkFederation.OperatorPerson));
        var (programId, owner) = await RegisterGlucoseProgramAsync(operatorClient);
        using var ownerKeys = owner;
        var meter = DeviceIdentity.Simulated($"cgm-{Guid.NewGuid():N}"[..16], 0xC6A2UL);
        Assert.True((await operatorClient.EnrolAsync(meter)).Enrolled);
        using var uploader = ReadingUploader.Open(client, meter, new ReadingUploaderOptions { JournalDirectory = Path.Combine(federation.WorkDirectory, Guid.NewGuid().ToString("N")), ProgramIds = [programId], BatchSize = 8 });
        for (var i = 0; i < 10; i++)
        {
            await uploader.EnqueueAsync(new Reading(ReadingKinds.Glucose, 5 + (i / 10.0), DateTimeOffset.UtcNow));
        }

        Assert.Equal(10, (await uploader.FlushAsync()).ReadingsUploaded);
        // The node forgets every device session (as after a restart).
        federation.Denmark.Devices.EndAllSessions();
        await uploader.EnqueueAsync(new Reading(ReadingKinds.Glucose, 6.1, DateTimeOffset.UtcNow));
        var report = await uploader.FlushAsync();
        Assert.Equal(1, report.ReadingsUploaded);
        Assert.Equal(1, report.Authentications);
        Assert.Equal(11, (await operatorClient.ComputeAsync(programId)).Readings);
    }

    [Fact]
    public async Task Readings_without_a_program_wait_and_a_reading_outside_the_range_is_refused_on_the_device()
    {
        using var client = federation.Client();
        var operatorClient = client.Operator(await client.LoginWithTestEidasAsync(SdkFederation.OperatorPerson));
        var meter = DeviceIdentity.Simulated($"bp-{Guid.NewGuid():N}"[..16], 0xB10DUL);
        Assert.True((await operatorClient.EnrolAsync(meter)).Enrolled);
        using var uploader = ReadingUploader.Open(client, meter, new ReadingUploaderOptions { JournalDirectory = Path.Combine(federation.WorkDirectory, Guid.NewGuid().ToString("N")) });
        Assert.DoesNotContain(await operatorClient.ListProgramsAsync(), p => p.Kind == ReadingKinds.Diastolic);
        await uploader.EnqueueAsync(new Reading(ReadingKinds.Diastolic, 80, DateTimeOffset.UtcNow));
        await Assert.ThrowsAsync<ArgumentException>(() => uploader.EnqueueAsync(new Reading("bogus", 1, DateTimeOffset.UtcNow)));
        var report = await uploader.FlushAsync();
        Assert.Equal(1, report.PendingReadings);
        Assert.Equal(0, report.BatchesUploaded);

        var publicKey = PublicKeyOnly();
        var info = new AnalyticsProgram("x", ReadingKinds.Glucose, "mmol/L", 1, 64, "value", 16777215, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(publicKey)));
        var compiled = HeCompiler.Compile(ReadingKinds.ProgramSource(ReadingKinds.Glucose)).Serialize();
        var material = ProgramMaterial.Load(info, compiled, publicKey);
        Assert.Throws<FormatException>(() => ProgramMaterial.Load(info with { KeyId = new string('0', 64) }, compiled, publicKey));
        Assert.Equal(54, material.Encode(5.4));
        Assert.Throws<ArgumentOutOfRangeException>(() => material.Encode(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => material.EncryptBatch(new double[65]));
    }

    [Fact]
    public async Task A_batch_under_a_retired_program_key_is_refused_not_added()
    {
        using var client = federation.Client();
        var operatorClient = client.Operator(await client.LoginWithTestEidasAsync(SdkFederation.OperatorPerson));
        var (programId, oldOwner) = await RegisterGlucoseProgramAsync(operatorClient);
        oldOwner.Dispose();
        var meter = DeviceIdentity.Simulated($"rot-{Guid.NewGuid():N}"[..16], 0x207UL);
        Assert.True((await operatorClient.EnrolAsync(meter)).Enrolled);
        var authentication = await client.Devices.AuthenticateAsync(meter);
        using var session = authentication.Session!;
        var oldMaterial = await client.Devices.GetProgramAsync(session, programId);
        var oldBatch = oldMaterial.EncryptBatch([5.0, 6.0]);

        // The data owner rotates the key: same program id, new keys.
        var program = HeCompiler.Compile(ReadingKinds.ProgramSource(ReadingKinds.Glucose));
        using var owner = new HeKeyHolder(program);
        await operatorClient.RegisterProgramAsync(new ProgramRegistration(programId, ReadingKinds.Glucose, "mmol/L", 1, program.Serialize(), owner.EvaluationKeys.Serialize()));

        var stale = await client.Devices.UploadAsync(session, programId, oldMaterial.Info.KeyId, "old-key-batch", 2, oldBatch);
        Assert.False(stale.Accepted);
        Assert.Contains("key", stale.Reason, StringComparison.Ordinal);

        var material = await client.Devices.GetProgramAsync(session, programId);
        Assert.NotEqual(oldMaterial.Info.KeyId, material.Info.KeyId);
        Assert.True((await client.Devices.UploadAsync(session, programId, material.Info.KeyId, "new-key-batch", 3, material.EncryptBatch([4.0, 5.5, 7.2]))).Accepted);
        var result = await operatorClient.ComputeAsync(programId);
        Assert.Equal(3, result.Readings);
        Assert.Equal(167, owner.Decrypt(HeBundle.Deserialize(result.EncryptedResult)).Outputs["total"][0]);
    }

    private static byte[] PublicKeyOnly()
    {
        using var holder = new HeKeyHolder(HeCompiler.Compile(ReadingKinds.ProgramSource(ReadingKinds.Glucose)));
        var bundle = new HeBundle();
        bundle.Set(KeyNames.Public, holder.EvaluationKeys.Find(KeyNames.Public)!);
        return bundle.Serialize();
    }
}

/// <summary>A handler that lets a test decide what happens to each request (fault injection).</summary>
internal sealed class FaultHandler(Func<HttpRequestMessage, Func<HttpRequestMessage, Task<HttpResponseMessage>>, Task<HttpResponseMessage>> behaviour)
{
    public HttpMessageHandler Over(HttpMessageHandler inner) => new Delegating(inner, behaviour);

    private sealed class Delegating(HttpMessageHandler inner, Func<HttpRequestMessage, Func<HttpRequestMessage, Task<HttpResponseMessage>>, Task<HttpResponseMessage>> behaviour)
        : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            behaviour(request, r => base.SendAsync(r, cancellationToken));
    }
}
