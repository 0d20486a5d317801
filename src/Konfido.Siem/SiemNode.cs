using System.Threading.Channels;
using Konfido.Core;
using Konfido.Siem.Alerts;
using Konfido.Siem.Anomaly;
using Konfido.Siem.Events;
using Konfido.Siem.Ingestion;
using Konfido.Siem.Parsing;
using Konfido.Siem.Sigma;

namespace Konfido.Siem;

/// <summary>The settings of a <see cref="SiemNode"/>; validated by the node's constructor.</summary>
/// <param name="Node">The country code of this node (e.g. <c>DK</c>).</param>
/// <param name="QueueCapacity">The bounded queue between ingestion and detection.</param>
/// <param name="LineFormat">The format of raw lines from listeners.</param>
/// <param name="AlertPolicy">De-duplication and severity policy (default <see cref="AlertPolicy.Default"/>).</param>
/// <param name="Anomaly">Anomaly options, or null to disable anomaly detection.</param>
public sealed record SiemOptions(string Node, int QueueCapacity = 65_536, LogFormat LineFormat = LogFormat.Auto,
    AlertPolicy? AlertPolicy = null, AnomalyOptions? Anomaly = null);

/// <summary>
/// The monitoring node: receives the node's <see cref="SecurityEvent"/>s (it is an
/// <see cref="ISecurityEventSink"/>) and raw log lines (listeners), queues them in a bounded
/// channel, parses and pseudonymises, runs Sigma rules, correlations and anomaly baselines, and
/// turns detections into de-duplicated alerts (stored, then handed to the sinks: webhook, ledger,
/// federation). Start it with <see cref="Start"/>; <see cref="DisposeAsync"/> drains the queue.
/// </summary>
public sealed class SiemNode : ISecurityEventSink, IAsyncDisposable
{
    private readonly Channel<object> _queue;
    private readonly LogParser _parser;
    private readonly PatientPseudonymiser _pseudonymiser;
    private readonly DetectionEngine _engine;
    private readonly AccessVolumeBaseline? _anomaly;
    private Task? _worker;
    private long _received;
    private long _parsed;
    private long _failed;
    private long _dropped;
    private long _processed;
    private long _matches;
    private int _queued;

    /// <summary>Creates a node. Requires valid options, compiled rules, a store, sinks and a pseudonymiser (not disposed by the node).</summary>
    /// <param name="options">The options.</param>
    /// <param name="rules">The rules (e.g. <see cref="BundledRules.Load"/> plus the operator's own).</param>
    /// <param name="store">The alert store (initialised by <see cref="Start"/>).</param>
    /// <param name="sinks">Receivers of new alerts.</param>
    /// <param name="pseudonymiser">Pseudonymises patient identifiers.</param>
    public SiemNode(SiemOptions options, SigmaRuleSet rules, IAlertStore store, IEnumerable<IAlertSink> sinks, PatientPseudonymiser pseudonymiser)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(sinks);
        ArgumentNullException.ThrowIfNull(pseudonymiser);
        if (!CountryCode.TryParse(options.Node, out var country) || options.QueueCapacity < 1)
        {
            throw new ArgumentException("SiemOptions: Node must be a two-letter country code and QueueCapacity positive", nameof(options));
        }

        Options = options;
        Store = store;
        _pseudonymiser = pseudonymiser;
        _parser = new LogParser(options.LineFormat, pseudonymiser);
        _engine = new DetectionEngine(rules);
        _anomaly = options.Anomaly is null ? null : new AccessVolumeBaseline(options.Anomaly);
        Alerts = new AlertPipeline(store, sinks, options.AlertPolicy ?? AlertPolicy.Default, country.Value);
        ForeignAlerts = new ForeignAlertInbox(store, country.Value);
        _queue = Channel.CreateBounded<object>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The options.</summary>
    public SiemOptions Options { get; }

    /// <summary>The alert store.</summary>
    public IAlertStore Store { get; }

    /// <summary>The alert pipeline (counters, suppression windows).</summary>
    public AlertPipeline Alerts { get; }

    /// <summary>Stores the alerts other countries share with this node (in <see cref="Store"/>, origin kept).</summary>
    public ForeignAlertInbox ForeignAlerts { get; }

    /// <summary>The rules in use.</summary>
    public SigmaRuleSet Rules => _engine.Rules;

    /// <summary>A snapshot of the counters.</summary>
    public IngestionCounters Counters => new(Interlocked.Read(ref _received), Interlocked.Read(ref _parsed), Interlocked.Read(ref _failed),
        Interlocked.Read(ref _dropped), Interlocked.Read(ref _processed), Interlocked.Read(ref _matches), Alerts.Raised, Volatile.Read(ref _queued));

    /// <summary>Initialises the store and starts the detection worker.</summary>
    /// <param name="cancellationToken">Cancels initialisation.</param>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_worker is not null)
        {
            throw new InvalidOperationException("the SIEM node is already started");
        }

        await Store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        _worker = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>Synchronous variant of <see cref="StartAsync"/>.</summary>
    public void Start() => StartAsync().GetAwaiter().GetResult();

    /// <inheritdoc />
    /// <remarks>Waits while the queue is full (backpressure on the emitting component).</remarks>
    public async ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        Interlocked.Increment(ref _received);
        await _queue.Writer.WriteAsync(securityEvent, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _queued);
    }

    /// <summary>Queues a raw log line, waiting while the queue is full (TCP and TLS listeners).</summary>
    /// <param name="line">The line.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async ValueTask IngestLineAsync(string line, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(line);
        Interlocked.Increment(ref _received);
        await _queue.Writer.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _queued);
    }

    /// <summary>Queues a raw log line without waiting; false (and counted as dropped) if the queue is full (UDP).</summary>
    /// <param name="line">The line.</param>
    public bool TryIngestLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        Interlocked.Increment(ref _received);
        if (_queue.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _queued);
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Waits until every item queued so far has been processed (for tests and shutdown).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task DrainAsync(CancellationToken cancellationToken = default)
    {
        while (Volatile.Read(ref _queued) > 0)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                try
                {
                    await ProcessAsync(item).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A defect in one item (or a failing store) must not stop monitoring: count it.
                    Interlocked.Increment(ref _failed);
                }
                finally
                {
                    Interlocked.Decrement(ref _queued);
                }
            }
        }
    }

    private async Task ProcessAsync(object item)
    {
        if (item is Tick tick)
        {
            foreach (var correlation in _engine.Flush(tick.Now))
            {
                Interlocked.Increment(ref _matches);
                await RaiseCorrelationAsync(correlation).ConfigureAwait(false);
            }

            return;
        }

        EventObject e;
        if (item is SecurityEvent securityEvent)
        {
            e = SecurityEventNormaliser.Normalise(securityEvent, _pseudonymiser);
            Interlocked.Increment(ref _parsed);
        }
        else
        {
            e = _parser.Parse((string)item);
            if (LogParser.IsError(e))
            {
                Interlocked.Increment(ref _failed);
            }
            else
            {
                Interlocked.Increment(ref _parsed);
            }
        }

        var result = _engine.Process(e);
        Interlocked.Increment(ref _processed);
        var evidence = e.GetString("event.id") ?? $"#{result.EventIndex}";
        foreach (var match in result.Matches)
        {
            Interlocked.Increment(ref _matches);
            await Alerts.RaiseAsync(new AlertCandidate(match.Rule.Id, match.Rule.Title, match.Rule.Level, AlertKind.Rule, result.Time,
                KeyFields(e), [evidence])).ConfigureAwait(false);
        }

        foreach (var correlation in result.Correlations)
        {
            Interlocked.Increment(ref _matches);
            await RaiseCorrelationAsync(correlation).ConfigureAwait(false);
        }

        if (_anomaly is not null)
        {
            foreach (var finding in _anomaly.Observe(e, result.Time))
            {
                await Alerts.RaiseAsync(new AlertCandidate($"konfido-anomaly-access-volume-{finding.Dimension}",
                    $"Unusual access volume for {finding.Dimension} {finding.Key}", Sigma.SigmaLevel.Medium, AlertKind.Anomaly, result.Time,
                    new Dictionary<string, string?> { [finding.Dimension] = finding.Key }, [evidence],
                    $"{finding.Count} accesses in the bucket from {finding.BucketStart:O}; baseline {finding.Mean:F1} ± {finding.StdDev:F1} (z = {finding.ZScore:F1})")).ConfigureAwait(false);
            }
        }
    }

    private async Task RaiseCorrelationAsync(Correlation.CorrelationMatch correlation)
    {
        await Alerts.RaiseAsync(new AlertCandidate(correlation.Rule.Id, correlation.Rule.Title, correlation.Rule.Level, AlertKind.Correlation,
            correlation.Time, correlation.Group, correlation.EventIndexes.Select(i => $"#{i}").ToArray(),
            $"{correlation.Rule.Type} reached {correlation.Value} within {correlation.Rule.Timespan}")).ConfigureAwait(false);
    }

    /// <summary>Closes correlation windows that ended before <paramref name="now"/> (call periodically, e.g. every minute).</summary>
    /// <param name="now">The current time.</param>
    /// <remarks>Call from the same context as processing is not required: it is queued behind pending items.</remarks>
    public async Task TickAsync(DateTimeOffset now)
    {
        await _queue.Writer.WriteAsync(new Tick(now)).ConfigureAwait(false);
        Interlocked.Increment(ref _queued);
    }

    private static Dictionary<string, string?> KeyFields(EventObject e)
    {
        var group = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var field in new[] { "user.name", "source.ip", "source.country", "host.name" })
        {
            if (e.GetString(field) is { } value)
            {
                group[field] = value;
            }
        }

        return group;
    }

    /// <summary>Stops accepting input, processes everything queued, and stops the worker.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_worker is not null)
        {
            await _worker.ConfigureAwait(false);
        }

    }

    private sealed record Tick(DateTimeOffset Now);
}
