using System.Diagnostics;
using System.Text.Json;
using Konfido.Ledger.Log;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Notes;
using Konfido.Ledger.Storage;
using Konfido.Ledger.Witnessing;
using Konfido.Testing;

namespace Konfido.Cli.Tests;

public sealed class LedgerCommandTests
{
    // RFC 6962 reference tree of transparency-dev/merkle (testonly/constants.go) and the
    // inclusion/consistency tables of its proof/verify_test.go.
    private static readonly string[] Leaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
    private static readonly string[] Roots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    private const string Leaf5Hash = "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658";
    private static readonly string[] Proof5In8 = ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"];
    private static readonly string[] Proof6To8 = ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"];

    private static string Flip(string hex, int bit)
    {
        var bytes = Convert.FromHexString(hex);
        bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        return Convert.ToHexStringLower(bytes);
    }

    [Fact]
    public async Task Root_of_every_prefix_matches_the_published_roots()
    {
        using var dir = new TemporaryDirectory();
        for (var size = 0; size <= 8; size++)
        {
            var file = dir.File($"leaves{size}.txt");
            await File.WriteAllTextAsync(file, string.Concat(Leaves.Take(size).Select(l => l + "\n")));
            var result = await CliRun.RunAsync("ledger", "root", "--leaves", file);
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(Roots[size], result.Stdout.Trim());
        }

        var json = await CliRun.RunAsync("ledger", "root", "--leaves", dir.File("leaves8.txt"), "--json");
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(Roots[8], doc.RootElement.GetProperty("root").GetString());
        Assert.Equal(8, doc.RootElement.GetProperty("size").GetInt32());
    }

    [Fact]
    public async Task Unreadable_or_non_hex_leaves_are_usage_errors()
    {
        using var dir = new TemporaryDirectory();
        await File.WriteAllTextAsync(dir.File("bad.txt"), "00\nzz\n");
        var bad = await CliRun.RunAsync("ledger", "root", "--leaves", dir.File("bad.txt"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("line 2", bad.Stderr);
        Assert.Equal(2, (await CliRun.RunAsync("ledger", "root", "--leaves", dir.File("missing.txt"))).ExitCode);
    }

    private static Task<CliResult> Inclusion(long index, long size, string leaf, string root, IEnumerable<string> proof) =>
        CliRun.RunAsync("ledger", "verify-inclusion", "--index", index.ToString(System.Globalization.CultureInfo.InvariantCulture), "--size", size.ToString(System.Globalization.CultureInfo.InvariantCulture), "--leaf-hash", leaf, "--root", root, "--proof", string.Join(",", proof));

    private static Task<CliResult> Consistency(long size1, long size2, string root1, string root2, IEnumerable<string> proof) =>
        CliRun.RunAsync("ledger", "verify-consistency", "--size1", size1.ToString(System.Globalization.CultureInfo.InvariantCulture), "--size2", size2.ToString(System.Globalization.CultureInfo.InvariantCulture), "--root1", root1, "--root2", root2, "--proof", string.Join(",", proof));

    [Fact]
    public async Task Verify_inclusion_accepts_the_published_proof_and_rejects_its_mutations()
    {
        Assert.Equal(0, (await Inclusion(5, 8, Leaf5Hash, Roots[8], Proof5In8)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("ledger", "verify-inclusion", "--index", "0", "--size", "1", "--leaf-hash", Roots[1], "--root", Roots[1])).ExitCode);
        var mutations = new List<(string, Task<CliResult>)>
        {
            ("index - 1", Inclusion(4, 8, Leaf5Hash, Roots[8], Proof5In8)),
            ("index + 1", Inclusion(6, 8, Leaf5Hash, Roots[8], Proof5In8)),
            ("index out of range", Inclusion(8, 8, Leaf5Hash, Roots[8], Proof5In8)),
            ("size * 2", Inclusion(5, 16, Leaf5Hash, Roots[8], Proof5In8)),
            ("size / 2", Inclusion(5, 4, Leaf5Hash, Roots[8], Proof5In8)),
            ("wrong root", Inclusion(5, 8, Leaf5Hash, Roots[7], Proof5In8)),
            ("wrong leaf", Inclusion(5, 8, Roots[2], Roots[8], Proof5In8)),
            ("missing element", Inclusion(5, 8, Leaf5Hash, Roots[8], Proof5In8[..2])),
            ("extra element", Inclusion(5, 8, Leaf5Hash, Roots[8], [.. Proof5In8, Roots[8]])),
            ("preceding element", Inclusion(5, 8, Leaf5Hash, Roots[8], [Roots[8], .. Proof5In8])),
            ("empty proof", Inclusion(5, 8, Leaf5Hash, Roots[8], [])),
        };
        for (var element = 0; element < 3; element++)
        {
            foreach (var bit in new[] { 0, 3, 100, 255 })
            {
                var proof = Proof5In8.ToArray();
                proof[element] = Flip(proof[element], bit);
                mutations.Add(($"bit {bit} of element {element}", Inclusion(5, 8, Leaf5Hash, Roots[8], proof)));
            }
        }

        foreach (var (name, run) in mutations)
        {
            var result = await run;
            Assert.True(result.ExitCode == 1, $"{name}: exit {result.ExitCode} {result.Stderr}");
        }
    }

    [Fact]
    public async Task Verify_consistency_accepts_the_published_proof_and_rejects_its_mutations()
    {
        Assert.Equal(0, (await Consistency(6, 8, Roots[6], Roots[8], Proof6To8)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("ledger", "verify-consistency", "--size1", "8", "--size2", "8", "--root1", Roots[8], "--root2", Roots[8])).ExitCode);
        var mutations = new List<(string, Task<CliResult>)>
        {
            ("size1 - 1", Consistency(5, 8, Roots[6], Roots[8], Proof6To8)),
            ("size1 + 1", Consistency(7, 8, Roots[6], Roots[8], Proof6To8)),
            ("size2 * 2", Consistency(6, 16, Roots[6], Roots[8], Proof6To8)),
            ("size1 > size2", Consistency(9, 8, Roots[6], Roots[8], Proof6To8)),
            ("swapped roots", Consistency(6, 8, Roots[8], Roots[6], Proof6To8)),
            ("wrong root1", Consistency(6, 8, Roots[5], Roots[8], Proof6To8)),
            ("wrong root2", Consistency(6, 8, Roots[6], Roots[7], Proof6To8)),
            ("truncated", Consistency(6, 8, Roots[6], Roots[8], Proof6To8[..2])),
            ("extra", Consistency(6, 8, Roots[6], Roots[8], [.. Proof6To8, Roots[6]])),
            ("preceding", Consistency(6, 8, Roots[6], Roots[8], [Proof6To8[0], .. Proof6To8])),
            ("empty", Consistency(6, 8, Roots[6], Roots[8], [])),
        };
        for (var element = 0; element < 3; element++)
        {
            var proof = Proof6To8.ToArray();
            proof[element] = Flip(proof[element], 4);
            mutations.Add(($"bit 4 of element {element}", Consistency(6, 8, Roots[6], Roots[8], proof)));
        }

        foreach (var (name, run) in mutations)
        {
            var result = await run;
            Assert.True(result.ExitCode == 1, $"{name}: exit {result.ExitCode} {result.Stderr}");
        }
    }

    [Theory]
    [InlineData("--root", "xyz")]
    [InlineData("--root", "00")]
    [InlineData("--proof", "00,11")]
    [InlineData("--leaf-hash", "")]
    public async Task Malformed_hashes_are_usage_errors_with_one_line(string option, string value)
    {
        var args = new Dictionary<string, string> { ["--index"] = "5", ["--size"] = "8", ["--leaf-hash"] = Leaf5Hash, ["--root"] = Roots[8], ["--proof"] = string.Join(",", Proof5In8) };
        args[option] = value;
        var result = await CliRun.RunAsync(["ledger", "verify-inclusion", .. args.SelectMany(a => new[] { a.Key, a.Value })]);
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Equal(string.Empty, result.Stdout);
    }

    [Fact]
    public async Task Json_output_is_one_document_with_the_failure_kind()
    {
        var ok = await CliRun.RunAsync("ledger", "verify-inclusion", "--index", "5", "--size", "8", "--leaf-hash", Leaf5Hash, "--root", Roots[7], "--proof", string.Join(",", Proof5In8), "--json");
        Assert.Equal(1, ok.ExitCode);
        using var doc = JsonDocument.Parse(ok.Stdout);
        Assert.False(doc.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("root_mismatch", doc.RootElement.GetProperty("failure").GetString());
    }

    [Fact]
    public async Task Verify_bundle_checks_signature_quorum_and_inclusion_offline()
    {
        using var dir = new TemporaryDirectory();
        using var logKey = Ed25519NoteSigner.Generate("ledger.dk.konfido.example");
        using var es = Ed25519NoteSigner.Generate("witness.es.konfido.example");
        using var it = Ed25519NoteSigner.Generate("witness.it.konfido.example");
        await using var log = await MerkleLog.OpenAsync(new InMemoryLogStorage());
        foreach (var leaf in Leaves)
        {
            await log.AppendAsync(Convert.FromHexString(leaf));
        }

        var witnesses = new[] { es, it }.Select(k => new CheckpointWitness(k, [NoteVerifiers.Parse(logKey.VerifierKey)], new InMemoryWitnessStateStore(), "DK")).ToArray();
        Assert.True(WitnessQuorumPolicy.TryCreate(2, [es.CosignatureVerifierKey, it.CosignatureVerifierKey], out var policy, out _));
        var publisher = new CheckpointPublisher(log, new CheckpointSigner(logKey.Name, logKey), witnesses.Select(w => new WitnessEndpoint(w.Name, new LocalWitnessTransport(w))), policy);
        var published = await publisher.PublishAsync();
        var bundle = new ProofBundle(published.Checkpoint.ToString(), 3, await log.ReadEntryAsync(3), await log.ProveInclusionAsync(3, 8));
        await File.WriteAllTextAsync(dir.File("bundle.json"), bundle.ToJson());
        await File.WriteAllTextAsync(dir.File("forged.json"), (bundle with { Entry = [9, 9] }).ToJson());
        await File.WriteAllTextAsync(dir.File("junk.json"), "{\"format\":1}");

        string[] Args(string file, params string[] more) => ["ledger", "verify-bundle", dir.File(file), "--log-key", logKey.VerifierKey, "--witness-key", es.CosignatureVerifierKey, "--witness-key", it.CosignatureVerifierKey, .. more];
        var ok = await CliRun.RunAsync(Args("bundle.json", "--json"));
        Assert.Equal(0, ok.ExitCode);
        using (var doc = JsonDocument.Parse(ok.Stdout))
        {
            Assert.True(doc.RootElement.GetProperty("valid").GetBoolean());
            Assert.Equal(2, doc.RootElement.GetProperty("cosigners").GetArrayLength());
        }

        Assert.Equal(1, (await CliRun.RunAsync(Args("forged.json"))).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync(Args("junk.json"))).ExitCode);
        Assert.Equal(1, (await CliRun.RunAsync(["ledger", "verify-bundle", dir.File("bundle.json"), "--log-key", logKey.VerifierKey, "--witness-key", es.CosignatureVerifierKey, "--witness-key", logKey.CosignatureVerifierKey, "--quorum", "2"])).ExitCode);
    }

    /// <summary>
    /// The crash test: a child process (the CLI's hidden <c>ledger append-stress</c>) appends with 64
    /// concurrent writers and prints each append only once acknowledged durable; it is SIGKILLed at
    /// random moments (sometimes before it is even ready), then restarted on the same SQLite file.
    /// Every acknowledged entry must be present at its index, the stored tree must reopen (its nodes
    /// reproduce the stored root) and proofs must verify.
    /// </summary>
    [Fact]
    public async Task Sigkill_during_heavy_appends_loses_no_acknowledged_entry_and_never_corrupts_the_tree()
    {
        using var dir = new TemporaryDirectory("konfido-crash");
        var db = dir.File("ledger.db");
        var cli = Path.Combine(AppContext.BaseDirectory, "konfido.dll");
        var random = new Random(20261123);
        var acknowledged = new Dictionary<long, string>();
        var readySizes = new List<long>();
        const int Rounds = 50;
        for (var round = 0; round < Rounds; round++)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { cli, "ledger", "append-stress", "--db", db })
            {
                start.ArgumentList.Add(arg);
            }

            using var child = Process.Start(start)!;
            var lines = new List<string>();
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reader = Task.Run(async () =>
            {
                while (await child.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (lines)
                    {
                        lines.Add(line);
                    }

                    if (line.StartsWith("ready ", StringComparison.Ordinal))
                    {
                        ready.TrySetResult();
                    }
                }
            });
            var stderr = child.StandardError.ReadToEndAsync();
            if (round % 5 == 4)
            {
                // Kill at a random moment of start-up or recovery.
                await Task.Delay(random.Next(0, 300));
            }
            else
            {
                var waited = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(60)));
                Assert.True(waited == ready.Task, $"round {round}: the child never became ready: {(child.HasExited ? await stderr : "still running")}");
                await Task.Delay(random.Next(10, 400));
            }

            child.Kill(); // SIGKILL on Unix.
            await child.WaitForExitAsync();
            await reader;
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                if (parts is ["ready", var size])
                {
                    var stored = long.Parse(size, System.Globalization.CultureInfo.InvariantCulture);
                    // Nothing acknowledged before may be missing after a restart.
                    var highest = acknowledged.Count == 0 ? -1 : acknowledged.Keys.Max();
                    Assert.True(stored > highest, $"round {round}: restarted at size {stored} but index {highest} was acknowledged");
                    readySizes.Add(stored);
                }
                else if (parts is ["ack", var index, var hex] && hex.Length == 48)
                {
                    acknowledged.Add(long.Parse(index, System.Globalization.CultureInfo.InvariantCulture), hex);
                }
            }
        }

        Assert.True(acknowledged.Count > 1000, $"only {acknowledged.Count} appends were acknowledged");
        await using var storage = await SqliteLogStorage.OpenAsync(db);
        await using var log = await MerkleLog.OpenAsync(storage);
        var head = log.Head;
        Assert.True(head.Size > acknowledged.Keys.Max());

        // Every acknowledged entry is there, at its index; the tree over all stored entries is the stored root.
        var range = new CompactRange();
        var entries = new List<byte[]>();
        for (long i = 0; i < head.Size; i++)
        {
            var entry = await log.ReadEntryAsync(i);
            entries.Add(entry);
            range.Append(Rfc6962.HashLeaf(entry));
            if (acknowledged.TryGetValue(i, out var hex))
            {
                Assert.Equal(hex, Convert.ToHexStringLower(entry));
            }
        }

        Assert.Equal(head.Root, range.Root());
        foreach (var index in acknowledged.Keys.OrderBy(_ => random.Next()).Take(300))
        {
            var proof = await log.ProveInclusionAsync(index, head.Size);
            Assert.True(MerkleProof.VerifyInclusion(index, head.Size, Rfc6962.HashLeaf(entries[(int)index]), proof, head.Root).IsValid);
        }

        foreach (var size in readySizes.Distinct())
        {
            var proof = await log.ProveConsistencyAsync(size, head.Size);
            var root = await log.RootAtAsync(size);
            Assert.True(MerkleProof.VerifyConsistency(size, head.Size, proof, root, head.Root).IsValid);
        }
    }
}
