namespace Konfido.Sdk.Examples;

/// <summary>What example 01 did.</summary>
/// <param name="DeviceId">The meter's id.</param>
/// <param name="Enrolment">The enrolment outcome.</param>
/// <param name="Authentication">The authentication outcome (failure name or None).</param>
/// <param name="SessionExpires">When the meter's session ends.</param>
public sealed record EnrolDeviceResult(string DeviceId, EnrolmentOutcome Enrolment, string Authentication, DateTimeOffset? SessionExpires);

/// <summary>
/// Example 01: enrol a glucose meter with its PUF and authenticate it. An operator (a professional logged in
/// with eID) enrols the meter, which is in their hands; in the field the meter then authenticates on its own
/// and receives a session key derived from its PUF response, never stored anywhere.
/// </summary>
public static class EnrolDeviceExample
{
    /// <summary>Runs the example.</summary>
    /// <param name="settings">Where the node is.</param>
    /// <param name="output">Where the narrative goes.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public static async Task<EnrolDeviceResult> RunAsync(ExampleSettings settings, TextWriter output, CancellationToken cancellationToken = default)
    {
        using var client = settings.Connect();

        // The operator logs in (here through the node's test eIDAS node; an app opens the real eID login in a browser).
        var operatorToken = await client.LoginWithTestEidasAsync(settings.OperatorPerson, cancellationToken: cancellationToken);

        // A meter with a (simulated) photonic PUF: the seed is its scattering medium.
        var meter = DeviceIdentity.Simulated($"glucose-meter-{Guid.NewGuid():N}"[..24], mediumSeed: (ulong)Random.Shared.NextInt64());
        var enrolment = await client.Operator(operatorToken).EnrolAsync(meter, cancellationToken);
        await output.WriteLineAsync($"enrolment of {meter.DeviceId}: {(enrolment.Enrolled ? "ok" : enrolment.Failure)} ({enrolment.Detail})");

        // In the field: challenge-response with the PUF, mutual, yielding a session key.
        var authentication = await client.Devices.AuthenticateAsync(meter, cancellationToken);
        using var session = authentication.Session;
        await output.WriteLineAsync($"authentication: {(authentication.Succeeded ? "ok" : authentication.Failure)} ({authentication.Detail}); session until {session?.Expires:u}");
        return new EnrolDeviceResult(meter.DeviceId, enrolment, authentication.Failure, session?.Expires);
    }
}
