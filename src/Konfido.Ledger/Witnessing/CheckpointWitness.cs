using System.Text;
using Konfido.Core;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Notes;

namespace Konfido.Ledger.Witnessing;

/// <summary>
/// A C2SP tlog-witness: checks a log's checkpoint signature and the consistency proof from the last
/// size it cosigned, persists the new size and root atomically (compare-and-swap) and then cosigns
/// (cosignature/v1, and ML-DSA-44 if configured). It refuses rollbacks and forks, and reports a fork
/// (same size with another root, or a proof that does not verify from the cosigned root) as a
/// <see cref="EventCategories.Ledger"/> security event carrying both signed checkpoints.
/// </summary>
public sealed class CheckpointWitness
{
    private readonly INoteSigner[] _cosigners;
    private readonly Dictionary<string, INoteVerifier[]> _logs;
    private readonly IWitnessStateStore _store;
    private readonly ISecurityEventSink? _events;
    private readonly string _node;

    /// <summary>Creates the witness.</summary>
    /// <param name="key">The witness's Ed25519 key (its name is the witness name).</param>
    /// <param name="trustedLogKeys">The log keys it witnesses; each key's name is its log's origin.</param>
    /// <param name="store">Its durable state.</param>
    /// <param name="node">The country code of the node the witness runs on (for events).</param>
    /// <param name="events">Where fork and refusal events go, or null.</param>
    /// <param name="time">The clock for cosignature timestamps, or null for the system clock.</param>
    /// <param name="postQuantum">An optional ML-DSA-44 cosigner that cosigns alongside.</param>
    public CheckpointWitness(Ed25519NoteSigner key, IEnumerable<INoteVerifier> trustedLogKeys, IWitnessStateStore store, string node, ISecurityEventSink? events = null, TimeProvider? time = null, MlDsa44Cosigner? postQuantum = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(trustedLogKeys);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        Name = key.Name;
        CosignatureVerifierKey = key.CosignatureVerifierKey;
        var cosigner = key.AsCosigner(time);
        _cosigners = postQuantum is null ? [cosigner] : [cosigner, postQuantum];
        _logs = trustedLogKeys.GroupBy(k => k.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        _store = store;
        _events = events;
        _node = node;
    }

    /// <summary>The witness name.</summary>
    public string Name { get; }

    /// <summary>The verifier key (type 0x04) that checks this witness's cosignatures.</summary>
    public string CosignatureVerifierKey { get; }

    /// <summary>Handles an add-checkpoint request body (see <see cref="AddCheckpointRequest"/>).</summary>
    /// <param name="body">The request body.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public ValueTask<AddCheckpointResponse> AddCheckpointAsync(string body, CancellationToken cancellationToken = default) =>
        AddCheckpointRequest.TryParse(body, out var request, out var error)
            ? AddCheckpointAsync(request, cancellationToken)
            : ValueTask.FromResult(Refuse(AddCheckpointStatus.BadRequest, error));

    /// <summary>Handles an add-checkpoint request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async ValueTask<AddCheckpointResponse> AddCheckpointAsync(AddCheckpointRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!SignedNote.TryParse(request.SignedCheckpoint, out var note, out var error) || !Checkpoint.TryParse(note.Text, out var checkpoint, out error))
        {
            return Refuse(AddCheckpointStatus.BadRequest, $"malformed checkpoint: {error}");
        }

        if (!_logs.TryGetValue(checkpoint.Origin, out var logKeys))
        {
            return Refuse(AddCheckpointStatus.UnknownLog, $"unknown log origin '{checkpoint.Origin}'");
        }

        var verification = NoteVerification.Open(note, logKeys);
        if (!verification.IsValid)
        {
            return Refuse(AddCheckpointStatus.Forbidden, $"log signature: {verification.Reason}");
        }

        if (request.OldSize > checkpoint.Size)
        {
            return Refuse(AddCheckpointStatus.BadRequest, $"old size {request.OldSize} is above the checkpoint size {checkpoint.Size}");
        }

        var current = await _store.GetAsync(checkpoint.Origin, cancellationToken).ConfigureAwait(false);
        var latest = current?.Size ?? 0;
        if (request.OldSize != latest)
        {
            return new AddCheckpointResponse(AddCheckpointStatus.Conflict, [], latest, $"the latest cosigned size is {latest}", null);
        }

        if (current is not null && checkpoint.Size == current.Size)
        {
            if (checkpoint.Root != current.Root)
            {
                return await ForkAsync(checkpoint.Origin, current.SignedCheckpoint, request.SignedCheckpoint, $"two checkpoints of size {checkpoint.Size} with different roots", AddCheckpointStatus.Conflict, cancellationToken).ConfigureAwait(false);
            }

            // The same checkpoint again (e.g. a retry after a lost response): cosign again.
            return Cosign(note);
        }

        if (current is null || request.OldSize == 0)
        {
            if (request.Proof.Count != 0)
            {
                return Refuse(AddCheckpointStatus.InconsistentProof, "the proof must be empty from size 0");
            }
        }
        else
        {
            var proof = request.Proof.ToArray();
            var consistency = MerkleProof.VerifyConsistency(current.Size, checkpoint.Size, proof, current.Root, checkpoint.Root);
            if (!consistency.IsValid)
            {
                return await ForkAsync(checkpoint.Origin, current.SignedCheckpoint, request.SignedCheckpoint, $"no valid consistency proof from size {current.Size} to {checkpoint.Size}: {consistency}", AddCheckpointStatus.InconsistentProof, cancellationToken).ConfigureAwait(false);
            }
        }

        var next = new WitnessedCheckpoint(checkpoint.Size, checkpoint.Root, request.SignedCheckpoint);
        if (!await _store.TryAdvanceAsync(checkpoint.Origin, latest, next, cancellationToken).ConfigureAwait(false))
        {
            // Another request advanced the state between our read and write.
            var now = await _store.GetAsync(checkpoint.Origin, cancellationToken).ConfigureAwait(false);
            return new AddCheckpointResponse(AddCheckpointStatus.Conflict, [], now?.Size ?? 0, "the cosigned size changed concurrently", null);
        }

        return Cosign(note);
    }

    private AddCheckpointResponse Cosign(SignedNote note)
    {
        var text = Encoding.UTF8.GetBytes(note.Text);
        var lines = _cosigners.Select(c => new NoteSignature(c.Name, c.KeyId, c.Sign(text)).ToLine()).ToArray();
        return new AddCheckpointResponse(AddCheckpointStatus.Cosigned, lines, null, null, null);
    }

    private static AddCheckpointResponse Refuse(AddCheckpointStatus status, string reason) => new(status, [], null, reason, null);

    private async ValueTask<AddCheckpointResponse> ForkAsync(string origin, string earlier, string later, string reason, AddCheckpointStatus status, CancellationToken cancellationToken)
    {
        var evidence = new ForkEvidence(origin, earlier, later, reason);
        if (_events is not null)
        {
            await _events.PublishAsync(SplitViewDetector.ToEvent(evidence, _node, $"witness:{Name}"), cancellationToken).ConfigureAwait(false);
        }

        return new AddCheckpointResponse(status, [], null, reason, evidence);
    }
}
