using Konfido.Core;
using Microsoft.Data.Sqlite;

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
/// the SIEM that keeps the latest events (for live exchanges and alert evidence), per-minute counts of
/// the last hour (for the events-per-minute chart), the latest homomorphic encryption events
/// (analytics jobs), the node's own events (<see cref="NodeHealth"/>: starts, stops, faults) and a
/// summary per PUF device. Patient identifiers are replaced by the federation pseudonym before
/// anything is kept. Thread-safe; never blocks the event path.
/// </summary>
/// <remarks>
/// Opened over a file (<see cref="Open"/>), it survives restarts: a background flush writes what
/// arrived, <see cref="FlushDelay"/> after the first unwritten event, in one SQLite transaction
/// (<see cref="ConsoleActivityStore"/>). A process killed outright loses the events of its last
/// <see cref="FlushDelay"/> plus the flush in progress, from this view only (the ledger has them). A
/// flush that fails (disk full) is retried; while it fails the view lives in memory, and the events
/// pushed out of the ring meanwhile are not written.
/// </remarks>
public sealed class ConsoleActivity : ISecurityEventSink, IAsyncDisposable
{
    /// <summary>How many of the latest events are kept.</summary>
    public const int Capacity = 4096;

    /// <summary>How many of the latest HE events are kept.</summary>
    public const int AnalyticsCapacity = 512;

    /// <summary>How many minutes of counts are kept.</summary>
    public const int MinutesKept = 60;

    /// <summary>The most devices summarised (further ones are counted in events only).</summary>
    public const int MaxDevices = 10_000;

    /// <summary>How many of the node's own events (<see cref="NodeHealth.Category"/>) are kept.</summary>
    public const int HealthCapacity = 512;

    /// <summary>The file a node keeps the console's view in, under its data folder.</summary>
    public const string FileName = "console-activity.db";

    /// <summary>How long after an unwritten event the background flush writes (the most a killed process loses).</summary>
    public static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(250);

    private readonly Lock _gate = new();
    private readonly ConsoleEvent?[] _ring = new ConsoleEvent?[Capacity];
    private readonly Queue<ConsoleEvent> _analytics = new();
    private readonly Queue<ConsoleEvent> _health = new();
    private readonly List<ConsoleRun> _runs = [];
    private readonly HashSet<long> _dirtyMinutes = [];
    private readonly HashSet<string> _dirtyDevices = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private ConsoleActivityStore? _store;
    private CancellationTokenSource? _stopWriter;
    private Task? _writer;
    private long _written;
    private string? _storeError;
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
        _runs.Add(new ConsoleRun(0, _time.GetUtcNow()));
    }

    /// <summary>
    /// Opens the view kept in <paramref name="path"/> (creating it; a damaged file is moved aside and a new
    /// one started) and starts its background flush. A file that cannot be opened for another reason (a
    /// full disk, no permission) leaves the view in memory, with the reason in <see cref="StoreError"/>.
    /// </summary>
    /// <param name="path">The SQLite file (<see cref="FileName"/> in the node's data folder).</param>
    /// <param name="pseudonymise">As for the constructor.</param>
    /// <param name="time">The clock (tests).</param>
    public static ConsoleActivity Open(string path, Func<string, string>? pseudonymise = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var activity = new ConsoleActivity(pseudonymise, time);
        try
        {
            var (store, snapshot) = ConsoleActivityStore.Open(path, Capacity, AnalyticsCapacity, HealthCapacity);
            activity.Load(store, snapshot);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            // The console is a view: a node whose disk is full or read-only still starts, with the view in memory.
            activity._storeError = $"{path} could not be opened, the view is kept in memory only: {ex.Message}";
        }

        return activity;
    }

    /// <summary>The file the view is kept in, or null when it lives in memory only.</summary>
    public string? StorePath => _store?.Path;

    /// <summary>Where an unreadable file was moved when the view was opened, or null.</summary>
    public string? StoreMovedAside => _store?.MovedAside;

    /// <summary>Why the latest flush failed, or null when it succeeded (or there is no file).</summary>
    public string? StoreError => Volatile.Read(ref _storeError);

    /// <summary>The runs of the node this view has seen, oldest first; the last is the current one.</summary>
    public IReadOnlyList<ConsoleRun> Runs
    {
        get
        {
            lock (_gate)
            {
                return [.. _runs];
            }
        }
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
            else if (kept.Category == NodeHealth.Category)
            {
                _health.Enqueue(entry);
                while (_health.Count > HealthCapacity)
                {
                    _health.Dequeue();
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

    /// <summary>The node's own events (starts, stops, faults and recoveries; <see cref="NodeHealth"/>), oldest first.</summary>
    public IReadOnlyList<ConsoleEvent> NodeEvents()
    {
        lock (_gate)
        {
            return [.. _health];
        }
    }

    /// <summary>
    /// The console sequence of the event at 0-based position <paramref name="index"/> of the SIEM's stream
    /// in the run during which <paramref name="at"/> fell (the SIEM counts from 0 in every run).
    /// </summary>
    public long SequenceOfStreamIndex(long index, DateTimeOffset at)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        lock (_gate)
        {
            var run = _runs.LastOrDefault(r => r.StartedAt <= at) ?? _runs[0];
            return run.Base + index + 1;
        }
    }

    /// <summary>Writes what is not yet written (no-op without a file). Throws if the write fails.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_store is null)
        {
            return;
        }

        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            FlushLocked();
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Stops the background flush and writes what is left (a failure is kept in <see cref="StoreError"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopWriter is null || _writer is null)
        {
            return;
        }

        await _stopWriter.CancelAsync().ConfigureAwait(false);
        await _writer.ConfigureAwait(false);
        try
        {
            await FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or InvalidOperationException)
        {
            Volatile.Write(ref _storeError, ex.Message);
        }

        _stopWriter.Dispose();
        (_stopWriter, _writer) = (null, null);
        _store?.Dispose();
        _flushing.Dispose();
    }

    /// <summary>The PUF devices seen in the node's events, most recently seen first.</summary>
    public IReadOnlyList<ObservedDevice> Devices()
    {
        lock (_gate)
        {
            return [.. _devices.Values.OrderByDescending(d => d.LastSeen)];
        }
    }

    private void Load(ConsoleActivityStore store, ConsoleActivitySnapshot snapshot)
    {
        lock (_gate)
        {
            foreach (var (e, kind) in snapshot.Events)
            {
                if (e.Sequence > _last - Capacity)
                {
                    _ring[e.Sequence % Capacity] = e;
                }

                (kind == ConsoleActivityStore.Analytics ? _analytics : kind == ConsoleActivityStore.Health ? _health : null)?.Enqueue(e);
                _last = Math.Max(_last, e.Sequence);
            }

            // The ring keeps only the newest Capacity: anything loaded before the newest is pushed out.
            for (var i = 0; i < Capacity; i++)
            {
                if (_ring[i] is { } kept && kept.Sequence <= _last - Capacity)
                {
                    _ring[i] = null;
                }
            }

            foreach (var (minute, counts) in snapshot.Minutes)
            {
                _minutes[minute] = new Dictionary<string, int>(counts, StringComparer.Ordinal);
            }

            foreach (var device in snapshot.Devices.Take(MaxDevices))
            {
                _devices[device.DeviceId] = device;
            }

            _runs.Clear();
            _runs.AddRange(snapshot.Runs);
            _last = Math.Max(_last, _runs.Count > 0 ? _runs.Max(r => r.Base) : 0);
            _written = _last;
            var run = new ConsoleRun(_last, _time.GetUtcNow());
            _runs.Add(run);
            _store = store;
            store.AddRun(run);
        }

        _stopWriter = new CancellationTokenSource();
        _writer = Task.Run(() => WriteLoopAsync(_stopWriter.Token));
    }

    private async Task WriteLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                long written;
                lock (_gate)
                {
                    written = _written;
                }

                await WaitAsync(written, stop).ConfigureAwait(false);
                await Task.Delay(FlushDelay, stop).ConfigureAwait(false);
                await FlushAsync(stop).ConfigureAwait(false);
                Volatile.Write(ref _storeError, null);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is SqliteException or IOException or InvalidOperationException)
            {
                // Disk full, or the file gone: kept in memory, retried.
                Volatile.Write(ref _storeError, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void FlushLocked()
    {
        ConsoleActivityBatch batch;
        long[] minutes;
        string[] devices;
        lock (_gate)
        {
            if (_written >= _last && _dirtyMinutes.Count == 0 && _dirtyDevices.Count == 0)
            {
                return;
            }

            var events = new SortedDictionary<long, (ConsoleEvent, int)>();
            for (var s = Math.Max(_written + 1, _last - Capacity + 1); s <= _last; s++)
            {
                if (_ring[s % Capacity] is { } e && e.Sequence == s)
                {
                    events[s] = (e, KindOf(e.Event.Category));
                }
            }

            foreach (var e in _analytics.Concat(_health).Where(e => e.Sequence > _written))
            {
                events[e.Sequence] = (e, KindOf(e.Event.Category));
            }

            minutes = [.. _dirtyMinutes];
            devices = [.. _dirtyDevices];
            batch = new ConsoleActivityBatch([.. events.Values],
                minutes.Where(_minutes.ContainsKey).ToDictionary(m => m, m => new Dictionary<string, int>(_minutes[m], StringComparer.Ordinal)),
                [.. devices.Select(d => _devices.GetValueOrDefault(d)).OfType<ObservedDevice>()],
                _last,
                MinuteOf(_time.GetUtcNow()) - MinutesKept - 1);
            _dirtyMinutes.Clear();
            _dirtyDevices.Clear();
        }

        try
        {
            _store!.Write(batch, Capacity, AnalyticsCapacity, HealthCapacity);
        }
        catch
        {
            lock (_gate)
            {
                _dirtyMinutes.UnionWith(minutes);
                _dirtyDevices.UnionWith(devices);
            }

            throw;
        }

        lock (_gate)
        {
            _written = Math.Max(_written, batch.LastSequence);
        }
    }

    private static int KindOf(string category) =>
        category == EventCategories.HomomorphicEncryption ? ConsoleActivityStore.Analytics
        : category == NodeHealth.Category ? ConsoleActivityStore.Health
        : ConsoleActivityStore.Ordinary;

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
        if (_store is not null)
        {
            _dirtyMinutes.Add(minute);
        }
    }

    private void Observe(string device, SecurityEvent e)
    {
        var failed = e.Outcome == EventOutcome.Failure;
        if (_store is not null && (_devices.ContainsKey(device) || _devices.Count < MaxDevices))
        {
            _dirtyDevices.Add(device);
        }

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
