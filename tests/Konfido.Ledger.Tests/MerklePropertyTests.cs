using Konfido.Ledger.Log;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Storage;

namespace Konfido.Ledger.Tests;

/// <summary>Property tests against the naive <see cref="ReferenceTree"/> on random trees.</summary>
public sealed class MerklePropertyTests
{
    private static byte[][] RandomLeaves(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => { var b = new byte[random.Next(0, 40)]; random.NextBytes(b); return b; }).ToArray();

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 37)]
    [InlineData(3, 256)]
    [InlineData(4, 257)]
    [InlineData(5, 1000)]
    [InlineData(6, 3001)]
    public async Task Every_root_and_proof_of_the_log_agrees_with_the_reference_and_verifies(int seed, int count)
    {
        var random = new Random(seed);
        var leaves = RandomLeaves(random, count);
        var reference = new ReferenceTree(leaves);
        await using var log = await MerkleLog.OpenAsync(new InMemoryLogStorage(), new MerkleLogOptions { MaxBatchSize = 97 });
        await Task.WhenAll(leaves.Select(l => log.AppendAsync(l).AsTask()));
        Assert.Equal(count, log.Head.Size);
        Assert.Equal(new MerkleHash(reference.Mth(0, count)), log.Head.Root);

        // Sizes: all for small trees, a random sample (plus edges) for big ones.
        var sizes = count <= 300 ? Enumerable.Range(1, count).ToArray() : [1, 2, 255, 256, 257, 511, 512, count - 1, count, .. Enumerable.Range(0, 40).Select(_ => random.Next(1, count + 1))];
        foreach (var size in sizes.Distinct())
        {
            var root = new MerkleHash(reference.Mth(0, size));
            Assert.Equal(root, await log.RootAtAsync(size));
            var indexes = size <= 64 ? Enumerable.Range(0, size) : [0, size - 1, .. Enumerable.Range(0, 8).Select(_ => random.Next(size))];
            foreach (var index in indexes)
            {
                var proof = await log.ProveInclusionAsync(index, size);
                Assert.Equal(ReferenceTree.ToHashes(reference.Path(index, 0, size)), proof);
                Assert.True(MerkleProof.VerifyInclusion(index, size, Rfc6962.HashLeaf(leaves[index]), proof, root).IsValid);
            }

            var size1 = random.Next(0, size + 1);
            var consistency = await log.ProveConsistencyAsync(size1, size);
            Assert.Equal(ReferenceTree.ToHashes(reference.Consistency(size1, size)), consistency);
            Assert.True(MerkleProof.VerifyConsistency(size1, size, consistency, new MerkleHash(reference.Mth(0, size1)), root).IsValid);
        }
    }

    [Theory]
    [InlineData(11, 300)]
    [InlineData(12, 2049)]
    public async Task Every_single_bit_corruption_of_a_proof_or_root_is_rejected(int seed, int count)
    {
        var random = new Random(seed);
        var leaves = RandomLeaves(random, count);
        await using var log = await MerkleLog.OpenAsync(new InMemoryLogStorage());
        await Task.WhenAll(leaves.Select(l => log.AppendAsync(l).AsTask()));
        for (var round = 0; round < 6; round++)
        {
            var size = random.Next(2, count + 1);
            var index = random.Next(size);
            var root = await log.RootAtAsync(size);
            var leaf = Rfc6962.HashLeaf(leaves[index]);
            var proof = await log.ProveInclusionAsync(index, size);
            for (var element = 0; element < proof.Length; element++)
            {
                for (var bit = 0; bit < 256; bit++)
                {
                    var corrupted = proof.ToArray();
                    corrupted[element] = Mutations.FlipBit(corrupted[element], bit);
                    Assert.Equal(ProofFailure.RootMismatch, MerkleProof.VerifyInclusion(index, size, leaf, corrupted, root).Failure);
                }
            }

            for (var bit = 0; bit < 256; bit++)
            {
                Assert.False(MerkleProof.VerifyInclusion(index, size, Mutations.FlipBit(leaf, bit), proof, root).IsValid);
                Assert.False(MerkleProof.VerifyInclusion(index, size, leaf, proof, Mutations.FlipBit(root, bit)).IsValid);
            }

            var size1 = random.Next(1, size);
            var root1 = await log.RootAtAsync(size1);
            var consistency = await log.ProveConsistencyAsync(size1, size);
            Assert.True(MerkleProof.VerifyConsistency(size1, size, consistency, root1, root).IsValid);
            for (var element = 0; element < consistency.Length; element++)
            {
                for (var bit = 0; bit < 256; bit++)
                {
                    var corrupted = consistency.ToArray();
                    corrupted[element] = Mutations.FlipBit(corrupted[element], bit);
                    Assert.False(MerkleProof.VerifyConsistency(size1, size, corrupted, root1, root).IsValid);
                }
            }

            for (var bit = 0; bit < 256; bit += 7)
            {
                Assert.False(MerkleProof.VerifyConsistency(size1, size, consistency, Mutations.FlipBit(root1, bit), root).IsValid);
                Assert.False(MerkleProof.VerifyConsistency(size1, size, consistency, root1, Mutations.FlipBit(root, bit)).IsValid);
            }
        }
    }

    [Fact]
    public void Compact_range_root_equals_the_reference_for_every_size_up_to_600()
    {
        var random = new Random(5);
        var leaves = RandomLeaves(random, 600);
        var reference = new ReferenceTree(leaves);
        var range = new CompactRange();
        Assert.Equal(MerkleHash.EmptyTree, range.Root());
        for (var i = 0; i < leaves.Length; i++)
        {
            range.Append(Rfc6962.HashLeaf(leaves[i]));
            Assert.Equal(new MerkleHash(reference.Mth(0, i + 1)), range.Root());
        }
    }
}
