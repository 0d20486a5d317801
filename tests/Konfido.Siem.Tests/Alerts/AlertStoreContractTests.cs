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
}

public sealed class SqliteAlertStoreTests : AlertStoreContractTests
{
    protected override Task<(IAlertStore, IAsyncDisposable)> CreateAsync()
    {
        var dir = new TemporaryDirectory();
        return Task.FromResult<(IAlertStore, IAsyncDisposable)>((SqliteAlertStore.ForFile(dir.File("alerts.db")), new DirectoryLifetime(dir)));
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
