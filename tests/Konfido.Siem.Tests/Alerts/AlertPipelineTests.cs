using System.Net;
using System.Text.Json;
using Konfido.Siem.Alerts;
using Konfido.Siem.Sigma;
using Konfido.Testing;

namespace Konfido.Siem.Tests.Alerts;

public sealed class AlertPipelineTests : IDisposable
{
    private readonly TemporaryDirectory _dir = new();
    private readonly SqliteAlertStore _store;
    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 10, 0, 0, TimeSpan.Zero);

    public AlertPipelineTests()
    {
        _store = SqliteAlertStore.ForFile(_dir.File("alerts.db"));
        _store.InitializeAsync().GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private static AlertCandidate Candidate(DateTimeOffset time, string user = "alice", SigmaLevel level = SigmaLevel.High, string evidence = "#1") =>
        new("rule-1", "Brute force", level, AlertKind.Correlation, time, new Dictionary<string, string?> { ["user.name"] = user }, [evidence]);

    [Fact]
    public async Task Duplicates_within_the_window_are_merged_and_not_renotified()
    {
        var sink = new RecordingSink();
        var pipeline = new AlertPipeline(_store, [sink], new AlertPolicy(TimeSpan.FromMinutes(10)), "DK");
        var (first, a1) = await pipeline.RaiseAsync(Candidate(T0));
        var (second, a2) = await pipeline.RaiseAsync(Candidate(T0.AddMinutes(5), evidence: "#2"));
        var (third, _) = await pipeline.RaiseAsync(Candidate(T0.AddMinutes(5), user: "bob"));
        var (fourth, a4) = await pipeline.RaiseAsync(Candidate(T0.AddMinutes(30)));
        Assert.Equal(AlertOutcome.Raised, first);
        Assert.Equal(AlertOutcome.Deduplicated, second);
        Assert.Equal(AlertOutcome.Raised, third);
        Assert.Equal(AlertOutcome.Raised, fourth);
        Assert.Equal(a1!.Id, a2!.Id);
        Assert.NotEqual(a1.Id, a4!.Id);
        Assert.Equal(3, sink.Alerts.Count);
        var stored = await _store.GetAsync(a1.Id);
        Assert.Equal(2, stored!.Count);
        Assert.Equal(["#1", "#2"], stored.Evidence);
        Assert.Equal(T0.AddMinutes(5), stored.LastSeen);
        Assert.Equal(1, pipeline.Deduplicated);
        Assert.Equal(3, pipeline.Raised);
    }

    [Fact]
    public async Task Deduplication_survives_a_restart_through_the_store()
    {
        var pipeline = new AlertPipeline(_store, [], AlertPolicy.Default, "DK");
        await pipeline.RaiseAsync(Candidate(T0));
        var restarted = new AlertPipeline(_store, [], AlertPolicy.Default, "DK");
        Assert.Equal(AlertOutcome.Deduplicated, (await restarted.RaiseAsync(Candidate(T0.AddMinutes(1)))).Outcome);
    }

    [Fact]
    public async Task Suppression_windows_and_minimum_severity_drop_candidates()
    {
        var sink = new RecordingSink();
        var pipeline = new AlertPipeline(_store, [sink], AlertPolicy.Default with { MinimumSeverity = SigmaLevel.Medium }, "DK");
        pipeline.Suppress("rule-1", T0.AddHours(1), new Dictionary<string, string?> { ["user.name"] = "alice" });
        Assert.Equal(AlertOutcome.Suppressed, (await pipeline.RaiseAsync(Candidate(T0))).Outcome);
        Assert.Equal(AlertOutcome.Raised, (await pipeline.RaiseAsync(Candidate(T0, user: "bob"))).Outcome);
        Assert.Equal(AlertOutcome.Raised, (await pipeline.RaiseAsync(Candidate(T0.AddHours(2)))).Outcome);
        Assert.Equal(AlertOutcome.Suppressed, (await pipeline.RaiseAsync(Candidate(T0, user: "carol", level: SigmaLevel.Low))).Outcome);
        Assert.Equal(2, pipeline.Suppressed);
        Assert.Equal(2, sink.Alerts.Count);
    }

    [Fact]
    public async Task A_failing_sink_is_counted_and_does_not_stop_the_others()
    {
        var good = new RecordingSink();
        var pipeline = new AlertPipeline(_store, [new FailingSink(), good], AlertPolicy.Default, "DK");
        var (outcome, alert) = await pipeline.RaiseAsync(Candidate(T0));
        Assert.Equal(AlertOutcome.Raised, outcome);
        Assert.Single(good.Alerts);
        Assert.Equal(1, pipeline.SinkFailures);
        Assert.NotNull(await _store.GetAsync(alert!.Id));
    }

    [Fact]
    public async Task Webhook_posts_the_alert_as_json()
    {
        using var listener = StartListener("hook/", out var port);
        var received = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var method = context.Request.HttpMethod;
            var type = context.Request.ContentType;
            context.Response.StatusCode = 204;
            context.Response.Close();
            return (method, type, body);
        });
        using var http = new HttpClient();
        var pipeline = new AlertPipeline(_store, [new WebhookNotifier(http, new Uri($"http://127.0.0.1:{port}/hook/"))], AlertPolicy.Default, "ES");
        var (_, alert) = await pipeline.RaiseAsync(Candidate(T0));
        var (method, contentType, body) = await received.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("POST", method);
        Assert.StartsWith("application/json", contentType, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal(alert!.Id, doc.RootElement.GetProperty("id").GetString());
        Assert.Equal("rule-1", doc.RootElement.GetProperty("rule_id").GetString());
        Assert.Equal("high", doc.RootElement.GetProperty("severity").GetString());
        Assert.Equal("ES", doc.RootElement.GetProperty("node").GetString());
        Assert.Equal("alice", doc.RootElement.GetProperty("group").GetProperty("user.name").GetString());
        Assert.Equal(0, pipeline.SinkFailures);
    }

    [Fact]
    public async Task Webhook_error_status_counts_as_a_sink_failure()
    {
        using var listener = StartListener("", out var port);
        var serve = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            context.Response.StatusCode = 500;
            context.Response.Close();
        });
        using var http = new HttpClient();
        var pipeline = new AlertPipeline(_store, [new WebhookNotifier(http, new Uri($"http://127.0.0.1:{port}/"))], AlertPolicy.Default, "ES");
        await pipeline.RaiseAsync(Candidate(T0));
        await serve;
        Assert.Equal(1, pipeline.SinkFailures);
        Assert.Throws<ArgumentException>(() => new WebhookNotifier(http, new Uri("file:///tmp/x")));
    }

    /// <summary>An HTTP listener on a free loopback port, choosing again if the port is taken between the choice and the start.</summary>
    private static HttpListener StartListener(string path, out int port)
    {
        for (var attempt = 1; ; attempt++)
        {
            var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/{path}");
            try
            {
                listener.Start();
                return listener;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    internal sealed class RecordingSink : IAlertSink
    {
        public List<Alert> Alerts { get; } = [];

        public ValueTask PublishAsync(Alert alert, CancellationToken cancellationToken = default)
        {
            lock (Alerts)
            {
                Alerts.Add(alert);
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class FailingSink : IAlertSink
    {
        public ValueTask PublishAsync(Alert alert, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("ledger unavailable");
    }
}
