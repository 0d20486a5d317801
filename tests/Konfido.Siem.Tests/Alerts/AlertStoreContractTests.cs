using Konfido.Siem.Alerts;
using Konfido.Siem.Sigma;
using Konfido.Testing;

namespace Konfido.Siem.Tests.Alerts;

/// <summary>The contract every <see cref="IAlertStore"/> must keep; run over SQLite and real PostgreSQL.</summary>
public abstract class AlertStoreContractTests
{
    protected abstract Task<(IAlertStore Store, IAsyncDisposable Lifetime)> CreateAsync();

    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 10, 0, 0, 123, TimeSpan.Zero);

    private static Alert Sample(string id, string key, DateTimeOffset lastSeen, int count = 1) => new()
    {
        Id = id,
        RuleId = "rule-1",
        Title = "Brute force",
        Severity = SigmaLevel.High,
        Kind = AlertKind.Correlation,
        Node = "DK",
        DeduplicationKey = key,
        FirstSeen = T0,
        LastSeen = lastSeen,
        Count = count,
        Group = new Dictionary<string, string?> { ["user.name"] = "alice", ["source.ip"] = null },
        Evidence = ["#1", "#2"],
        Description = "five failures",
    };

    [Fact]
    public async Task Upsert_then_get_round_trips_every_field()
    {
        var (store, lifetime) = await CreateAsync();
        await using (lifetime)
        {
            await store.InitializeAsync();
            await store.InitializeAsync(); // idempotent
            var alert = Sample("a1", "k1", T0.AddMinutes(1));
            await store.UpsertAsync(alert);
            var read = await store.GetAsync("a1");
            Assert.NotNull(read);
            Assert.Equal(alert.Id, read.Id);
            Assert.Equal(alert.RuleId, read.RuleId);
            Assert.Equal(alert.Title, read.Title);
            Assert.Equal(alert.Severity, read.Severity);
            Assert.Equal(alert.Kind, read.Kind);
            Assert.Equal(alert.Node, read.Node);
            Assert.Equal(alert.DeduplicationKey, read.DeduplicationKey);
            Assert.Equal(alert.FirstSeen, read.FirstSeen);
            Assert.Equal(alert.LastSeen, read.LastSeen);
            Assert.Equal(alert.Count, read.Count);
            Assert.Equal(alert.Group, read.Group);
            Assert.Equal(alert.Evidence, read.Evidence);
            Assert.Equal(alert.Description, read.Description);
            Assert.Null(await store.GetAsync("missing"));
        }
    }

    [Fact]
    public async Task Upsert_replaces_by_id_and_find_latest_uses_last_seen()
    {
        var (store, lifetime) = await CreateAsync();
        await using (lifetime)
        {
            await store.InitializeAsync();
            await store.UpsertAsync(Sample("a1", "k", T0.AddMinutes(1)));
            await store.UpsertAsync(Sample("a2", "k", T0.AddMinutes(5)));
            await store.UpsertAsync(Sample("a1", "k", T0.AddMinutes(2), count: 7));
            Assert.Equal(7, (await store.GetAsync("a1"))!.Count);
            Assert.Equal("a2", (await store.FindLatestAsync("k"))!.Id);
            Assert.Null(await store.FindLatestAsync("other"));
        }
    }

    [Fact]
    public async Task List_is_newest_first_filtered_and_limited()
    {
        var (store, lifetime) = await CreateAsync();
        await using (lifetime)
        {
            await store.InitializeAsync();
            for (var i = 0; i < 5; i++)
            {
                await store.UpsertAsync(Sample($"a{i}", $"k{i}", T0.AddMinutes(i)));
            }

            var all = await store.ListAsync();
            Assert.Equal(["a4", "a3", "a2", "a1", "a0"], all.Select(a => a.Id));
            var recent = await store.ListAsync(T0.AddMinutes(3));
            Assert.Equal(["a4", "a3"], recent.Select(a => a.Id));
            Assert.Equal(2, (await store.ListAsync(limit: 2)).Count);
        }
    }

    [Fact]
    public async Task Received_alerts_keep_their_origin_and_are_deduplicated_by_origin_and_id()
    {
        var (store, lifetime) = await CreateAsync();
        await using (lifetime)
        {
            await store.InitializeAsync();
            var inbox = new ForeignAlertInbox(store, "IT");
            var wire = SharedAlert.FromAlert(SharedAlertTests.Local(node: "DK")).ToJsonBytes();

            var first = await inbox.ReceiveAsync(wire, "DK");
            Assert.Equal(ForeignAlertOutcome.Stored, first.Outcome);
            var stored = await store.GetAsync(SharedAlert.StorageId("DK", "0123456789abcdef0123456789abcdef"));
            Assert.NotNull(stored);
            Assert.Equal("DK", stored.Node);
            Assert.Equal("DK", stored.ReceivedFrom);
            Assert.Equal("konfido-mass-lookup", stored.RuleId);
            Assert.Equal(SigmaLevel.High, stored.Severity);
            Assert.Equal(["evt-1", "evt-2", "17"], stored.Evidence);
            Assert.Equal(SharedAlertTests.T0, stored.FirstSeen);

            Assert.Equal(ForeignAlertOutcome.Duplicate, (await inbox.ReceiveAsync(wire, "DK")).Outcome);

            // The origin merged more occurrences: the newer copy replaces the stored one, an older one does not.
            var newer = SharedAlert.FromAlert(SharedAlertTests.Local(node: "DK") with { Count = 5, LastSeen = SharedAlertTests.T0.AddMinutes(9) });
            Assert.Equal(ForeignAlertOutcome.Updated, (await inbox.ReceiveAsync(newer, "DK")).Outcome);
            Assert.Equal(ForeignAlertOutcome.Duplicate, (await inbox.ReceiveAsync(wire, "DK")).Outcome);
            Assert.Equal(5, (await store.GetAsync(SharedAlert.StorageId("DK", "0123456789abcdef0123456789abcdef")))!.Count);

            // The same id from another origin is another alert.
            var fromSpain = SharedAlert.FromAlert(SharedAlertTests.Local(node: "ES"));
            Assert.Equal(ForeignAlertOutcome.Stored, (await inbox.ReceiveAsync(fromSpain, "ES")).Outcome);
            Assert.Equal(2, (await store.ListAsync()).Count(a => a.ReceivedFrom is not null));

            // Local de-duplication never merges into a received alert.
            Assert.Null(await store.FindLatestAsync(stored.DeduplicationKey));
            Assert.Null(await store.FindLatestAsync("konfido-mass-lookup|user.name=hcp7@dk"));
        }
    }

    [Fact]
    public async Task Received_alerts_from_the_wrong_origin_or_malformed_are_rejected_and_not_stored()
    {
        var (store, lifetime) = await CreateAsync();
        await using (lifetime)
        {
            await store.InitializeAsync();
            var inbox = new ForeignAlertInbox(store, "IT");
            var fromDenmark = SharedAlert.FromAlert(SharedAlertTests.Local(node: "DK"));
            var spoofed = await inbox.ReceiveAsync(fromDenmark, "ES");
            Assert.Equal(ForeignAlertOutcome.Rejected, spoofed.Outcome);
            Assert.Contains("differs from the delivering peer ES", spoofed.Reason, StringComparison.Ordinal);

            var ours = await inbox.ReceiveAsync(SharedAlert.FromAlert(SharedAlertTests.Local(node: "IT")), "IT");
            Assert.Equal(ForeignAlertOutcome.Rejected, ours.Outcome);

            var malformed = await inbox.ReceiveAsync("{\"format\":\"x\"}"u8.ToArray(), "DK");
            Assert.Equal(ForeignAlertOutcome.Rejected, malformed.Outcome);
            Assert.Contains("format", malformed.Reason, StringComparison.Ordinal);

            Assert.Empty(await store.ListAsync());
            await Assert.ThrowsAsync<ArgumentException>(() => inbox.ReceiveAsync(fromDenmark, "Denmark"));
        }
    }

    [Fact]
    public async Task A_local_alert_and_a_received_one_with_the_same_id_are_kept_apart()
    {
        var (store, lifetime) = await CreateAsync();
        await using (lifetime)
        {
            await store.InitializeAsync();
            var local = SharedAlertTests.Local(node: "IT");
            await store.UpsertAsync(local);
            var inbox = new ForeignAlertInbox(store, "IT");
            Assert.Equal(ForeignAlertOutcome.Stored, (await inbox.ReceiveAsync(SharedAlert.FromAlert(SharedAlertTests.Local(node: "DK")), "DK")).Outcome);
            Assert.Null((await store.GetAsync(local.Id))!.ReceivedFrom);
            Assert.Equal(local.Id, (await store.FindLatestAsync(local.DeduplicationKey))!.Id);
            Assert.Equal(2, (await store.ListAsync()).Count);
        }
    }
}

public sealed class SqliteAlertStoreTests : AlertStoreContractTests
{
    protected override Task<(IAlertStore, IAsyncDisposable)> CreateAsync()
    {
        var dir = new TemporaryDirectory();
        return Task.FromResult<(IAlertStore, IAsyncDisposable)>((SqliteAlertStore.ForFile(dir.File("alerts.db")), new DirectoryLifetime(dir)));
    }

    [Fact]
    public async Task A_table_from_before_alert_sharing_is_migrated_in_place()
    {
        var dir = new TemporaryDirectory();
        await using var lifetime = new DirectoryLifetime(dir);
        var path = dir.File("old.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE siem_alerts (
                  id TEXT PRIMARY KEY, dedup_key TEXT NOT NULL, rule_id TEXT NOT NULL, title TEXT NOT NULL,
                  severity INTEGER NOT NULL, kind TEXT NOT NULL, node TEXT NOT NULL, first_seen TEXT NOT NULL,
                  last_seen TEXT NOT NULL, count INTEGER NOT NULL, grp TEXT NOT NULL, evidence TEXT NOT NULL, description TEXT);
                INSERT INTO siem_alerts VALUES ('old1', 'k', 'r', 'T', 3, 'Rule', 'DK', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', 1, '{}', '[]', NULL);
                """;
            await command.ExecuteNonQueryAsync();
        }

        var store = SqliteAlertStore.ForFile(path);
        await store.InitializeAsync();
        await store.InitializeAsync();
        var old = await store.GetAsync("old1");
        Assert.NotNull(old);
        Assert.Null(old.ReceivedFrom);
        Assert.Equal("old1", (await store.FindLatestAsync("k"))!.Id);
        Assert.Equal(ForeignAlertOutcome.Stored, (await new ForeignAlertInbox(store, "IT").ReceiveAsync(SharedAlert.FromAlert(SharedAlertTests.Local()), "DK")).Outcome);
    }

    private sealed class DirectoryLifetime(TemporaryDirectory dir) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

public sealed class PostgresAlertStoreTests : AlertStoreContractTests
{
    protected override async Task<(IAlertStore, IAsyncDisposable)> CreateAsync()
    {
        var database = await PostgresDatabase.CreateAsync("konfido_siem");
        var store = new PostgresAlertStore(database.ConnectionString);
        return (store, new Both(store, database));
    }

    private sealed class Both(PostgresAlertStore store, PostgresDatabase database) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await store.DisposeAsync();
            await database.DisposeAsync();
        }
    }
}
