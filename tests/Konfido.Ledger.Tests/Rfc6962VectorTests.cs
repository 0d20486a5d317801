using System.Text.Json;
using Konfido.Ledger.Merkle;

namespace Konfido.Ledger.Tests;

/// <summary>Published RFC 6962 vectors (see Vectors/README.md) and their mutations.</summary>
public sealed class Rfc6962VectorTests
{
    private static readonly JsonElement Tree = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "rfc6962-tree.json"))).RootElement;

    private static MerkleHash H(string hex) => new(Convert.FromHexString(hex));

    private static byte[][] Leaves => Tree.GetProperty("leaves").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToArray();

    private static MerkleHash Root(int size) => H(Tree.GetProperty("rootHashes")[size].GetString()!);

    [Fact]
    public void Root_of_every_prefix_matches_the_published_roots()
    {
        for (var size = 0; size <= 8; size++)
        {
            var root = Rfc6962.RootOf(Leaves.Take(size).Select(l => Rfc6962.HashLeaf(l)));
            Assert.Equal(Root(size), root);
        }
    }

    [Fact]
    public void Leaf_and_node_hashes_match_the_published_node_hashes()
    {
        var levels = Tree.GetProperty("nodeHashes");
        var leaves = Leaves;
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(H(levels[0][i].GetString()!), Rfc6962.HashLeaf(leaves[i]));
        }

        var range = new CompactRange();
        var nodes = new Dictionary<(int, long), MerkleHash>();
        foreach (var leaf in leaves)
        {
            range.Append(Rfc6962.HashLeaf(leaf), (level, index, hash) => nodes[(level, index)] = hash);
        }

        for (var level = 0; level < 4; level++)
        {
            var row = levels[level];
            for (var i = 0; i < row.GetArrayLength(); i++)
            {
                Assert.Equal(H(row[i].GetString()!), nodes[(level, i)]);
            }
        }
    }

    public static TheoryData<int, int> InclusionCases()
    {
        var data = new TheoryData<int, int>();
        foreach (var p in Tree.GetProperty("inclusionProofs").EnumerateArray())
        {
            data.Add(p.GetProperty("leaf").GetInt32(), p.GetProperty("size").GetInt32());
        }

        return data;
    }

    public static TheoryData<int, int> ConsistencyCases()
    {
        var data = new TheoryData<int, int>();
        foreach (var p in Tree.GetProperty("consistencyProofs").EnumerateArray())
        {
            data.Add(p.GetProperty("size1").GetInt32(), p.GetProperty("size2").GetInt32());
        }

        return data;
    }

    private static MerkleHash[] ProofOf(string table, Func<JsonElement, bool> match) =>
        Tree.GetProperty(table).EnumerateArray().First(match).GetProperty("proof").EnumerateArray().Select(e => H(e.GetString()!)).ToArray();

    [Theory]
    [MemberData(nameof(InclusionCases))]
    public async Task Published_inclusion_proof_verifies_is_generated_and_every_mutation_fails(int leaf, int size)
    {
        var proof = ProofOf("inclusionProofs", p => p.GetProperty("leaf").GetInt32() == leaf && p.GetProperty("size").GetInt32() == size);
        var index = leaf - 1;
        var leafHash = Rfc6962.HashLeaf(Leaves[index]);
        Assert.True(MerkleProof.VerifyInclusion(index, size, leafHash, proof, Root(size)).IsValid);

        await using var log = await BuildLogAsync(size);
        Assert.Equal(proof, await log.ProveInclusionAsync(index, size));

        foreach (var (description, mutated) in Mutations.Inclusion(index, size, leafHash, proof, Root(size)))
        {
            Assert.False(MerkleProof.VerifyInclusion(mutated.Index, mutated.Size, mutated.Leaf, mutated.Proof, mutated.Root).IsValid, description);
        }
    }

    [Theory]
    [MemberData(nameof(ConsistencyCases))]
    public async Task Published_consistency_proof_verifies_is_generated_and_every_mutation_fails(int size1, int size2)
    {
        var proof = ProofOf("consistencyProofs", p => p.GetProperty("size1").GetInt32() == size1 && p.GetProperty("size2").GetInt32() == size2);
        Assert.True(MerkleProof.VerifyConsistency(size1, size2, proof, Root(size1), Root(size2)).IsValid);

        await using var log = await BuildLogAsync(size2);
        Assert.Equal(proof, await log.ProveConsistencyAsync(size1, size2));

        if (proof.Length > 0)
        {
            foreach (var (description, m) in Mutations.Consistency(size1, size2, proof, Root(size1), Root(size2)))
            {
                Assert.False(MerkleProof.VerifyConsistency(m.Size1, m.Size2, m.Proof, m.Root1, m.Root2).IsValid, description);
            }
        }
    }

    private static async Task<Log.MerkleLog> BuildLogAsync(int size)
    {
        var log = await Log.MerkleLog.OpenAsync(new Storage.InMemoryLogStorage());
        foreach (var leaf in Leaves.Take(size))
        {
            await log.AppendAsync(leaf);
        }

        return log;
    }

    public static TheoryData<string> TestdataFiles() =>
        new(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Vectors", "transparency-dev-testdata")).Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(TestdataFiles))]
    public void Transparency_dev_testdata_happy_paths_verify_and_their_mutations_fail(string file)
    {
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "transparency-dev-testdata", file))).RootElement;
        static MerkleHash B(JsonElement e) => new(Convert.FromBase64String(e.GetString()!));
        var proof = json.GetProperty("proof").ValueKind == JsonValueKind.Null ? [] : json.GetProperty("proof").EnumerateArray().Select(B).ToArray();
        Assert.False(json.GetProperty("wantErr").GetBoolean());
        if (file.StartsWith("inclusion", StringComparison.Ordinal))
        {
            var index = json.GetProperty("leafIdx").GetInt64();
            var size = json.GetProperty("treeSize").GetInt64();
            var leaf = B(json.GetProperty("leafHash"));
            var root = B(json.GetProperty("root"));
            Assert.True(MerkleProof.VerifyInclusion(index, size, leaf, proof, root).IsValid);
            foreach (var (description, m) in Mutations.Inclusion(index, size, leaf, proof, root))
            {
                Assert.False(MerkleProof.VerifyInclusion(m.Index, m.Size, m.Leaf, m.Proof, m.Root).IsValid, description);
            }
        }
        else
        {
            var size1 = json.GetProperty("size1").GetInt64();
            var size2 = json.GetProperty("size2").GetInt64();
            var root1 = B(json.GetProperty("root1"));
            var root2 = B(json.GetProperty("root2"));
            Assert.True(MerkleProof.VerifyConsistency(size1, size2, proof, root1, root2).IsValid);
            if (proof.Length > 0)
            {
                foreach (var (description, m) in Mutations.Consistency(size1, size2, proof, root1, root2))
                {
                    Assert.False(MerkleProof.VerifyConsistency(m.Size1, m.Size2, m.Proof, m.Root1, m.Root2).IsValid, description);
                }
            }
        }
    }

    [Fact]
    public void Root_mismatch_and_malformed_proof_are_told_apart()
    {
        var proof = ProofOf("inclusionProofs", p => p.GetProperty("leaf").GetInt32() == 6 && p.GetProperty("size").GetInt32() == 8);
        var leafHash = Rfc6962.HashLeaf(Leaves[5]);
        Assert.Equal(ProofFailure.RootMismatch, MerkleProof.VerifyInclusion(5, 8, leafHash, proof, Root(7)).Failure);
        Assert.Equal(ProofFailure.MalformedProof, MerkleProof.VerifyInclusion(5, 8, leafHash, proof[..2], Root(8)).Failure);
        Assert.Equal(ProofFailure.MalformedProof, MerkleProof.VerifyInclusion(8, 8, leafHash, proof, Root(8)).Failure);
    }

    [Fact]
    public void Trivial_consistency_cases_follow_the_reference_semantics()
    {
        var a = Rfc6962.HashLeaf([1]);
        var b = Rfc6962.HashLeaf([2]);
        Assert.True(MerkleProof.VerifyConsistency(0, 0, [], a, a).IsValid);
        Assert.True(MerkleProof.VerifyConsistency(0, 1, [], a, b).IsValid);
        Assert.True(MerkleProof.VerifyConsistency(1, 1, [], b, b).IsValid);
        Assert.False(MerkleProof.VerifyConsistency(1, 1, [], a, b).IsValid);
        Assert.False(MerkleProof.VerifyConsistency(1, 0, [], a, b).IsValid);
        Assert.False(MerkleProof.VerifyConsistency(2, 1, [], a, b).IsValid);
        Assert.False(MerkleProof.VerifyConsistency(1, 2, [], a, b).IsValid);
        Assert.False(MerkleProof.VerifyConsistency(1, 1, [MerkleHash.EmptyTree], b, b).IsValid);
        Assert.False(MerkleProof.VerifyConsistency(0, 1, [MerkleHash.EmptyTree], b, b).IsValid);
    }
}

/// <summary>The mutations transparency-dev/merkle applies to every known-good proof (proof/verify_test.go).</summary>
internal static class Mutations
{
    private static readonly MerkleHash Some = new(Convert.FromHexString("abacaba000000000000000000000000000000000000000000060061e00123456"));

    public readonly record struct InclusionProbe(long Index, long Size, MerkleHash Leaf, MerkleHash[] Proof, MerkleHash Root);

    public readonly record struct ConsistencyProbe(long Size1, long Size2, MerkleHash[] Proof, MerkleHash Root1, MerkleHash Root2);

    public static MerkleHash FlipBit(MerkleHash hash, int bit)
    {
        var bytes = hash.ToArray();
        bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        return new MerkleHash(bytes);
    }

    public static IEnumerable<(string, InclusionProbe)> Inclusion(long index, long size, MerkleHash leaf, MerkleHash[] proof, MerkleHash root)
    {
        yield return ("index - 1", new(index - 1, size, leaf, proof, root));
        yield return ("index + 1", new(index + 1, size, leaf, proof, root));
        yield return ("index ^ 2", new(index ^ 2, size, leaf, proof, root));
        yield return ("size * 2", new(index, size * 2, leaf, proof, root));
        yield return ("size / 2", new(index, size / 2, leaf, proof, root));
        yield return ("wrong leaf", new(index, size, Rfc6962.HashLeaf("WrongLeaf"u8), proof, root));
        yield return ("empty root", new(index, size, leaf, proof, MerkleHash.EmptyTree));
        yield return ("random root", new(index, size, leaf, proof, Some));
        yield return ("trailing root", new(index, size, leaf, [.. proof, root], root));
        yield return ("trailing other", new(index, size, leaf, [.. proof, Some], root));
        yield return ("preceding root", new(index, size, leaf, [root, .. proof], root));
        for (var i = 0; i < proof.Length; i++)
        {
            var p = proof.ToArray();
            p[i] = FlipBit(p[i], 3);
            yield return ($"modified proof[{i}] bit 3", new(index, size, leaf, p, root));
        }

        if (proof.Length > 0)
        {
            yield return ("removed component", new(index, size, leaf, proof[..^1], root));
        }

        if (proof.Length > 1)
        {
            yield return ("inserted component", new(index, size, leaf, [proof[0], Some, .. proof[1..]], root));
        }
    }

    public static IEnumerable<(string, ConsistencyProbe)> Consistency(long size1, long size2, MerkleHash[] proof, MerkleHash root1, MerkleHash root2)
    {
        var wrong = Rfc6962.HashLeaf("WrongRoot"u8);
        yield return ("size1 - 1", new(size1 - 1, size2, proof, root1, root2));
        yield return ("size1 + 1", new(size1 + 1, size2, proof, root1, root2));
        yield return ("size1 ^ 2", new(size1 ^ 2, size2, proof, root1, root2));
        yield return ("size2 * 2", new(size1, size2 * 2, proof, root1, root2));
        yield return ("size2 / 2", new(size1, size2 / 2, proof, root1, root2));
        yield return ("wrong root1", new(size1, size2, proof, wrong, root2));
        yield return ("wrong root2", new(size1, size2, proof, root1, wrong));
        yield return ("swapped roots", new(size1, size2, proof, root2, root1));
        yield return ("empty proof", new(size1, size2, [], root1, root2));
        yield return ("trailing root1", new(size1, size2, [.. proof, root1], root1, root2));
        yield return ("trailing root2", new(size1, size2, [.. proof, root2], root1, root2));
        yield return ("preceding root1", new(size1, size2, [root1, .. proof], root1, root2));
        yield return ("preceding root2", new(size1, size2, [root2, .. proof], root1, root2));
        yield return ("preceding proof[0]", new(size1, size2, [proof[0], .. proof], root1, root2));
        yield return ("truncated proof", new(size1, size2, proof[..^1], root1, root2));
        for (var i = 0; i < proof.Length; i++)
        {
            var p = proof.ToArray();
            p[i] = FlipBit(p[i], 4);
            yield return ($"modified proof[{i}] bit 4", new(size1, size2, p, root1, root2));
        }
    }
}
