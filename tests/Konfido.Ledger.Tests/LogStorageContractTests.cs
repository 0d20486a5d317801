using Konfido.Ledger.Log;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Storage;
using Konfido.Ledger.Witnessing;
using Konfido.Testing;

namespace Konfido.Ledger.Tests;

/// <summary>One contract, run over every <see cref="ILogStorage"/> and <see cref="IWitnessStateStore"/>.</summary>
public sealed class LogStorageContractTests
{
    public static TheoryData<string> Backends() => ["memory", "sqlite", "postgres"];

    private sealed class Backend : IAsyncDisposable
    {
        private readonly TemporaryDirectory _dir = new("konfido-ledger");
        private PostgresDatabase? _pg;
        private InMemoryLogStorage? _memory;
        private InMemoryWitnessStateStore? _memoryWitness;

        public required string Kind { get; init; }

        public async Task<ILogStorage> OpenLogAsync()
        {
            switch (Kind)
            {
                case "memory":
                    return _memory ??= new InMemoryLogStorage();
                case "sqlite":
                    return await SqliteLogStorage.OpenAsync(_dir.File("log.db"));
                default:
                    _pg ??= await PostgresDatabase.CreateAsync("konfido_ledger");
                    return await PostgresLogStorage.OpenAsync(_pg.ConnectionString, "ledger.test");
            }
        }

        public async Task<IWitnessStateStore> OpenWitnessAsync()
        {
            switch (Kind)
            {
                case "memory":
                    return _memoryWitness ??= new InMemoryWitnessStateStore();
                case "sqlite":
                    return SqliteWitnessStateStore.Open(_dir.File("witness.db"));
                default:
                    _pg ??= await PostgresDatabase.CreateAsync("konfido_ledger");
                    return await PostgresWitnessStateStore.OpenAsync(_pg.ConnectionString);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_pg is not null)
            {
                await _pg.DisposeAsync();
            }

            _dir.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Appends_are_durable_across_reopen_and_proofs_verify_without_rescanning(string kind)
    {
        await using var backend = new Backend { Kind = kind };
        var random = new Random(42);
        var entries = Enumerable.Range(0, 1300).Select(i => { var b = new byte[random.Next(1, 64)]; random.NextBytes(b); return b; }).ToArray();
        var reference = new ReferenceTree(entries);

        var storage = await backend.OpenLogAsync();
        await using (var log = await MerkleLog.OpenAsync(storage, new MerkleLogOptions { MaxBatchSize = 200 }))
        {
            var indexes = await Task.WhenAll(entries.Take(700).Select(e => log.AppendAsync(e).AsTask()));
            Assert.Equal(Enumerable.Range(0, 700).Select(i => (long)i), indexes.Order());
            var head = await storage.ReadHeadAsync();
            Assert.Equal(700, head.Size);
        }

        // Entries were appended concurrently: the order is the log's; rebuild the reference from it.
        if (kind != "memory")
        {
            await storage.DisposeAsync();
            storage = await backend.OpenLogAsync();
        }

        await using (var log = await MerkleLog.OpenAsync(storage))
        {
            Assert.Equal(700, log.Head.Size);
            await log.WarmUpAsync(0);
            foreach (var entry in entries.Skip(700))
            {
                await log.AppendAsync(entry);
            }

            var stored = new List<byte[]>();
            for (var i = 0; i < log.Head.Size; i++)
            {
                stored.Add(await log.ReadEntryAsync(i));
            }

            Assert.Equal(entries.Select(Convert.ToHexString).Order(), stored.Select(Convert.ToHexString).Order());
            reference = new ReferenceTree(stored);
            Assert.Equal(new MerkleHash(reference.Mth(0, stored.Count)), log.Head.Root);
            foreach (var (index, size) in new[] { (0L, 1300L), (699L, 700L), (700L, 1300L), (1299L, 1300L), (255L, 256L), (513L, 1000L) })
            {
                var proof = await log.ProveInclusionAsync(index, size);
                Assert.True(MerkleProof.VerifyInclusion(index, size, Rfc6962.HashLeaf(stored[(int)index]), proof, new MerkleHash(reference.Mth(0, (int)size))).IsValid);
            }

            var consistency = await log.ProveConsistencyAsync(700, 1300);
            Assert.True(MerkleProof.VerifyConsistency(700, 1300, consistency, new MerkleHash(reference.Mth(0, 700)), log.Head.Root).IsValid);
        }

        await storage.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_commit_that_does_not_extend_the_stored_head_is_a_conflict(string kind)
    {
        await using var backend = new Backend { Kind = kind };
        var storage = await backend.OpenLogAsync();
        var leaf = Rfc6962.HashLeaf([7]);
        await storage.CommitAsync(new LogCommit(0, 1, leaf, [new byte[] { 7 }], [new TileWrite(0, 0, leaf.ToArray())]));
        await Assert.ThrowsAsync<LogConflictException>(async () =>
            await storage.CommitAsync(new LogCommit(0, 1, leaf, [new byte[] { 7 }], [new TileWrite(0, 0, leaf.ToArray())])));
        Assert.Equal(new StoredTreeHead(1, leaf), await storage.ReadHeadAsync());
        Assert.Equal([7], await storage.ReadEntryAsync(0));
        Assert.Null(await storage.ReadEntryAsync(1));
        Assert.Null(await storage.ReadTileAsync(1, 0));
        await storage.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Witness_state_advances_only_by_compare_and_swap(string kind)
    {
        await using var backend = new Backend { Kind = kind };
        var store = await backend.OpenWitnessAsync();
        Assert.Null(await store.GetAsync("log.a"));
        var first = new WitnessedCheckpoint(5, Rfc6962.HashLeaf([5]), "note 5\n");
        Assert.True(await store.TryAdvanceAsync("log.a", 0, first));
        Assert.False(await store.TryAdvanceAsync("log.a", 0, first with { Size = 6 }));
        Assert.False(await store.TryAdvanceAsync("log.a", 4, first with { Size = 6 }));
        Assert.True(await store.TryAdvanceAsync("log.a", 5, new WitnessedCheckpoint(9, Rfc6962.HashLeaf([9]), "note 9\n")));
        Assert.Equal(new WitnessedCheckpoint(9, Rfc6962.HashLeaf([9]), "note 9\n"), await store.GetAsync("log.a"));
        Assert.Null(await store.GetAsync("log.b"));
        switch (store)
        {
            case IAsyncDisposable a:
                await a.DisposeAsync();
                break;
            case IDisposable d:
                d.Dispose();
                break;
        }
    }
}
