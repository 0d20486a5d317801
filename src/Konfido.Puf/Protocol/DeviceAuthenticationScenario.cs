using System.Globalization;
using System.Text;
using Konfido.Puf.Simulation;

namespace Konfido.Puf.Protocol;

/// <summary>The outcome of <see cref="DeviceAuthenticationScenario.RunAsync"/>.</summary>
/// <param name="Ok">True when every step behaved as it must.</param>
/// <param name="Detail">One line per step.</param>
public sealed record ScenarioOutcome(bool Ok, string Detail);

/// <summary>
/// The demo's <c>puf-device-auth</c> step, runnable against any <see cref="PufVerifier"/>: a simulated glucose
/// meter enrols, authenticates and uploads a sealed reading; a second device claiming the same identity is
/// refused at enrolment and at authentication; a physical copy of the meter's medium enrolling under another
/// identity is flagged as a clone.
/// </summary>
public static class DeviceAuthenticationScenario
{
    /// <summary>Runs the scenario. Requires a verifier whose store does not yet hold <paramref name="deviceId"/>.</summary>
    /// <param name="verifier">The node's verifier.</param>
    /// <param name="settings">The verifier's protocol settings.</param>
    /// <param name="deviceId">The meter's identity.</param>
    /// <param name="seed">Seeds the simulated media (distinct seeds give distinct devices).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public static async Task<ScenarioOutcome> RunAsync(PufVerifier verifier, PufProtocolSettings settings, string deviceId = "glucose-meter-0001", ulong seed = 0x6C75636F7365UL, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        var model = new PhotonicPufModel();
        var detail = new StringBuilder();
        var ok = true;

        PufDevice Device(string id, ulong medium, ulong noise) =>
            new(id, new PufResponseReader(PhotonicPufSimulator.Create(model, medium, noise), new GaborResponseQuantizer(model.GridSize)), settings);

        void Step(bool passed, string text)
        {
            ok &= passed;
            detail.Append(passed ? "ok: " : "FAILED: ").AppendLine(text);
        }

        var meter = Device(deviceId, seed, seed + 1);
        var request = verifier.CreateEnrolmentRequest(deviceId);
        var enrolled = await verifier.CompleteEnrolmentAsync(request, meter.Enrol(request), cancellationToken).ConfigureAwait(false);
        Step(enrolled.Succeeded, $"{deviceId} enrolled ({enrolled.Detail})");

        var start = await verifier.BeginAuthenticationAsync(meter.Hello(), cancellationToken).ConfigureAwait(false);
        var answer = start.Challenge is null ? null : meter.Respond(start.Challenge).Proof;
        var result = answer is null ? null : await verifier.CompleteAuthenticationAsync(answer, cancellationToken).ConfigureAwait(false);
        using var deviceSession = result?.Confirmation is null ? null : meter.Complete(result.Confirmation);
        using var nodeSession = result?.Session;
        Step(deviceSession is not null && nodeSession is not null, $"{deviceId} authenticated mutually (response distance {result?.FractionalDistance?.ToString("F3", CultureInfo.InvariantCulture) ?? "-"})");
        if (deviceSession is not null && nodeSession is not null)
        {
            var reading = "{\"glucose_mmol_per_l\":5.4}"u8;
            var opened = nodeSession.Open(deviceSession.Seal(reading, "reading"u8), "reading"u8);
            Step(opened is not null && opened.AsSpan().SequenceEqual(reading), "reading uploaded under the session key (AES-GCM)");
        }

        var impostor = Device(deviceId, seed ^ 0xBADC0FFEEUL, seed + 2);
        var impostorRequest = verifier.CreateEnrolmentRequest(deviceId);
        var reEnrol = await verifier.CompleteEnrolmentAsync(impostorRequest, impostor.Enrol(impostorRequest), cancellationToken).ConfigureAwait(false);
        Step(reEnrol.Failure == PufFailure.AlreadyEnrolled, $"second device claiming {deviceId} refused at enrolment ({reEnrol.Failure})");

        var impostorStart = await verifier.BeginAuthenticationAsync(impostor.Hello(), cancellationToken).ConfigureAwait(false);
        var impostorProof = impostorStart.Challenge is null ? null : impostor.Respond(impostorStart.Challenge).Proof;
        var impostorResult = impostorProof is null ? null : await verifier.CompleteAuthenticationAsync(impostorProof, cancellationToken).ConfigureAwait(false);
        Step(impostorResult is { Succeeded: false }, $"second device claiming {deviceId} refused at authentication ({impostorResult?.Failure.ToString() ?? "no challenge"})");

        var copy = Device(deviceId + "-copy", seed, seed + 3);
        var copyRequest = verifier.CreateEnrolmentRequest(copy.DeviceId);
        var copyResult = await verifier.CompleteEnrolmentAsync(copyRequest, copy.Enrol(copyRequest), cancellationToken).ConfigureAwait(false);
        Step(copyResult.Failure == PufFailure.CloneSuspected, $"physical copy enrolling as {copy.DeviceId} flagged ({copyResult.Failure})");

        return new ScenarioOutcome(ok, detail.ToString().TrimEnd());
    }
}
