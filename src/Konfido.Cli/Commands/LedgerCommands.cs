using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Konfido.Ledger.Log;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Notes;
using Konfido.Ledger.Storage;
using Konfido.Ledger.Witnessing;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddLedger(RootCommand root, CliContext context)
    {
        var ledger = new Command("ledger", "Audit ledger: RFC 6962/9162 Merkle tree hashes and proofs, proof bundles.");
        ledger.Add(LedgerRoot(context));
        ledger.Add(LedgerVerifyInclusion(context));
        ledger.Add(LedgerVerifyConsistency(context));
        ledger.Add(LedgerVerifyBundle(context));
        ledger.Add(LedgerAppendStress(context));
        root.Add(ledger);
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON document on stdout." };

    private static Command LedgerRoot(CliContext context)
    {
        var leaves = new Option<string>("--leaves") { Description = "File with one hex-encoded leaf per line (an empty line is the empty leaf).", Required = true };
        var json = JsonOption();
        var command = new Command("root", "Prints the RFC 6962 Merkle tree hash of the leaves in FILE.") { leaves, json };
        command.SetAction(r =>
        {
            var path = r.GetValue(leaves)!;
            var text = CliContext.ReadText(path, "leaves file");
            var lines = text.Split('\n');
            // A final newline ends the last line; it does not start another leaf.
            var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
            var range = new CompactRange();
            for (var i = 0; i < count; i++)
            {
                var line = lines[i].TrimEnd('\r').Trim();
                byte[] data;
                try
                {
                    data = Convert.FromHexString(line);
                }
                catch (FormatException)
                {
                    throw new CliInputException($"{path}: line {i + 1} is not hex");
                }

                range.Append(Rfc6962.HashLeaf(data));
            }

            var root = range.Root().ToHex();
            if (r.GetValue(json))
            {
                context.WriteJson(new JsonObject { ["size"] = range.Size, ["root"] = root });
            }
            else
            {
                context.Out.WriteLine(root);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command LedgerVerifyInclusion(CliContext context)
    {
        var index = new Option<long>("--index") { Description = "The 0-based leaf index.", Required = true };
        var size = new Option<long>("--size") { Description = "The tree size.", Required = true };
        var leafHash = new Option<string>("--leaf-hash") { Description = "The leaf hash (hex).", Required = true };
        var root = new Option<string>("--root") { Description = "The root hash (hex).", Required = true };
        var proof = new Option<string>("--proof") { Description = "The audit path: comma-separated hex hashes, bottom-up." };
        var json = JsonOption();
        var command = new Command("verify-inclusion", "Exit 0 if the proof proves the leaf hash at the index in the tree of the size with the root, else 1.")
        {
            index, size, leafHash, root, proof, json,
        };
        command.SetAction(r =>
        {
            var i = NonNegative(r.GetValue(index), "--index");
            var n = NonNegative(r.GetValue(size), "--size");
            var result = MerkleProof.VerifyInclusion(i, n, Hash(r.GetValue(leafHash)!, "--leaf-hash"), ParseProof(r.GetValue(proof)), Hash(r.GetValue(root)!, "--root"));
            return Report(context, r.GetValue(json), result);
        });
        return command;
    }

    private static Command LedgerVerifyConsistency(CliContext context)
    {
        var size1 = new Option<long>("--size1") { Description = "The older tree size.", Required = true };
        var size2 = new Option<long>("--size2") { Description = "The newer tree size.", Required = true };
        var root1 = new Option<string>("--root1") { Description = "The older root hash (hex).", Required = true };
        var root2 = new Option<string>("--root2") { Description = "The newer root hash (hex).", Required = true };
        var proof = new Option<string>("--proof") { Description = "The consistency proof: comma-separated hex hashes." };
        var json = JsonOption();
        var command = new Command("verify-consistency", "Exit 0 if the proof shows the tree of size1 is a prefix of the tree of size2, else 1.")
        {
            size1, size2, root1, root2, proof, json,
        };
        command.SetAction(r =>
        {
            var m = NonNegative(r.GetValue(size1), "--size1");
            var n = NonNegative(r.GetValue(size2), "--size2");
            var result = MerkleProof.VerifyConsistency(m, n, ParseProof(r.GetValue(proof)), Hash(r.GetValue(root1)!, "--root1"), Hash(r.GetValue(root2)!, "--root2"));
            return Report(context, r.GetValue(json), result);
        });
        return command;
    }

    private static Command LedgerVerifyBundle(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "The proof bundle (JSON, konfido-proof-bundle/1)." };
        var logKey = new Option<string>("--log-key") { Description = "The log's verifier key (name+hash+base64).", Required = true };
        var witnessKeys = new Option<string[]>("--witness-key") { Description = "A witness's cosignature verifier key (repeatable).", AllowMultipleArgumentsPerToken = false };
        var quorum = new Option<int>("--quorum") { Description = "How many witnesses must have cosigned (default: all given)." };
        var json = JsonOption();
        var command = new Command("verify-bundle", "Verifies a proof bundle offline: log signature, witness quorum and the entry's inclusion. Exit 0 if it holds, else 1.")
        {
            file, logKey, witnessKeys, quorum, json,
        };
        command.SetAction(r =>
        {
            var path = r.GetValue(file)!;
            if (!ProofBundle.TryParse(CliContext.ReadText(path, "proof bundle"), out var bundle, out var error))
            {
                throw new CliInputException($"{path}: not a proof bundle: {error}");
            }

            if (!NoteVerifiers.TryParse(r.GetValue(logKey), out var log, out error))
            {
                throw new CliInputException($"--log-key: {error}");
            }

            var witnesses = r.GetValue(witnessKeys) ?? [];
            var k = r.GetValue(quorum);
            if (witnesses.Length == 0)
            {
                throw new CliInputException("--witness-key: at least one witness key is needed to check publication");
            }

            if (!WitnessQuorumPolicy.TryCreate(k == 0 ? witnesses.Length : k, witnesses, out var policy, out var errors))
            {
                throw new CliInputException($"witness policy: {string.Join("; ", errors)}");
            }

            var result = BundleVerification.Verify(bundle, log, policy);
            if (r.GetValue(json))
            {
                context.WriteJson(new JsonObject
                {
                    ["valid"] = result.IsValid,
                    ["failure"] = result.IsValid ? null : result.Failure.ToString(),
                    ["reason"] = result.Reason,
                    ["origin"] = result.Checkpoint?.Origin,
                    ["size"] = result.Checkpoint?.Size,
                    ["index"] = bundle.Index,
                    ["cosigners"] = new JsonArray((result.Quorum?.Cosigners ?? []).Select(c => (JsonNode)c).ToArray()),
                });
            }
            else
            {
                context.Err.WriteLine(result.IsValid
                    ? $"bundle valid: entry {bundle.Index} is in {result.Checkpoint!.Origin} at size {result.Checkpoint.Size}, cosigned by {string.Join(", ", result.Quorum!.Cosigners)}"
                    : $"bundle invalid ({result.Failure}): {result.Reason}");
            }

            return result.IsValid ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    // Hidden: the child process of the ledger crash test. Appends random entries as fast as it can
    // and prints "ack <index> <hex entry>" for each one only after its append was acknowledged durable.
    private static Command LedgerAppendStress(CliContext context)
    {
        var db = new Option<string>("--db") { Description = "The SQLite file.", Required = true };
        var writers = new Option<int>("--writers") { Description = "Concurrent appenders.", DefaultValueFactory = _ => 64 };
        var command = new Command("append-stress", "Appends until killed (crash-test helper).") { db, writers };
        command.Hidden = true;
        command.SetAction(async (r, ct) =>
        {
            await using var storage = await SqliteLogStorage.OpenAsync(r.GetValue(db)!, ct).ConfigureAwait(false);
            await using var log = await MerkleLog.OpenAsync(storage, cancellationToken: ct).ConfigureAwait(false);
            var gate = new Lock();
            lock (gate)
            {
                context.Out.WriteLine($"ready {log.Head.Size}");
                context.Out.Flush();
            }

            var tasks = Enumerable.Range(0, Math.Max(1, r.GetValue(writers))).Select(async _ =>
            {
                while (!ct.IsCancellationRequested)
                {
                    var entry = RandomNumberGenerator.GetBytes(24);
                    var index = await log.AppendAsync(entry, ct).ConfigureAwait(false);
                    lock (gate)
                    {
                        context.Out.WriteLine($"ack {index.ToString(CultureInfo.InvariantCulture)} {Convert.ToHexStringLower(entry)}");
                        context.Out.Flush();
                    }
                }
            }).ToArray();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static long NonNegative(long value, string option) =>
        value >= 0 ? value : throw new CliInputException($"{option} must not be negative ({value})");

    private static MerkleHash Hash(string hex, string option)
    {
        var bytes = CliContext.ParseHex(hex, option);
        return bytes.Length == MerkleHash.Size ? new MerkleHash(bytes) : throw new CliInputException($"{option} is {bytes.Length} bytes, not a 32-byte SHA-256 hash");
    }

    private static MerkleHash[] ParseProof(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var parts = text.Split(',');
        var hashes = new MerkleHash[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            hashes[i] = Hash(parts[i].Trim(), $"--proof element {i + 1}");
        }

        return hashes;
    }

    private static int Report(CliContext context, bool json, ProofVerification result)
    {
        if (json)
        {
            context.WriteJson(new JsonObject
            {
                ["valid"] = result.IsValid,
                ["failure"] = result.IsValid ? null : result.Failure == ProofFailure.RootMismatch ? "root_mismatch" : "malformed_proof",
                ["reason"] = result.Reason,
            });
        }
        else
        {
            context.Err.WriteLine(result.IsValid ? "proof valid" : $"proof invalid: {result}");
        }

        return result.IsValid ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }
}
