namespace Konfido.Node;

/// <summary>
/// The console's device list from the node's enrolment registry (<see cref="NodeDevices"/>), with each
/// device's activity since the node started (last seen, successes, failures) from the console's event view.
/// Devices seen in events but not enrolled here (refused impostors) are listed too.
/// </summary>
/// <param name="devices">The node's device records.</param>
/// <param name="activity">The console's activity view.</param>
public sealed class RegisteredDeviceSource(NodeDevices devices, ConsoleActivity activity) : IConsoleDeviceSource
{
    /// <inheritdoc />
    public string Description => "the node's PUF enrolment registry, with activity since the node started";

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsoleDevice>> ListAsync(CancellationToken cancellationToken = default)
    {
        var seen = activity.Devices().ToDictionary(d => d.DeviceId, StringComparer.Ordinal);
        var enrolled = await devices.EnrolmentsAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<ConsoleDevice>();
        foreach (var enrolment in enrolled)
        {
            seen.Remove(enrolment.DeviceId, out var observed);
            var refused = observed?.LastOutcome == Core.EventOutcome.Failure;
            list.Add(new ConsoleDevice(enrolment.DeviceId, refused ? "refused" : observed is null ? "enrolled" : "authenticated",
                enrolment.EnrolledAt, observed?.LastSeen, observed?.Successes ?? 0, observed?.Failures ?? 0, refused ? observed!.LastReason : null));
        }

        list.AddRange(seen.Values.Select(d => new ConsoleDevice(d.DeviceId, "not enrolled", null, d.LastSeen, d.Successes, d.Failures, d.LastReason)));
        return [.. list.OrderByDescending(d => d.LastSeen ?? d.EnrolledAt)];
    }
}
