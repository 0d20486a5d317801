using Konfido.Ledger.Log;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Storage;

namespace Konfido.Ledger.Tests;

/// <summary>A commit that fails (disk full, lost connection) fails its batch only; the log reloads its durable state and goes on.</summary>
public sealed class FailedCommitTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(700)]
    public async Task After_a_failed_commit_the_log_continues_from_its_durable_state_and_its_root_is_the_reference_root(int failAt)
    {
        var storage = new FlakyStorage(new InMemoryLogStorage());
        await using var log = await MerkleLog.OpenAsync(storage, new MerkleLogOptions { MaxBatchSize = 1 });
        var durable = new List<byte[]>();
        for (var i = 0; i < 1000; i++)
        {
            var entry = BitConverter.GetBytes(i);
            storage.Fail = i == failAt || i == failAt + 1; // two consecutive failures, then the disk has room again
            try
            {
                Assert.Equal(durable.Count, await log.AppendAsync(entry));
                durable.Add(entry);
            }
            catch (IOException)
            {
                Assert.True(storage.Fail);
            }
        }

        Assert.Equal(998, durable.Count);
        Assert.Equal(durable.Count, log.Head.Size);
        Assert.Equal(new ReferenceTree(durable).Mth(0, durable.Count), log.Head.Root.ToArray());
        // The proofs over the appends made after the failures verify, and a reopened log agrees.
        var proof = await log.ProveInclusionAsync(durable.Count - 1, durable.Count);
        Assert.True(MerkleProof.TryRootFromInclusion(durable.Count - 1, durable.Count, Rfc6962.HashLeaf(durable[^1]), proof, out var root, out _));
        Assert.Equal(log.Head.Root, root);
        await using var reopened = await MerkleLog.OpenAsync(storage);
        Assert.Equal(log.Head, reopened.Head);
    }

    [Fact]
    public async Task The_proof_cache_stays_within_its_capacity_however_much_is_written()
    {
        await using var log = await MerkleLog.OpenAsync(new InMemoryLogStorage(), new MerkleLogOptions { TileCacheCapacity = 64, MaxBatchSize = 256 });
        var appends = Enumerable.Range(0, 40_000).Select(i => log.AppendAsync(BitConverter.GetBytes(i)).AsTask()).ToArray();
        await Task.WhenAll(appends);

        Assert.Equal(40_000, log.Head.Size); // 157 full tiles at level 0 alone were written
        Assert.InRange(log.CachedTiles, 1, 64);
        var proof = await log.ProveInclusionAsync(123, log.Head.Size); // evicted tiles come back from storage
        Assert.True(MerkleProof.TryRootFromInclusion(123, log.Head.Size, Rfc6962.HashLeaf(BitConverter.GetBytes(123)), proof, out var root, out _));
        Assert.Equal(log.Head.Root, root);
    }

    private sealed class FlakyStorage(ILogStorage inner) : ILogStorage
    {
        public bool Fail { get; set; }

        public ValueTask<StoredTreeHead> ReadHeadAsync(CancellationToken cancellationToken = default) => inner.ReadHeadAsync(cancellationToken);

        public ValueTask<byte[]?> ReadTileAsync(int level, long index, CancellationToken cancellationToken = default) => inner.ReadTileAsync(level, index, cancellationToken);

        public ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> ReadTilesAsync(IReadOnlyList<(int Level, long Index)> tiles, CancellationToken cancellationToken = default) =>
            inner.ReadTilesAsync(tiles, cancellationToken);

        public ValueTask<byte[]?> ReadEntryAsync(long index, CancellationToken cancellationToken = default) => inner.ReadEntryAsync(index, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        public ValueTask CommitAsync(LogCommit commit, CancellationToken cancellationToken = default) =>
            Fail ? throw new IOException("No space left on device") : inner.CommitAsync(commit, cancellationToken);
    }
}
