using System.Globalization;
using Konfido.Core;

namespace Konfido.He.Compiler.Service;

/// <summary>The outcome of <see cref="HeAnalyticsScenario.RunAsync"/>.</summary>
/// <param name="Ok">Whether every step held: the results match the clear run, the foreign ciphertext was refused.</param>
/// <param name="Detail">One line for the demo's step detail.</param>
/// <param name="Outputs">Each output: decrypted value (slot 0), clear value, absolute error.</param>
/// <param name="ForeignCiphertextRejected">Whether the service refused a ciphertext of other parameters.</param>
/// <param name="ResultBytes">Size of the encrypted result the service returned.</param>
public sealed record HeAnalyticsScenarioResult(bool Ok, string Detail, IReadOnlyDictionary<string, (double Decrypted, double Clear, double Error)> Outputs,
    bool ForeignCiphertextRejected, int ResultBytes);

/// <summary>
/// The demo's one call (step <c>he-analytics</c>): a patient's wearable encrypts 64 heart-rate
/// readings under the patient's key; the node's <see cref="HeAnalyticsService"/> computes mean,
/// variance and standard deviation without the secret key; the patient decrypts; a ciphertext under
/// foreign parameters is refused.
/// </summary>
public static class HeAnalyticsScenario
{
    /// <summary>The program id the scenario registers.</summary>
    public const string ProgramId = "vital_signs";

    /// <summary>Runs the scenario on <paramref name="service"/>; events go to <paramref name="events"/> as node <paramref name="node"/>.</summary>
    public static async Task<HeAnalyticsScenarioResult> RunAsync(HeAnalyticsService service, ISecurityEventSink events, string node,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);

        // Patient: compile the shipped program and create keys (the secret key stays here).
        var program = HeCompiler.Compile(HeExamplePrograms.Source("vital_signs"));
        const string patient = "patient-dk-0001";
        using var owner = await HeDataOwner.CreateAsync(program, patient, events, node, cancellationToken).ConfigureAwait(false);
        var registration = await service.RegisterProgramAsync(ProgramId, program.Serialize(), owner.EvaluationKeys, patient, cancellationToken).ConfigureAwait(false);
        if (!registration.Accepted)
        {
            return Fail("registration refused: " + registration.Reason);
        }

        // Device: 64 synthetic readings, encrypted with the public key only.
        var random = new Random(20261123);
        var readings = Enumerable.Range(0, program.Program.Slots).Select(_ => Math.Round(Math.Clamp(78 + (12 * Gaussian(random)), 45, 180))).ToArray();
        var encryptor = owner.CreateEncryptor();
        var upload = await service.UploadAsync(ProgramId, "hr", "wearable-0001", encryptor.Encrypt("hr", readings), cancellationToken).ConfigureAwait(false);
        if (!upload.Accepted)
        {
            return Fail("upload refused: " + upload.Reason);
        }

        // A ciphertext under other parameters (another program's) must be refused.
        var other = HeCompiler.Compile(HeExamplePrograms.Source("cross_border"));
        using var otherKeys = new Runtime.HeKeyHolder(other);
        var foreign = otherKeys.CreateEncryptor().Encrypt("dk", [1.0]);
        var rejected = await service.UploadAsync(ProgramId, "hr", "unknown-device", foreign, cancellationToken).ConfigureAwait(false);

        // Node: compute without the secret key.
        var computed = await service.ComputeAsync(ProgramId, "dk-analytics", null, cancellationToken).ConfigureAwait(false);
        if (!computed.Succeeded)
        {
            return Fail("computation failed: " + computed.Reason);
        }

        // Patient: decrypt and compare with the clear computation.
        var decrypted = await owner.DecryptAsync(computed.Result!, patient, cancellationToken).ConfigureAwait(false);
        if (decrypted is null)
        {
            return Fail("the result did not decrypt");
        }

        var clear = Runtime.HeProgramRunner.EvaluateClear(program, new Dictionary<string, double[]> { ["hr"] = readings });
        var outputs = program.Program.Outputs.ToDictionary(
            o => o.Name,
            o => (decrypted.Outputs[o.Name][0], clear[o.Name][0], Math.Abs(decrypted.Outputs[o.Name][0] - clear[o.Name][0])),
            StringComparer.Ordinal);

        // Tolerances: 0.01 bpm for the mean, 0.5 bpm² for the variance, 0.3 bpm for the approximated sqrt.
        bool accurate = outputs["mean"].Item3 < 0.01 && outputs["variance"].Item3 < 0.5 && outputs["stddev"].Item3 < 0.3;
        bool ok = accurate && !rejected.Accepted;
        string detail = string.Create(CultureInfo.InvariantCulture,
            $"{readings.Length} encrypted heart rates (CKKS N={program.Parameters.PolyModulusDegree}, depth {program.Statistics.Depth}): mean {outputs["mean"].Item1:F2} bpm (clear {outputs["mean"].Item2:F2}), sd {outputs["stddev"].Item1:F2} (clear {outputs["stddev"].Item2:F2}); node held no secret key; foreign ciphertext {(rejected.Accepted ? "ACCEPTED" : "refused")}");
        return new HeAnalyticsScenarioResult(ok, detail, outputs, !rejected.Accepted, computed.Result!.Length);

        static HeAnalyticsScenarioResult Fail(string reason) =>
            new(false, reason, new Dictionary<string, (double, double, double)>(), false, 0);
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
