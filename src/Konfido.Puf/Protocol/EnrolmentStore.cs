namespace Konfido.Puf.Protocol;

/// <summary>One single-use challenge of an enrolled device: its seed and the encrypted reference response.</summary>
/// <param name="Index">The index in the device's pool.</param>
/// <param name="Seed">The public challenge seed.</param>
/// <param name="ProtectedReference">The reference response, encrypted by an <see cref="IReferenceProtector"/>.</param>
public sealed record EnrolledChallenge(int Index, byte[] Seed, byte[] ProtectedReference);

/// <summary>What the node keeps about an enrolled device: no response in the clear.</summary>
/// <param name="DeviceId">The device identity.</param>
/// <param name="EnrolledAt">When it was enrolled.</param>
/// <param name="ResponseBits">Bits per challenge response.</param>
/// <param name="ProtectedFingerprint">The encrypted fingerprint response (clone detection).</param>
/// <param name="Challenges">The pool of single-use challenges.</param>
public sealed record DeviceEnrolment(string DeviceId, DateTimeOffset EnrolledAt, int ResponseBits, byte[] ProtectedFingerprint, IReadOnlyList<EnrolledChallenge> Challenges);

/// <summary>
/// Persists enrolments and which challenges were used. Implementations must make
/// <see cref="TakeUnusedChallengeAsync"/> atomic and durable before it returns, so that no challenge is
/// ever handed out twice, even across restarts.
/// </summary>
public interface IPufEnrolmentStore
{
    /// <summary>Adds an enrolment; false if the device id is already enrolled.</summary>
    /// <param name="enrolment">The enrolment.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> TryAddAsync(DeviceEnrolment enrolment, CancellationToken cancellationToken = default);

    /// <summary>The enrolment of <paramref name="deviceId"/>, or null.</summary>
    /// <param name="deviceId">The device id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<DeviceEnrolment?> GetAsync(string deviceId, CancellationToken cancellationToken = default);

    /// <summary>All enrolments (for clone detection).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<DeviceEnrolment>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Marks the lowest unused challenge of the device used and returns it; null when the pool is exhausted or the device unknown.</summary>
    /// <param name="deviceId">The device id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<EnrolledChallenge?> TakeUnusedChallengeAsync(string deviceId, CancellationToken cancellationToken = default);

    /// <summary>How many challenges of the device are still unused.</summary>
    /// <param name="deviceId">The device id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<int> RemainingChallengesAsync(string deviceId, CancellationToken cancellationToken = default);
}

/// <summary>An in-memory <see cref="IPufEnrolmentStore"/> for tests, the demo and small deployments. Thread-safe.</summary>
public sealed class InMemoryPufEnrolmentStore : IPufEnrolmentStore
{
    private readonly Dictionary<string, (DeviceEnrolment Enrolment, HashSet<int> Used)> _devices = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(DeviceEnrolment enrolment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(enrolment);
        lock (_gate)
        {
            return ValueTask.FromResult(_devices.TryAdd(enrolment.DeviceId, (enrolment, [])));
        }
    }

    /// <inheritdoc />
    public ValueTask<DeviceEnrolment?> GetAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_devices.TryGetValue(deviceId, out var entry) ? entry.Enrolment : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DeviceEnrolment>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<DeviceEnrolment>>([.. _devices.Values.Select(v => v.Enrolment)]);
        }
    }

    /// <inheritdoc />
    public ValueTask<EnrolledChallenge?> TakeUnusedChallengeAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_devices.TryGetValue(deviceId, out var entry))
            {
                return ValueTask.FromResult<EnrolledChallenge?>(null);
            }

            foreach (var challenge in entry.Enrolment.Challenges)
            {
                if (entry.Used.Add(challenge.Index))
                {
                    return ValueTask.FromResult<EnrolledChallenge?>(challenge);
                }
            }

            return ValueTask.FromResult<EnrolledChallenge?>(null);
        }
    }

    /// <inheritdoc />
    public ValueTask<int> RemainingChallengesAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_devices.TryGetValue(deviceId, out var entry) ? entry.Enrolment.Challenges.Count - entry.Used.Count : 0);
        }
    }
}
