using Konfido.Core;

namespace Konfido.Node;

/// <summary>One event as the console keeps it: its place in arrival order and the event (patient pseudonymised).</summary>
/// <param name="Sequence">1 for the first event the node saw, then one more per event.</param>
/// <param name="Received">When the console received it.</param>
/// <param name="Event">The event; <see cref="SecurityEvent.PatientId"/> is the federation pseudonym, never the clear identifier.</param>
public sealed record ConsoleEvent(long Sequence, DateTimeOffset Received, SecurityEvent Event);

/// <summary>The events of one minute, by category.</summary>
/// <param name="Minute">The minute's start (UTC).</param>
/// <param name="Total">Events in that minute.</param>
/// <param name="ByCategory">Events in that minute per <see cref="SecurityEvent.Category"/>.</param>
public sealed record MinuteCount(DateTimeOffset Minute, int Total, IReadOnlyDictionary<string, int> ByCategory);

/// <summary>What the node's events say about one PUF device.</summary>
/// <param name="DeviceId">The device identifier (the events' actor).</param>
/// <param name="FirstSeen">The first device event.</param>
/// <param name="LastSeen">The latest device event.</param>
/// <param name="LastAction">The latest action (e.g. <c>puf-authenticate</c>).</param>
/// <param name="LastOutcome">The latest outcome.</param>
/// <param name="LastReason">The latest failure reason, if any.</param>
/// <param name="Successes">Successful device events.</param>
/// <param name="Failures">Failed device events (refused authentications, clones, tampering).</param>
public sealed record ObservedDevice(string DeviceId, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string LastAction, EventOutcome LastOutcome,
    string? LastReason, int Successes, int Failures);

/// <summary>
/// The web console's view of the node's event path: an event sink the node puts after the ledger and
/// the SIEM that keeps, in memory only, the latest events (for live exchanges and alert evidence),
/// per-minute counts of the last hour (for the events-per-minute chart), the latest homomorphic
/// encryption events (analytics jobs) and a summary per PUF device. Patient identifiers are replaced by
/// the federation pseudonym before anything is kept. Thread-safe; never blocks the event path.
/// </summary>
public sealed class ConsoleActivity : ISecurityEventSink
{
    /// <summary>How many of the latest events are kept.</summary>
    public const int Capacity = 4096;

    /// <summary>How many of the latest HE events are kept.</summary>
    public const int AnalyticsCapacity = 512;

    /// <summary>How many minutes of counts are kept.</summary>
    public const int MinutesKept = 60;

    /// <summary>The most devices summarised (further ones are counted in events only).</summary>
    public const int MaxDevices = 10_000;

    private readonly Lock _gate = new();
    private readonly ConsoleEvent?[] _ring = new ConsoleEvent?[Capacity];
    private readonly Queue<ConsoleEvent> _analytics = new();
    private readonly SortedDictionary<long, Dictionary<string, int>> _minutes = [];
    private readonly Dictionary<string, ObservedDevice> _devices = new(StringComparer.Ordinal);
    private readonly Func<string, string>? _pseudonymise;
    private readonly TimeProvider _time;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _last;

    /// <summary>Creates an empty activity view.</summary>
    /// <param name="pseudonymise">Turns a national patient identifier into the federation pseudonym (the ledger's); null withholds patient identifiers entirely.</param>
    /// <param name="time">The clock (tests).</param>
    public ConsoleActivity(Func<string, string>? pseudonymise = null, TimeProvider? time = null)
    {
        _pseudonymise = pseudonymise;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The sequence of the latest event (0 before the first).</summary>
    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        var kept = securityEvent.PatientId is { } patient
            ? securityEvent with { PatientId = Pseudonym(patient) }
            : securityEvent;
        var now = _time.GetUtcNow();
        TaskCompletionSource changed;
        lock (_gate)
        {
            var entry = new ConsoleEvent(++_last, now, kept);
            _ring[_last % Capacity] = entry;
            Count(now, kept.Category);
            if (kept.Category == EventCategories.HomomorphicEncryption)
            {
                _analytics.Enqueue(entry);
                while (_analytics.Count > AnalyticsCapacity)
                {
                    _analytics.Dequeue();
                }
            }
            else if (kept.Category == EventCategories.Device && kept.Actor is { } device)
            {
                Observe(device, kept);
            }

            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
        return ValueTask.CompletedTask;
    }

    /// <summary>The kept events after sequence <paramref name="after"/>, oldest first, at most <paramref name="max"/> (the newest ones).</summary>
    public IReadOnlyList<ConsoleEvent> Since(long after, int max = 500)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        lock (_gate)
        {
            var from = Math.Max(Math.Max(after + 1, _last - Capacity + 1), _last - max + 1);
            var result = new List<ConsoleEvent>((int)Math.Max(0, _last - from + 1));
            for (var s = Math.Max(from, 1); s <= _last; s++)
            {
                if (_ring[s % Capacity] is { } e && e.Sequence == s)
                {
                    result.Add(e);
                }
            }

            return result;
        }
    }

    /// <summary>The kept event with id <paramref name="eventId"/>, or null (unknown or no longer kept).</summary>
    public ConsoleEvent? Find(string eventId)
    {
        lock (_gate)
        {
            return _ring.FirstOrDefault(e => e is not null && string.Equals(e.Event.Id, eventId, StringComparison.Ordinal));
        }
    }

    /// <summary>The kept event with sequence <paramref name="sequence"/>, or null (not yet seen or no longer kept).</summary>
    public ConsoleEvent? BySequence(long sequence)
    {
        lock (_gate)
        {
            return sequence >= 1 && _ring[sequence % Capacity] is { } e && e.Sequence == sequence ? e : null;
        }
    }

    /// <summary>Completes when an event after <paramref name="after"/> arrives (at once if one has).</summary>
    public Task WaitAsync(long after, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _last > after ? Task.CompletedTask : _changed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Counts per minute for the last <paramref name="minutes"/> minutes (oldest first, the current minute last, zeros included).</summary>
    public IReadOnlyList<MinuteCount> PerMinute(int minutes = 30)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minutes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minutes, MinutesKept);
        var current = MinuteOf(_time.GetUtcNow());
        lock (_gate)
        {
            var result = new List<MinuteCount>(minutes);
            for (var m = current - minutes + 1; m <= current; m++)
            {
                var counts = _minutes.TryGetValue(m, out var c) ? new Dictionary<string, int>(c, StringComparer.Ordinal) : new Dictionary<string, int>(StringComparer.Ordinal);
                result.Add(new MinuteCount(DateTimeOffset.FromUnixTimeSeconds(m * 60), counts.Values.Sum(), counts));
            }

            return result;
        }
    }

    /// <summary>The latest homomorphic-encryption events (registrations, uploads, evaluations), oldest first.</summary>
    public IReadOnlyList<ConsoleEvent> Analytics()
    {
        lock (_gate)
        {
            return [.. _analytics];
        }
    }

    /// <summary>The PUF devices seen in the node's events, most recently seen first.</summary>
    public IReadOnlyList<ObservedDevice> Devices()
    {
        lock (_gate)
        {
            return [.. _devices.Values.OrderByDescending(d => d.LastSeen)];
        }
    }

    private string Pseudonym(string patient)
    {
        if (_pseudonymise is null)
        {
            return "(withheld)";
        }

        try
        {
            return _pseudonymise(patient);
        }
        catch (ObjectDisposedException)
        {
            return "(withheld)"; // the ledger's key is gone: the node is shutting down
        }
    }

    private void Count(DateTimeOffset now, string category)
    {
        var minute = MinuteOf(now);
        if (!_minutes.TryGetValue(minute, out var counts))
        {
            counts = new Dictionary<string, int>(StringComparer.Ordinal);
            _minutes[minute] = counts;
            while (_minutes.Count > MinutesKept + 1)
            {
                _minutes.Remove(_minutes.Keys.First());
            }
        }

        counts[category] = counts.GetValueOrDefault(category) + 1;
    }

    private void Observe(string device, SecurityEvent e)
    {
        var failed = e.Outcome == EventOutcome.Failure;
        if (_devices.TryGetValue(device, out var known))
        {
            _devices[device] = known with
            {
                LastSeen = e.Timestamp,
                LastAction = e.Action,
                LastOutcome = e.Outcome,
                LastReason = e.Reason,
                Successes = known.Successes + (e.Outcome == EventOutcome.Success ? 1 : 0),
                Failures = known.Failures + (failed ? 1 : 0),
            };
        }
        else if (_devices.Count < MaxDevices)
        {
            _devices[device] = new ObservedDevice(device, e.Timestamp, e.Timestamp, e.Action, e.Outcome, e.Reason,
                e.Outcome == EventOutcome.Success ? 1 : 0, failed ? 1 : 0);
        }
    }

    private static long MinuteOf(DateTimeOffset t) => t.ToUnixTimeSeconds() / 60;
}
