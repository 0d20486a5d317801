using Konfido.Core;
using Konfido.Ledger.Log;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Notes;
using Konfido.Ledger.Storage;
using Konfido.Ledger.Witnessing;
using Konfido.Testing;

namespace Konfido.Ledger.Tests.Examples;

/// <summary>
/// Example 1, end to end: DK's node logs security events durably in SQLite, ES and IT witness its
/// checkpoint, and an auditor checks a proof bundle with nothing but the three public keys.
/// </summary>
public sealed class Example01_PublishAndAudit
{
    [Fact]
    public async Task Run()
    {
        using var dir = new TemporaryDirectory();

        // 1. The log, its append path for security events, and its checkpoint key.
        await using var storage = await SqliteLogStorage.OpenAsync(dir.File("ledger.db"));
        await using var log = await MerkleLog.OpenAsync(storage);
        using var pseudonymiser = new PatientPseudonymiser(new byte[32]);
        var ledger = new LedgerEventSink(log, pseudonymiser);
        using var logKey = Ed25519NoteSigner.Generate("ledger.dk.konfido.example");
        var signer = new CheckpointSigner(logKey.Name, logKey);

        // 2. Events are acknowledged once durable.
        await ledger.PublishAsync(new SecurityEvent { Node = "DK", Category = EventCategories.Identity, Action = "eid-login", Actor = "es-doctor-1" });
        var index = await ledger.AppendAsync(new SecurityEvent { Node = "DK", Category = EventCategories.Exchange, Action = "ips-retrieve", PatientId = "DK-0101701234", SourceCountry = "ES", TargetCountry = "DK" });

        // 3. The other countries witness the checkpoint; two of two must cosign.
        using var es = Ed25519NoteSigner.Generate("witness.es.konfido.example");
        using var it = Ed25519NoteSigner.Generate("witness.it.konfido.example");
        var witnesses = new[] { es, it }.Select(k => new CheckpointWitness(k, [signer.Verifier], new InMemoryWitnessStateStore(), k == es ? "ES" : "IT")).ToArray();
        Assert.True(WitnessQuorumPolicy.TryCreate(2, [es.CosignatureVerifierKey, it.CosignatureVerifierKey], out var policy, out _));
        var publisher = new CheckpointPublisher(log, signer, witnesses.Select(w => new WitnessEndpoint(w.Name, new LocalWitnessTransport(w))), policy);
        var publication = await publisher.PublishAsync();
        Assert.True(publication.Published);

        // 4. A proof bundle for the retrieval, checked offline with the keys only.
        var size = Checkpoint.TryParse(publication.Checkpoint.Text, out var checkpoint, out _) ? checkpoint.Size : 0;
        var bundle = new ProofBundle(publication.Checkpoint.ToString(), index, await log.ReadEntryAsync(index), await log.ProveInclusionAsync(index, size));
        Assert.True(ProofBundle.TryParse(bundle.ToJson(), out var received, out _));
        var audit = BundleVerification.Verify(received, NoteVerifiers.Parse(logKey.VerifierKey), policy);
        Assert.True(audit.IsValid, audit.Reason);
        Assert.Equal(2, audit.Quorum!.Cosigners.Count);
        Assert.True(MerkleProof.VerifyInclusion(index, size, Rfc6962.HashLeaf(received.Entry), received.Proof.ToArray(), checkpoint!.Root).IsValid);
    }
}
