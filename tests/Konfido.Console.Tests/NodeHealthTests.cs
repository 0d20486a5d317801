using Konfido.Core;
using Konfido.Node;
using Konfido.Testing;

namespace Konfido.Console.Tests;

/// <summary>The node's own events: one per transition, the ledger's failure kept off the ledger, clean and unclean stops told apart.</summary>
public sealed class NodeHealthTests
{
    [Fact]
    public async Task The_database_is_reported_lost_and_restored_once_per_transition_not_per_call()
    {
        var (health, all, withoutLedger) = Attached();
        health.ReportDatabase(null); // the first success is no news
        for (var i = 0; i < 3; i++)
        {
            health.ReportDatabase(new TimeoutException("connection timed out"));
        }

        Assert.False(Assert.Single(health.Conditions()).Healthy);
        health.ReportDatabase(null);
        health.ReportDatabase(null);
        health.ReportDatabase(new System.IO.IOException("connection reset"));
        await health.DrainAsync();
        Assert.Equal(["database-unavailable", "database-restored", "database-unavailable"], all.Events.Select(e => e.Action));
        Assert.All(all.Events, e => Assert.Equal(NodeHealth.Category, e.Category));
        Assert.Contains("connection timed out", all.Events[0].Reason, StringComparison.Ordinal);
        Assert.Equal(EventOutcome.Failure, all.Events[0].Outcome);
        Assert.Equal("3", all.Events[1].Attributes["failures"]);
        Assert.Empty(withoutLedger.Events);
        Assert.False(Assert.Single(health.Conditions()).Healthy);
        await health.DisposeAsync();
    }

    [Fact]
    public async Task An_idle_database_is_probed_so_that_its_outage_and_recovery_are_reported_without_a_request()
    {
        var health = new NodeHealth("DK", null) { DatabaseIdleInterval = TimeSpan.FromMilliseconds(20) };
        var all = new InMemorySecurityEventSink();
        health.Attach(all, new InMemorySecurityEventSink());
        Exception? failure = new System.IO.IOException("connection refused");
        var probes = 0;
        health.WatchDatabase(_ =>
        {
            Interlocked.Increment(ref probes);
            return Volatile.Read(ref failure) is { } e ? Task.FromException(e) : Task.CompletedTask;
        });
        await UntilAsync(health, all, "database-unavailable");
        Volatile.Write(ref failure, null);
        await UntilAsync(health, all, "database-restored");
        await health.DisposeAsync();
        Assert.Equal(["database-unavailable", "database-restored"], all.Events.Select(e => e.Action));
        Assert.Contains("connection refused", all.Events[0].Reason, StringComparison.Ordinal);
        Assert.True(Volatile.Read(ref probes) >= 2);
        var stopped = Volatile.Read(ref probes);
        await Task.Delay(100);
        Assert.Equal(stopped, Volatile.Read(ref probes)); // the watch ends with the node
    }

    [Fact]
    public async Task A_database_probe_that_hangs_is_a_failure_and_one_that_fails_on_its_own_terms_is_not_an_outage()
    {
        var health = new NodeHealth("DK", null) { DatabaseIdleInterval = TimeSpan.FromMilliseconds(20), DatabaseProbeTimeout = TimeSpan.FromMilliseconds(100) };
        var all = new InMemorySecurityEventSink();
        health.Attach(all, new InMemorySecurityEventSink());
        var hang = 0;
        health.WatchDatabase(async ct =>
        {
            if (Volatile.Read(ref hang) == 0)
            {
                throw new ArgumentException("a probe's own mistake says nothing about the database");
            }

            await Task.Delay(Timeout.Infinite, ct);
        });
        await Task.Delay(200);
        await health.DrainAsync();
        Assert.Empty(all.Events);
        Volatile.Write(ref hang, 1);
        await UntilAsync(health, all, "database-unavailable");
        await health.DisposeAsync();
        Assert.Contains("no answer to a probe within 0.1 s", Assert.Single(all.Events).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_watch_round_that_throws_does_not_end_the_watch()
    {
        var health = new NodeHealth("DK", null) { PeerInterval = TimeSpan.FromMilliseconds(10) };
        var all = new InMemorySecurityEventSink();
        health.Attach(all, new InMemorySecurityEventSink());
        var rounds = 0;
        health.WatchPeers(_ => Interlocked.Increment(ref rounds) == 1
            ? throw new InvalidOperationException("the trust list could not be read")
            : Task.FromResult<IReadOnlyList<PeerStatus>>([new PeerStatus("IT", false, null, null, false, "connection refused", DateTimeOffset.UtcNow)]));
        await UntilAsync(health, all, "peer-unreachable");
        await health.DisposeAsync();
        Assert.Equal("IT unreachable: connection refused", Assert.Single(all.Events).Reason);
    }

    /// <summary>Waits (30 s at most) until an event <paramref name="action"/> was published.</summary>
    private static async Task UntilAsync(NodeHealth health, InMemorySecurityEventSink all, string action)
    {
        for (var i = 0; i < 3000; i++)
        {
            await health.DrainAsync();
            if (all.Events.Any(e => e.Action == action))
            {
                return;
            }

            await Task.Delay(10);
        }

        Assert.Fail($"no {action} event within 30 s");
    }

    [Fact]
    public async Task A_peer_is_unreachable_after_consecutive_failed_probes_and_reachable_again_at_the_first_answer()
    {
        var (health, all, _) = Attached();
        health.ReportPeer("IT", true, null);
        health.ReportPeer("IT", false, "no answer within 3 s"); // one slow handshake is not an outage
        health.ReportPeer("IT", true, null);
        for (var i = 0; i < NodeHealth.ProbesBeforeUnreachable + 3; i++)
        {
            health.ReportPeer("IT", false, "no answer within 3 s");
        }

        health.ReportPeer("ES", true, null);
        health.ReportPeer("IT", true, null);
        health.ReportPeer("IT", true, null);
        await health.DrainAsync();
        Assert.Equal(["peer-unreachable", "peer-reachable"], all.Events.Select(e => e.Action));
        Assert.All(all.Events, e => Assert.Equal("IT", e.Attributes["peer"]));
        Assert.Equal("IT unreachable: no answer within 3 s", all.Events[0].Reason);
        Assert.Equal((NodeHealth.ProbesBeforeUnreachable + 3 - (NodeHealth.ProbesBeforeUnreachable - 1)).ToString(System.Globalization.CultureInfo.InvariantCulture), all.Events[1].Attributes["failures"]);
        Assert.All(health.Conditions(), c => Assert.True(c.Healthy));
        await health.DisposeAsync();
    }

    [Fact]
    public async Task A_failing_ledger_is_reported_to_everything_but_the_ledger_and_its_recovery_to_the_ledger_too()
    {
        var health = new NodeHealth("DK", null);
        var ledger = new FlakyLedger();
        var rest = new InMemorySecurityEventSink();
        var path = new SecurityEventFanOut([health.WatchLedger(ledger), rest]);
        health.Attach(path, rest);
        var request = new SecurityEvent { Node = "DK", Category = EventCategories.Exchange, Action = "ips-retrieve" };
        await path.PublishAsync(request);
        ledger.Failing = true;
        for (var i = 0; i < 4; i++)
        {
            // The request's own append still fails: nobody is told it was audited.
            await Assert.ThrowsAsync<System.IO.IOException>(async () => await path.PublishAsync(request with { Id = Guid.NewGuid().ToString("N") }));
        }

        await health.DrainAsync();
        var failed = Assert.Single(rest.Events, e => e.Category == NodeHealth.Category);
        Assert.Equal("ledger-write-failed", failed.Action);
        Assert.Equal("ledger writes failing: database or disk is full", failed.Reason);
        Assert.DoesNotContain(ledger.Attempted, e => e.Category == NodeHealth.Category);

        ledger.Failing = false;
        await path.PublishAsync(request with { Id = Guid.NewGuid().ToString("N") });
        await health.DrainAsync();
        var resumed = Assert.Single(ledger.Appended, e => e.Category == NodeHealth.Category);
        Assert.Equal("ledger-write-resumed", resumed.Action);
        Assert.Equal("4", resumed.Attributes["failures"]);
        Assert.Equal("database or disk is full", resumed.Attributes["down.reason"]);
        Assert.Equal(["ledger-write-failed", "ledger-write-resumed"], rest.Events.Where(e => e.Category == NodeHealth.Category).Select(e => e.Action));
        await health.DisposeAsync();
    }

    [Fact]
    public async Task A_start_after_a_run_that_was_not_stopped_gracefully_is_reported_as_unclean()
    {
        using var directory = new TemporaryDirectory("konfido-node-health");
        async Task<SecurityEvent> StartAsync(bool stopCleanly)
        {
            var sink = new InMemorySecurityEventSink();
            var health = new NodeHealth("DK", directory.Path);
            health.Attach(sink, sink);
            health.Started();
            await health.StoppingAsync();
            if (stopCleanly)
            {
                health.MarkCleanStop();
            }

            await health.DisposeAsync();
            Assert.Equal("node-stop", sink.Events[^1].Action);
            return sink.Events.Single(e => e.Action == "node-start");
        }

        Assert.Equal("first", (await StartAsync(stopCleanly: false)).Attributes["previous.run"]);
        var afterCrash = await StartAsync(stopCleanly: true);
        Assert.Equal("unclean", afterCrash.Attributes["previous.run"]);
        Assert.Equal(EventOutcome.Failure, afterCrash.Outcome);
        Assert.StartsWith("DK restarted after an unclean stop", afterCrash.Reason, StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse(afterCrash.Attributes["previous.started"], System.Globalization.CultureInfo.InvariantCulture, out _));
        var afterStop = await StartAsync(stopCleanly: true);
        Assert.Equal("clean", afterStop.Attributes["previous.run"]);
        Assert.Equal(EventOutcome.Success, afterStop.Outcome);
    }

    private static (NodeHealth Health, InMemorySecurityEventSink All, InMemorySecurityEventSink WithoutLedger) Attached()
    {
        var health = new NodeHealth("DK", null);
        var all = new InMemorySecurityEventSink();
        var withoutLedger = new InMemorySecurityEventSink();
        health.Attach(all, withoutLedger);
        return (health, all, withoutLedger);
    }

    /// <summary>A ledger that fails like a full disk while <see cref="Failing"/>.</summary>
    private sealed class FlakyLedger : ISecurityEventSink
    {
        public bool Failing { get; set; }

        public List<SecurityEvent> Attempted { get; } = [];

        public List<SecurityEvent> Appended { get; } = [];

        public ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default)
        {
            lock (Attempted)
            {
                Attempted.Add(securityEvent);
                if (Failing)
                {
                    throw new System.IO.IOException("database or disk is full");
                }

                Appended.Add(securityEvent);
            }

            return ValueTask.CompletedTask;
        }
    }
}
