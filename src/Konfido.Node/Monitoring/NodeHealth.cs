using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Threading.Channels;
using Konfido.Core;
using Microsoft.Extensions.Logging;

namespace Konfido.Node;

/// <summary>The current state of one thing the node depends on, as <see cref="NodeHealth"/> last saw it.</summary>
/// <param name="Subject">What: <c>peer/IT</c>, <c>database</c> or <c>ledger</c>.</param>
/// <param name="Healthy">Whether it works.</param>
/// <param name="Since">Since when it is in this state (for a failing subject, its first failure).</param>
/// <param name="Reason">Why it fails (the first failure), or null.</param>
/// <param name="Failures">Failed calls since it began to fail.</param>
public sealed record NodeCondition(string Subject, bool Healthy, DateTimeOffset Since, string? Reason, long Failures);

/// <summary>
/// The node says what happens to it, as security events of category <see cref="Category"/> on its own
/// event path (ledger, SIEM, console): it started (and whether the previous run stopped cleanly, from a
/// marker file in the data folder that only a graceful stop marks as stopped), it stops, a peer became unreachable
/// or reachable again, the national back end's database was lost or restored, the ledger failed to commit
/// or resumed. One event per transition, never one per request. The events are published in order from
/// a queue of their own, so that reporting never blocks a request nor re-enters the event path. An event
/// about the ledger failing goes to everything but the ledger (it cannot be appended to the log that
/// fails); the event of its recovery, with the outage's start and the failed appends, goes to the ledger too.
/// </summary>
public sealed class NodeHealth : IAsyncDisposable
{
    /// <summary>The event category of the node's own events.</summary>
    public const string Category = EventCategories.Node;

    /// <summary>The run marker in the data folder: <c>running</c> while a run goes, <c>stopped</c> once it stopped gracefully.</summary>
    public const string MarkerFile = "node.run";

    /// <summary>Consecutive failed probes before a peer counts as unreachable (one slow handshake is not an outage).</summary>
    public const int ProbesBeforeUnreachable = 2;

    /// <summary>The prefix of a peer's subject (<c>peer/IT</c>).</summary>
    public const string PeerPrefix = "peer/";

    /// <summary>The subject of the national back end's database.</summary>
    public const string Database = "database";

    /// <summary>The subject of the audit ledger.</summary>
    public const string Ledger = "ledger";

    private readonly string _country;
    private readonly string? _dataDirectory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, NodeCondition> _conditions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failedProbes = new(StringComparer.Ordinal);
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private ISecurityEventSink? _all;
    private ISecurityEventSink? _withoutLedger;
    private Task? _publisher;
    private readonly List<Task> _watches = [];
    private CancellationTokenSource? _watching;
    private bool _peersWatched;
    private bool _databaseWatched;
    private long _lastDatabaseCall = long.MinValue;
    private bool _started;

    /// <summary>Creates the health reporting of the node of <paramref name="country"/>.</summary>
    /// <param name="country">The node's country.</param>
    /// <param name="dataDirectory">The node's data folder (for the run marker), or null to not tell clean from unclean stops.</param>
    /// <param name="logger">Where failures to publish are logged.</param>
    /// <param name="time">The clock (tests).</param>
    public NodeHealth(string country, string? dataDirectory, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        _country = country;
        _dataDirectory = dataDirectory;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How often the peers are probed once <see cref="WatchPeers"/> runs.</summary>
    public TimeSpan PeerInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the database may go without a call before <see cref="WatchDatabase"/> probes it.</summary>
    public TimeSpan DatabaseIdleInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one database probe may take before it counts as a failure.</summary>
    public TimeSpan DatabaseProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The current state of every subject seen so far, by subject.</summary>
    public IReadOnlyList<NodeCondition> Conditions()
    {
        lock (_gate)
        {
            return [.. _conditions.Values.OrderBy(c => c.Subject, StringComparer.Ordinal)];
        }
    }

    /// <summary>Where the events go: <paramref name="all"/> (ledger first) and <paramref name="withoutLedger"/> (the same path without it). Starts publishing.</summary>
    public void Attach(ISecurityEventSink all, ISecurityEventSink withoutLedger)
    {
        ArgumentNullException.ThrowIfNull(all);
        ArgumentNullException.ThrowIfNull(withoutLedger);
        if (_publisher is not null)
        {
            throw new InvalidOperationException("The node's health reporting is already attached.");
        }

        (_all, _withoutLedger) = (all, withoutLedger);
        _publisher = Task.Run(PublishLoopAsync);
    }

    /// <summary>The ledger's sink, watched: its failures and recovery are reported (and still thrown to the caller).</summary>
    public ISecurityEventSink WatchLedger(ISecurityEventSink ledger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return new WatchedLedger(ledger, this);
    }

    /// <summary>Reports the node's start: <c>node-start</c>, saying whether the previous run stopped cleanly; then marks this run as going.</summary>
    public void Started()
    {
        _started = true;
        var now = _time.GetUtcNow();
        string previous = "first";
        string? previousStart = null;
        var marker = _dataDirectory is null ? null : Path.Combine(_dataDirectory, MarkerFile);
        if (marker is not null)
        {
            try
            {
                if (File.Exists(marker))
                {
                    // "running <start>" while a run goes; "stopped <time>" once it stopped gracefully.
                    var state = File.ReadAllText(marker).Split('\n', 2)[0].Trim().Split(' ', 2);
                    previous = state[0] == "stopped" ? "clean" : "unclean";
                    previousStart = state.Length > 1 && previous == "unclean" ? state[1] : null;
                }

                WriteMarker(marker, $"running {now.ToString("O", CultureInfo.InvariantCulture)}\n{Environment.ProcessId}\n");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("node {Country}: run marker {Marker}: {Reason}", _country, marker, ex.Message);
            }
        }

        var reason = previous switch
        {
            "unclean" => $"{_country} restarted after an unclean stop: the run started {previousStart ?? "earlier"} ended without shutting down (killed, crashed or power lost)",
            "clean" => $"{_country} started; the previous run stopped cleanly",
            _ => $"{_country} started",
        };
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal) { ["previous.run"] = previous, ["pid"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) };
        if (previousStart is not null)
        {
            attributes["previous.started"] = previousStart;
        }

        Enqueue(Event("node-start", previous == "unclean" ? EventOutcome.Failure : EventOutcome.Success, reason, attributes), skipLedger: false);
    }

    /// <summary>Starts probing the peers every <see cref="PeerInterval"/> with <paramref name="probe"/> (no-op if already watching).</summary>
    public void WatchPeers(Func<CancellationToken, Task<IReadOnlyList<PeerStatus>>> probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        Watch(ref _peersWatched, async stop =>
        {
            foreach (var peer in await probe(stop).ConfigureAwait(false))
            {
                ReportPeer(peer.Country, peer.Reachable, peer.Error);
            }

            await Task.Delay(PeerInterval, _time, stop).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Starts probing the national back end's database with <paramref name="probe"/> whenever no call to it was
    /// reported for <see cref="DatabaseIdleInterval"/> (no-op if already watching): an outage, or a recovery, is
    /// then reported even while no request reaches the database. A probe that takes longer than
    /// <see cref="DatabaseProbeTimeout"/> counts as a failure.
    /// </summary>
    public void WatchDatabase(Func<CancellationToken, Task> probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        Watch(ref _databaseWatched, async stop =>
        {
            await Task.Delay(DatabaseIdleInterval, _time, stop).ConfigureAwait(false);
            var last = Interlocked.Read(ref _lastDatabaseCall);
            if (last != long.MinValue && _time.GetElapsedTime(last) < DatabaseIdleInterval)
            {
                return; // requests tell how the database is
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(DatabaseProbeTimeout);
            try
            {
                await probe(timeout.Token).ConfigureAwait(false);
                ReportDatabase(null);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                ReportDatabase(new TimeoutException($"no answer to a probe within {DatabaseProbeTimeout.TotalSeconds:0.#} s"));
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                ReportDatabase(ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning("node {Country}: the database probe failed unexpectedly: {Reason}", _country, ex.Message);
            }
        });
    }

    /// <summary>Runs <paramref name="round"/> over and over until the node stops, once per kind of watch.</summary>
    private void Watch(ref bool running, Func<CancellationToken, Task> round)
    {
        CancellationToken stop;
        lock (_gate)
        {
            if (running)
            {
                return;
            }

            running = true;
            _watching ??= new CancellationTokenSource();
            stop = _watching.Token;
        }

        var task = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await round(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // A watch outlives any one round: log, wait a little, go on.
                    _logger.LogWarning("node {Country}: a health watch round failed: {Reason}", _country, ex.Message);
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1), _time, stop).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        });
        lock (_gate)
        {
            _watches.Add(task);
        }
    }

    /// <summary>Reports <paramref name="country"/>'s probe: unreachable after <see cref="ProbesBeforeUnreachable"/> failed ones in a row, reachable again at the first that works.</summary>
    public void ReportPeer(string country, bool reachable, string? error)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        var subject = PeerPrefix + country.ToUpperInvariant();
        if (!reachable)
        {
            lock (_gate)
            {
                var failed = _failedProbes[subject] = _failedProbes.GetValueOrDefault(subject) + 1;
                if (failed < ProbesBeforeUnreachable)
                {
                    return;
                }
            }
        }
        else
        {
            lock (_gate)
            {
                _failedProbes[subject] = 0;
            }
        }

        Report(subject, reachable ? null : error ?? "no answer", (down, failure) => down is null
            ? Event("peer-unreachable", EventOutcome.Failure, $"{country} unreachable: {failure}", new() { ["peer"] = country }, target: country)
            : Event("peer-reachable", EventOutcome.Success, $"{country} reachable again after {Seconds(down)} s unreachable (since {Time(down.Since)})", Outage(down, new() { ["peer"] = country }), target: country));
    }

    /// <summary>Reports a call to the national back end's database: <paramref name="failure"/> null when it answered.</summary>
    public void ReportDatabase(Exception? failure)
    {
        Interlocked.Exchange(ref _lastDatabaseCall, _time.GetTimestamp());
        Report(Database, failure?.Message, (down, reason) => down is null
            ? Event("database-unavailable", EventOutcome.Failure, $"the national back end's database is unavailable: {reason}", [])
            : Event("database-restored", EventOutcome.Success, $"the national back end's database answers again after {Seconds(down)} s ({down.Failures} failed call(s) since {Time(down.Since)})", Outage(down, [])));
    }

    /// <summary>Reports an append to the ledger: <paramref name="failure"/> null when it committed.</summary>
    public void ReportLedger(Exception? failure) =>
        Report(Ledger, failure is null ? null : Innermost(failure), (down, reason) => down is null
            ? Event("ledger-write-failed", EventOutcome.Failure, $"ledger writes failing: {reason}", [])
            : Event("ledger-write-resumed", EventOutcome.Success, $"ledger writes resumed after {Seconds(down)} s; {down.Failures} event(s) could not be appended since {Time(down.Since)} (their requests failed): {down.Reason}", Outage(down, [])));

    /// <summary>
    /// Reports the graceful stop (<c>node-stop</c>), stops watching the peers and waits until every
    /// event reported is published. Call <see cref="MarkCleanStop"/> after the last durable write.
    /// </summary>
    public async Task StoppingAsync()
    {
        CancellationTokenSource? watching;
        Task[] watches;
        lock (_gate)
        {
            (watching, watches) = (_watching, [.. _watches]);
            (_watching, _peersWatched, _databaseWatched) = (null, false, false);
            _watches.Clear();
        }

        if (watching is not null)
        {
            await watching.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(watches).ConfigureAwait(false);
            watching.Dispose();
        }

        if (_publisher is null || _publisher.IsCompleted || !_started)
        {
            return;
        }

        _started = false;
        Enqueue(Event("node-stop", EventOutcome.Success, $"{_country} stopping gracefully", []), skipLedger: false);
        await DrainAsync().ConfigureAwait(false);
    }

    /// <summary>Marks the run as stopped gracefully: the next start reports that this run stopped cleanly.</summary>
    public void MarkCleanStop()
    {
        if (_dataDirectory is null)
        {
            return;
        }

        try
        {
            WriteMarker(Path.Combine(_dataDirectory, MarkerFile), $"stopped {_time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)}\n");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("node {Country}: could not mark the run as stopped: {Reason}", _country, ex.Message);
        }
    }

    /// <summary>Waits until every event reported so far is published.</summary>
    public async Task DrainAsync()
    {
        if (_publisher is null || _publisher.IsCompleted)
        {
            return;
        }

        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite(new Item(null, false, drained));
        await drained.Task.ConfigureAwait(false);
    }

    private static void WriteMarker(string path, string text)
    {
        // Written aside and renamed over: a crash leaves the old marker or the new one, never half of one.
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StoppingAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        if (_publisher is not null)
        {
            await _publisher.ConfigureAwait(false);
        }
    }

    private void Report(string subject, string? failure, Func<NodeCondition?, string, SecurityEvent> transition)
    {
        var now = _time.GetUtcNow();
        SecurityEvent? securityEvent = null;
        lock (_gate)
        {
            var known = _conditions.GetValueOrDefault(subject);
            if (failure is not null)
            {
                if (known is { Healthy: false })
                {
                    _conditions[subject] = known with { Failures = known.Failures + 1 };
                    return;
                }

                _conditions[subject] = new NodeCondition(subject, false, now, failure, 1);
                securityEvent = transition(null, failure);
            }
            else
            {
                if (known is { Healthy: true })
                {
                    return;
                }

                _conditions[subject] = new NodeCondition(subject, true, now, null, 0);
                securityEvent = known is null ? null : transition(known, ""); // the first success is no news
            }
        }

        if (securityEvent is not null)
        {
            Enqueue(securityEvent, skipLedger: subject == Ledger && failure is not null);
        }
    }

    private void Enqueue(SecurityEvent securityEvent, bool skipLedger) => _queue.Writer.TryWrite(new Item(securityEvent, skipLedger, null));

    private async Task PublishLoopAsync()
    {
        await foreach (var item in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (item.Event is { } e)
            {
                try
                {
                    await (item.SkipLedger ? _withoutLedger! : _all!).PublishAsync(e).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Delivered to every sink but the failing one (the fan-out goes on); the failing ledger reports itself.
                    _logger.LogWarning("node {Country}: event {Action} not delivered everywhere: {Reason}", _country, e.Action, ex.Message);
                }
            }

            item.Done?.TrySetResult();
        }
    }

    private SecurityEvent Event(string action, EventOutcome outcome, string reason, Dictionary<string, string> attributes, string? target = null) => new()
    {
        Node = _country,
        Category = Category,
        Action = action,
        Outcome = outcome,
        Actor = $"node/{_country}",
        TargetCountry = target,
        Reason = reason,
        Timestamp = _time.GetUtcNow(),
        Attributes = attributes,
    };

    private Dictionary<string, string> Outage(NodeCondition down, Dictionary<string, string> attributes)
    {
        attributes["down.since"] = down.Since.ToString("O", CultureInfo.InvariantCulture);
        attributes["down.seconds"] = Seconds(down);
        attributes["failures"] = down.Failures.ToString(CultureInfo.InvariantCulture);
        if (down.Reason is not null)
        {
            attributes["down.reason"] = down.Reason;
        }

        return attributes;
    }

    private string Seconds(NodeCondition down) => Math.Round((_time.GetUtcNow() - down.Since).TotalSeconds, 1).ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset t) => t.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Innermost(Exception ex)
    {
        while (ex.InnerException is { } inner && ex is InvalidOperationException or AggregateException)
        {
            ex = inner;
        }

        return ex.Message;
    }

    /// <summary>Whether <paramref name="ex"/> says that a database could not be reached or answer (not that a query was wrong).</summary>
    internal static bool IsUnavailable(Exception ex) => ex is DbException or IOException or SocketException or TimeoutException
        || (ex is InvalidOperationException && ex.InnerException is { } inner && IsUnavailable(inner));

    private sealed record Item(SecurityEvent? Event, bool SkipLedger, TaskCompletionSource? Done);

    /// <summary>The ledger's sink, reporting its failures and recovery.</summary>
    private sealed class WatchedLedger(ISecurityEventSink ledger, NodeHealth health) : ISecurityEventSink
    {
        public async ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default)
        {
            try
            {
                await ledger.PublishAsync(securityEvent, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && ex is not ArgumentException)
            {
                health.ReportLedger(ex);
                throw;
            }

            health.ReportLedger(null);
        }
    }
}
