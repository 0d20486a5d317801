using System.Globalization;
using Konfido.He.Compiler;
using Konfido.He.Compiler.Runtime;

namespace Konfido.Sdk.Examples;

/// <summary>What example 02 did.</summary>
/// <param name="ProgramId">The registered program.</param>
/// <param name="Report">The uploader's report.</param>
/// <param name="Readings">The readings the node aggregated.</param>
/// <param name="EncryptedMean">The mean the data owner decrypted.</param>
/// <param name="ClearMean">The mean computed in the clear on the device's values.</param>
public sealed record UploadReadingsResult(string ProgramId, UploadReport Report, long Readings, double EncryptedMean, double ClearMean);

/// <summary>
/// Example 02: a glucose meter uploads readings encrypted for the node's HE analytics. A data owner (e.g. a
/// research registry) compiles the aggregation program and keeps the secret key; the operator registers the
/// program with its evaluation keys; the meter queues readings in its durable journal, encrypts them in
/// batches with the public key and uploads them; the node adds the batches without any secret key; the data
/// owner decrypts the total and divides by the count.
/// </summary>
public static class UploadReadingsExample
{
    /// <summary>Runs the example with <paramref name="count"/> readings.</summary>
    /// <param name="settings">Where the node is.</param>
    /// <param name="output">Where the narrative goes.</param>
    /// <param name="count">How many readings.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public static async Task<UploadReadingsResult> RunAsync(ExampleSettings settings, TextWriter output, int count = 100, CancellationToken cancellationToken = default)
    {
        using var client = settings.Connect();
        var operatorToken = await client.LoginWithTestEidasAsync(settings.OperatorPerson, cancellationToken: cancellationToken);
        var operatorClient = client.Operator(operatorToken);

        // The data owner: compile the program, make keys; only the evaluation keys leave.
        var program = HeCompiler.Compile(ReadingKinds.ProgramSource(ReadingKinds.Glucose));
        using var owner = new HeKeyHolder(program);
        var programId = $"glucose-{Guid.NewGuid():N}"[..16];
        await operatorClient.RegisterProgramAsync(new ProgramRegistration(programId, ReadingKinds.Glucose, ReadingKinds.Unit(ReadingKinds.Glucose),
            ReadingKinds.Decimals(ReadingKinds.Glucose), program.Serialize(), owner.EvaluationKeys.Serialize()), cancellationToken);
        await output.WriteLineAsync($"program {programId}: BFV N={program.Parameters.PolyModulusDegree}, {program.Program.Slots} readings per batch");

        var meter = DeviceIdentity.Simulated($"meter-{Guid.NewGuid():N}"[..16], mediumSeed: (ulong)Random.Shared.NextInt64());
        var enrolment = await operatorClient.EnrolAsync(meter, cancellationToken);
        if (!enrolment.Enrolled)
        {
            throw new InvalidOperationException($"enrolment refused: {enrolment.Failure}");
        }

        // The meter: readings go to the journal first; a flush encrypts, batches and uploads them.
        var random = new Random(13);
        var values = Enumerable.Range(0, count).Select(_ => Math.Round(Math.Clamp(6.2 + (1.4 * Normal(random)), 2.5, 20), 1)).ToArray();
        using (var uploader = ReadingUploader.Open(client, meter, new ReadingUploaderOptions { JournalDirectory = Path.Combine(settings.WorkDirectory, meter.DeviceId), ProgramIds = [programId] }))
        {
            var start = DateTimeOffset.UtcNow.AddMinutes(-5 * count);
            for (var i = 0; i < values.Length; i++)
            {
                await uploader.EnqueueAsync(new Reading(ReadingKinds.Glucose, values[i], start.AddMinutes(5 * i)), cancellationToken);
            }

            var report = await uploader.FlushAsync(cancellationToken);
            await output.WriteLineAsync($"uploaded {report.ReadingsUploaded} readings in {report.BatchesUploaded} encrypted batches ({report.Retries} retries, {report.PendingReadings} pending)");

            // The node computes without a secret key; the data owner decrypts.
            var result = await operatorClient.ComputeAsync(programId, cancellationToken);
            var decrypted = owner.Decrypt(HeBundle.Deserialize(result.EncryptedResult));
            var mean = decrypted.Outputs["total"][0] / Math.Pow(10, ReadingKinds.Decimals(ReadingKinds.Glucose)) / result.Readings;
            var clear = values.Average();
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"mean glucose over {result.Readings} encrypted readings: {mean:F3} mmol/L (clear {clear:F3}); noise budget left {decrypted.NoiseBudgetBits} bits"));
            return new UploadReadingsResult(programId, report, result.Readings, mean, clear);
        }
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
