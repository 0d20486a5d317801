using Konfido.Core;
using Konfido.Ledger.Log;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Notes;
using Konfido.Ledger.Storage;
using Konfido.Ledger.Witnessing;

namespace Konfido.Ledger.Tests;

/// <summary>Witnessing, proof of publication, split views and forks.</summary>
public sealed class WitnessTests : IDisposable
{
    private const string Origin = "ledger.dk.konfido.example";
    private readonly Ed25519NoteSigner _logKey = Ed25519NoteSigner.Generate(Origin);
    private readonly Ed25519NoteSigner _esKey = Ed25519NoteSigner.Generate("witness.es.konfido.example");
    private readonly Ed25519NoteSigner _itKey = Ed25519NoteSigner.Generate("witness.it.konfido.example");

    public void Dispose()
    {
        _logKey.Dispose();
        _esKey.Dispose();
        _itKey.Dispose();
    }

    private CheckpointWitness Witness(Ed25519NoteSigner key, InMemorySecurityEventSink? events = null, IWitnessStateStore? store = null) =>
        new(key, [NoteVerifiers.Parse(_logKey.VerifierKey)], store ?? new InMemoryWitnessStateStore(), "ES", events);

    private static async Task<MerkleLog> LogWithAsync(params string[] entries)
    {
        var log = await MerkleLog.OpenAsync(new InMemoryLogStorage());
        foreach (var entry in entries)
        {
            await log.AppendAsync(System.Text.Encoding.UTF8.GetBytes(entry));
        }

        return log;
    }

    private WitnessQuorumPolicy Policy(int k)
    {
        Assert.True(WitnessQuorumPolicy.TryCreate(k, [_esKey.CosignatureVerifierKey, _itKey.CosignatureVerifierKey], out var policy, out var errors), string.Join("; ", errors));
        return policy;
    }

    [Fact]
    public async Task Publisher_collects_a_quorum_and_the_bundle_verifies_offline_with_keys_only()
    {
        await using var log = await LogWithAsync("login", "discovery", "ips-retrieve");
        var signer = new CheckpointSigner(Origin, _logKey, MlDsa44Cosigner.Generate(Origin + "/pq"));
        var witnesses = new[] { Witness(_esKey), Witness(_itKey) };
        var publisher = new CheckpointPublisher(log, signer, witnesses.Select(w => new WitnessEndpoint(w.Name, new LocalWitnessTransport(w))), Policy(2));
        var first = await publisher.PublishAsync();
        Assert.True(first.Published, string.Join("; ", first.Refusals));

        // Grow the log and publish again: the witnesses check consistency from size 3.
        await log.AppendAsync("dispense"u8.ToArray());
        var second = await publisher.PublishAsync();
        Assert.True(second.Published, string.Join("; ", second.Refusals));
        Assert.Equal(["witness.es.konfido.example", "witness.it.konfido.example"], second.Quorum.Cosigners);

        var proof = await log.ProveInclusionAsync(1, 4);
        var bundle = new ProofBundle(second.Checkpoint.ToString(), 1, await log.ReadEntryAsync(1), proof);
        Assert.True(ProofBundle.TryParse(bundle.ToJson(), out var parsed, out var error), error);
        var verification = BundleVerification.Verify(parsed, NoteVerifiers.Parse(_logKey.VerifierKey), Policy(2));
        Assert.True(verification.IsValid, verification.Reason);

        // Tampering with any part is caught, each with its own failure.
        Assert.Equal(BundleFailure.Inclusion, BundleVerification.Verify(parsed with { Entry = "forged"u8.ToArray() }, NoteVerifiers.Parse(_logKey.VerifierKey), Policy(2)).Failure);
        Assert.Equal(BundleFailure.Inclusion, BundleVerification.Verify(parsed with { Index = 2 }, NoteVerifiers.Parse(_logKey.VerifierKey), Policy(2)).Failure);
        using var stranger = Ed25519NoteSigner.Generate(Origin);
        Assert.Equal(BundleFailure.LogSignature, BundleVerification.Verify(parsed, NoteVerifiers.Parse(stranger.VerifierKey), Policy(2)).Failure);
        var onlyLog = signer.Sign(log.Head).ToString();
        Assert.Equal(BundleFailure.Quorum, BundleVerification.Verify(parsed with { SignedCheckpoint = onlyLog }, NoteVerifiers.Parse(_logKey.VerifierKey), Policy(1)).Failure);
    }

    [Fact]
    public async Task Witness_refuses_unknown_logs_bad_signatures_rollback_and_bad_proofs()
    {
        await using var log = await LogWithAsync("a", "b", "c", "d", "e");
        var signer = new CheckpointSigner(Origin, _logKey);
        var witness = Witness(_esKey);
        var five = signer.Sign(log.Head).ToString();
        Assert.Equal(AddCheckpointStatus.Cosigned, (await witness.AddCheckpointAsync(new AddCheckpointRequest(0, [], five))).Status);

        // Rollback: an older checkpoint (size 3) claiming old size 5 is a bad request; with old size 0 a conflict.
        var three = signer.Sign(new TreeHead(3, await log.RootAtAsync(3))).ToString();
        Assert.Equal(AddCheckpointStatus.BadRequest, (await witness.AddCheckpointAsync(new AddCheckpointRequest(5, [], three))).Status);
        var conflict = await witness.AddCheckpointAsync(new AddCheckpointRequest(0, [], three));
        Assert.Equal(AddCheckpointStatus.Conflict, conflict.Status);
        Assert.Equal("5\n", conflict.ToBody());
        Assert.Equal("text/x.tlog.size", conflict.ContentType);

        await log.AppendAsync("f"u8.ToArray());
        var six = signer.Sign(log.Head).ToString();
        var proof = await log.ProveConsistencyAsync(5, 6);
        var bad = proof.ToArray();
        bad[0] = Mutations.FlipBit(bad[0], 0);
        Assert.Equal(AddCheckpointStatus.InconsistentProof, (await witness.AddCheckpointAsync(new AddCheckpointRequest(5, bad, six))).Status);
        using var stranger = Ed25519NoteSigner.Generate(Origin);
        var forged = new CheckpointSigner(Origin, stranger).Sign(log.Head).ToString();
        Assert.Equal(AddCheckpointStatus.Forbidden, (await witness.AddCheckpointAsync(new AddCheckpointRequest(5, proof, forged))).Status);
        using var otherLog = Ed25519NoteSigner.Generate("ledger.xx.example");
        Assert.Equal(AddCheckpointStatus.UnknownLog, (await witness.AddCheckpointAsync(new AddCheckpointRequest(5, proof, new CheckpointSigner("ledger.xx.example", otherLog).Sign(log.Head).ToString()))).Status);
        Assert.Equal(AddCheckpointStatus.BadRequest, (await witness.AddCheckpointAsync("old 05\n\n" + six)).Status);

        // The good request over the wire format is cosigned, and a retry of it too (idempotent).
        var body = new AddCheckpointRequest(5, proof, six).ToBody();
        Assert.Equal(AddCheckpointStatus.Cosigned, (await witness.AddCheckpointAsync(body)).Status);
        Assert.Equal(AddCheckpointStatus.Cosigned, (await witness.AddCheckpointAsync(new AddCheckpointRequest(6, [], six))).Status);
    }

    [Fact]
    public async Task A_log_showing_different_histories_to_two_witnesses_is_caught()
    {
        // The log's operator keeps two forks of the same log under the same key.
        await using var honest = await LogWithAsync("login", "retrieve", "dispense");
        await using var rewritten = await LogWithAsync("login", "retrieve-other-patient", "dispense");
        var signer = new CheckpointSigner(Origin, _logKey);
        var esEvents = new InMemorySecurityEventSink();
        var itEvents = new InMemorySecurityEventSink();
        var es = Witness(_esKey, esEvents);
        var it = Witness(_itKey, itEvents);
        var honestCheckpoint = signer.Sign(honest.Head).ToString();
        var forkCheckpoint = signer.Sign(rewritten.Head).ToString();

        // Each witness alone sees a consistent history and cosigns its view.
        var esResponse = await es.AddCheckpointAsync(new AddCheckpointRequest(0, [], honestCheckpoint));
        var itResponse = await it.AddCheckpointAsync(new AddCheckpointRequest(0, [], forkCheckpoint));
        Assert.Equal(AddCheckpointStatus.Cosigned, esResponse.Status);
        Assert.Equal(AddCheckpointStatus.Cosigned, itResponse.Status);

        // Gossip: ES's node detector receives both cosigned checkpoints and raises a split-view event.
        var gossipEvents = new InMemorySecurityEventSink();
        var detector = new SplitViewDetector([NoteVerifiers.Parse(_logKey.VerifierKey)], gossipEvents, "ES");
        Assert.Empty(await detector.ObserveAsync(honestCheckpoint, "witness.es.konfido.example"));
        var evidence = Assert.Single(await detector.ObserveAsync(forkCheckpoint, "witness.it.konfido.example"));
        var alarm = Assert.Single(gossipEvents.Events);
        Assert.Equal(EventCategories.Ledger, alarm.Category);
        Assert.Equal("split-view", alarm.Action);
        Assert.Equal(honestCheckpoint, alarm.Attributes["ledger.checkpoint.first"]);
        Assert.Equal(forkCheckpoint, alarm.Attributes["ledger.checkpoint.second"]);
        // The evidence is self-verifying: both notes carry valid log signatures.
        Assert.True(NoteVerification.Open(evidence.Earlier, [NoteVerifiers.Parse(_logKey.VerifierKey)]).IsValid);
        Assert.True(NoteVerification.Open(evidence.Later, [NoteVerifiers.Parse(_logKey.VerifierKey)]).IsValid);

        // And when the fork is shown to a witness that already cosigned the other branch, it refuses with evidence.
        var refused = await es.AddCheckpointAsync(new AddCheckpointRequest(3, [], forkCheckpoint));
        Assert.Equal(AddCheckpointStatus.Conflict, refused.Status);
        Assert.NotNull(refused.Evidence);
        Assert.Equal("split-view", Assert.Single(esEvents.Events).Action);

        // The forked branch cannot be extended consistently from the honest view either.
        await rewritten.AppendAsync("more"u8.ToArray());
        var grown = signer.Sign(rewritten.Head).ToString();
        var proof = await rewritten.ProveConsistencyAsync(3, 4);
        var inconsistent = await es.AddCheckpointAsync(new AddCheckpointRequest(3, proof, grown));
        Assert.Equal(AddCheckpointStatus.InconsistentProof, inconsistent.Status);
        Assert.NotNull(inconsistent.Evidence);
    }

    [Fact]
    public async Task Split_view_detector_checks_pairs_of_different_sizes_with_the_logs_proofs()
    {
        await using var honest = await LogWithAsync("a", "b", "c", "d");
        await using var fork = await LogWithAsync("a", "x", "c", "d", "e", "f");
        var signer = new CheckpointSigner(Origin, _logKey);
        var events = new InMemorySecurityEventSink();
        // The log serves proofs from the fork; they cannot connect to the honest checkpoint.
        var detector = new SplitViewDetector([NoteVerifiers.Parse(_logKey.VerifierKey)], events, "IT",
            async (origin, size1, size2, ct) => await fork.ProveConsistencyAsync(size1, size2, ct));
        Assert.Empty(await detector.ObserveAsync(signer.Sign(honest.Head).ToString(), "DK"));
        Assert.Single(await detector.ObserveAsync(signer.Sign(fork.Head).ToString(), "DK"));
        Assert.Single(events.Events);

        // Unsigned or foreign-signed gossip is ignored.
        using var stranger = Ed25519NoteSigner.Generate(Origin);
        Assert.Empty(await detector.ObserveAsync(new CheckpointSigner(Origin, stranger).Sign(new TreeHead(4, MerkleHash.EmptyTree)).ToString(), "??"));
        Assert.Single(events.Events);
    }

    [Fact]
    public void Quorum_policy_explains_every_rejection()
    {
        Assert.False(WitnessQuorumPolicy.TryCreate(3, [_esKey.CosignatureVerifierKey, _itKey.CosignatureVerifierKey], out _, out var errors));
        Assert.Contains(errors, e => e.Contains("threshold", StringComparison.Ordinal));
        Assert.False(WitnessQuorumPolicy.TryCreate(1, [_esKey.VerifierKey, "garbage"], out _, out errors));
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public async Task Ledger_event_sink_pseudonymises_patients_and_acknowledges_durably()
    {
        await using var log = await LogWithAsync();
        using var pseudonymiser = new PatientPseudonymiser(new byte[32]);
        var sink = new LedgerEventSink(log, pseudonymiser);
        var securityEvent = new SecurityEvent { Node = "DK", Category = EventCategories.Exchange, Action = "ips-retrieve", PatientId = "DK-1234567890", Attributes = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" } };
        await sink.PublishAsync(securityEvent);
        Assert.Equal(1, log.Head.Size);
        var entry = System.Text.Encoding.UTF8.GetString(await log.ReadEntryAsync(0));
        Assert.DoesNotContain("1234567890", entry, StringComparison.Ordinal);
        Assert.Contains(pseudonymiser.Pseudonymise("DK-1234567890"), entry, StringComparison.Ordinal);
        Assert.Contains("\"attributes\":{\"a\":\"1\",\"b\":\"2\"}", entry, StringComparison.Ordinal);
        Assert.Equal(SecurityEventEncoding.Encode(securityEvent, pseudonymiser), await log.ReadEntryAsync(0));
        using var otherFederation = new PatientPseudonymiser(Enumerable.Repeat((byte)1, 32).ToArray());
        Assert.NotEqual(pseudonymiser.Pseudonymise("DK-1"), otherFederation.Pseudonymise("DK-1"));
    }

    [Fact]
    public async Task Local_anchor_receipts_verify_for_their_checkpoint_only()
    {
        using var anchor = new LocalCheckpointAnchor();
        var checkpoint = new Checkpoint(Origin, 3, Rfc6962.HashLeaf([3]));
        var receipt = await anchor.AnchorAsync(checkpoint);
        Assert.True(anchor.Verify(receipt, checkpoint));
        Assert.False(anchor.Verify(receipt, new Checkpoint(Origin, 4, Rfc6962.HashLeaf([3]))));
        Assert.False(anchor.Verify(receipt with { Time = receipt.Time.AddSeconds(1) }, checkpoint));
    }
}
