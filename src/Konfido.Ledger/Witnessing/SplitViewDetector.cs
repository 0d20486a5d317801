using Konfido.Core;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Notes;

namespace Konfido.Ledger.Witnessing;

/// <summary>Fetches a consistency proof between two sizes of a log (from the log itself, over the network).</summary>
/// <param name="origin">The log origin.</param>
/// <param name="size1">The smaller size.</param>
/// <param name="size2">The larger size.</param>
/// <param name="cancellationToken">Cancels the fetch.</param>
public delegate ValueTask<IReadOnlyList<MerkleHash>?> ConsistencyProofSource(string origin, long size1, long size2, CancellationToken cancellationToken);

/// <summary>
/// Detects split views from gossiped checkpoints. It keeps, per log, every log-signed checkpoint it
/// has seen; two of the same size with different roots, or two of different sizes that no consistency
/// proof connects, are a split view and raise a <see cref="EventCategories.Ledger"/> security event
/// (action <c>split-view</c>) carrying both signed checkpoints. Checkpoints whose log signature does not
/// verify are ignored (no unauthenticated alarms). Thread-safe.
/// </summary>
public sealed class SplitViewDetector
{
    /// <summary>How many distinct sizes per log the detector remembers.</summary>
    public const int MaxSizesPerLog = 4096;

    private readonly Dictionary<string, INoteVerifier[]> _logs;
    private readonly ISecurityEventSink _events;
    private readonly string _node;
    private readonly ConsistencyProofSource? _proofs;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<long, List<(MerkleHash Root, string Note)>>> _seen = new(StringComparer.Ordinal);

    /// <summary>Creates the detector.</summary>
    /// <param name="trustedLogKeys">The log keys (each named by its origin).</param>
    /// <param name="events">Where split-view events go.</param>
    /// <param name="node">The country code of this node (for events).</param>
    /// <param name="proofs">Fetches consistency proofs to check pairs of different sizes, or null to check equal sizes only.</param>
    public SplitViewDetector(IEnumerable<INoteVerifier> trustedLogKeys, ISecurityEventSink events, string node, ConsistencyProofSource? proofs = null)
    {
        ArgumentNullException.ThrowIfNull(trustedLogKeys);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        _logs = trustedLogKeys.GroupBy(k => k.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        _events = events;
        _node = node;
        _proofs = proofs;
    }

    /// <summary>
    /// Records a gossiped signed checkpoint from <paramref name="source"/> and returns the split-view
    /// evidence it revealed (also published as events); empty if none or if the checkpoint is not
    /// validly signed by a trusted log.
    /// </summary>
    /// <param name="signedCheckpoint">The signed checkpoint note.</param>
    /// <param name="source">Who gossiped it (for the event).</param>
    /// <param name="cancellationToken">Cancels proof fetches and event publishing.</param>
    public async ValueTask<IReadOnlyList<ForkEvidence>> ObserveAsync(string signedCheckpoint, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signedCheckpoint);
        if (!SignedNote.TryParse(signedCheckpoint, out var note, out _) || !Checkpoint.TryParse(note.Text, out var checkpoint, out _)
            || !_logs.TryGetValue(checkpoint.Origin, out var keys) || !NoteVerification.Open(note, keys).IsValid)
        {
            return [];
        }

        List<(long Size, MerkleHash Root, string Note)> neighbours = [];
        var evidence = new List<ForkEvidence>();
        lock (_gate)
        {
            if (!_seen.TryGetValue(checkpoint.Origin, out var bySize))
            {
                bySize = [];
                _seen[checkpoint.Origin] = bySize;
            }

            if (!bySize.TryGetValue(checkpoint.Size, out var atSize))
            {
                atSize = [];
                bySize[checkpoint.Size] = atSize;
            }

            foreach (var other in atSize)
            {
                if (other.Root != checkpoint.Root)
                {
                    evidence.Add(new ForkEvidence(checkpoint.Origin, other.Note, signedCheckpoint, $"two checkpoints of size {checkpoint.Size} with different roots"));
                }
            }

            if (atSize.All(o => o.Root != checkpoint.Root))
            {
                atSize.Add((checkpoint.Root, signedCheckpoint));
                // Bounded memory: keep the most recent sizes (a fork below them is still caught by the
                // consistency check against the smallest kept size).
                while (bySize.Count > MaxSizesPerLog)
                {
                    bySize.Remove(bySize.Keys.First());
                }

                // The nearest smaller and larger sizes are the pairs worth a consistency check.
                var lower = bySize.Keys.Where(s => s < checkpoint.Size).DefaultIfEmpty(-1).Max();
                var upper = bySize.Keys.Where(s => s > checkpoint.Size).DefaultIfEmpty(-1).Min();
                foreach (var size in new[] { lower, upper }.Where(s => s >= 0))
                {
                    neighbours.AddRange(bySize[size].Select(o => (size, o.Root, o.Note)));
                }
            }
        }

        if (_proofs is not null)
        {
            foreach (var other in neighbours)
            {
                var (size1, root1, note1, size2, root2, note2) = other.Size < checkpoint.Size
                    ? (other.Size, other.Root, other.Note, checkpoint.Size, checkpoint.Root, signedCheckpoint)
                    : (checkpoint.Size, checkpoint.Root, signedCheckpoint, other.Size, other.Root, other.Note);
                var proof = await _proofs(checkpoint.Origin, size1, size2, cancellationToken).ConfigureAwait(false);
                var result = proof is null
                    ? ProofVerification.Malformed("the log gave no consistency proof")
                    : MerkleProof.VerifyConsistency(size1, size2, proof.ToArray(), root1, root2);
                if (!result.IsValid)
                {
                    evidence.Add(new ForkEvidence(checkpoint.Origin, note1, note2, $"checkpoints of sizes {size1} and {size2} are not consistent: {result}"));
                }
            }
        }

        foreach (var item in evidence)
        {
            await _events.PublishAsync(ToEvent(item, _node, source), cancellationToken).ConfigureAwait(false);
        }

        return evidence;
    }

    /// <summary>
    /// Checks a pair of signed checkpoints of one log with a consistency proof between them (e.g. as
    /// gossiped together): evidence if they contradict each other, null if consistent.
    /// </summary>
    /// <param name="first">One signed checkpoint.</param>
    /// <param name="second">The other.</param>
    /// <param name="proof">The consistency proof from the smaller to the larger.</param>
    /// <param name="firstNote">The signed note of <paramref name="first"/> (for the evidence).</param>
    /// <param name="secondNote">The signed note of <paramref name="second"/> (for the evidence).</param>
    public static ForkEvidence? CheckPair(Checkpoint first, Checkpoint second, IReadOnlyList<MerkleHash> proof, string firstNote, string secondNote)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentNullException.ThrowIfNull(proof);
        if (first.Origin != second.Origin)
        {
            throw new ArgumentException("The checkpoints are of different logs.", nameof(second));
        }

        var (a, b) = first.Size <= second.Size ? (first, second) : (second, first);
        var result = MerkleProof.VerifyConsistency(a.Size, b.Size, proof.ToArray(), a.Root, b.Root);
        return result.IsValid ? null : new ForkEvidence(first.Origin, firstNote, secondNote, $"checkpoints of sizes {a.Size} and {b.Size} are not consistent: {result}");
    }

    /// <summary>The security event that reports <paramref name="evidence"/>.</summary>
    /// <param name="evidence">The fork evidence.</param>
    /// <param name="node">The reporting node's country code.</param>
    /// <param name="source">Who showed the conflicting checkpoint.</param>
    public static SecurityEvent ToEvent(ForkEvidence evidence, string node, string source)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        return new SecurityEvent
        {
            Node = node,
            Category = EventCategories.Ledger,
            Action = "split-view",
            Outcome = EventOutcome.Failure,
            Actor = source,
            Reason = $"log {evidence.Origin} showed a split view: {evidence.Reason}",
            Attributes = new Dictionary<string, string>
            {
                ["ledger.origin"] = evidence.Origin,
                ["ledger.checkpoint.first"] = evidence.Earlier,
                ["ledger.checkpoint.second"] = evidence.Later,
            },
        };
    }
}
