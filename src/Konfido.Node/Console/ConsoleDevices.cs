namespace Konfido.Node;

/// <summary>One PUF device as the console lists it.</summary>
/// <param name="DeviceId">The device identifier.</param>
/// <param name="Status">A short state: <c>enrolled</c>, <c>authenticated</c>, <c>refused</c>, <c>revoked</c>, ...</param>
/// <param name="EnrolledAt">When it was enrolled, if known.</param>
/// <param name="LastSeen">Its latest authentication attempt or event, if any.</param>
/// <param name="Successes">Successful authentications (or events).</param>
/// <param name="Failures">Refused authentications (or failed events).</param>
/// <param name="LastReason">Why the latest attempt failed, if it did.</param>
public sealed record ConsoleDevice(string DeviceId, string Status, DateTimeOffset? EnrolledAt, DateTimeOffset? LastSeen, int Successes, int Failures, string? LastReason);

/// <summary>Where the console reads the node's PUF devices from (the node's device registry when it has one).</summary>
public interface IConsoleDeviceSource
{
    /// <summary>What the list is, for the page (e.g. "enrolment registry", "devices seen in the node's events").</summary>
    string Description { get; }

    /// <summary>The devices, most recently active first.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<ConsoleDevice>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>The devices that appear in the node's device events (<see cref="ConsoleActivity.Devices"/>): used while the node has no device registry.</summary>
/// <param name="activity">The console's activity view.</param>
public sealed class ObservedDeviceSource(ConsoleActivity activity) : IConsoleDeviceSource
{
    /// <inheritdoc />
    public string Description => "devices seen in this node's device events since it started";

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsoleDevice>> ListAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ConsoleDevice> devices = [.. activity.Devices().Select(d => new ConsoleDevice(d.DeviceId,
            d.LastOutcome == Konfido.Core.EventOutcome.Failure ? "refused" : d.LastAction.Contains("enrol", StringComparison.Ordinal) ? "enrolled" : "authenticated",
            null, d.LastSeen, d.Successes, d.Failures, d.LastOutcome == Konfido.Core.EventOutcome.Failure ? d.LastReason : null))];
        return ValueTask.FromResult(devices);
    }
}
