using Konfido.Ledger.Log;
using Konfido.Ledger.Notes;

namespace Konfido.Ledger.Witnessing;

/// <summary>
/// Carries add-checkpoint requests to one witness. The node implements it over the federation's mutual
/// TLS (POST &lt;witness&gt;/add-checkpoint); <see cref="LocalWitnessTransport"/> calls an in-process witness.
/// </summary>
public interface IWitnessTransport
{
    /// <summary>Sends an add-checkpoint request body and returns the witness's response.</summary>
    /// <param name="body">The request body.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<AddCheckpointResponse> AddCheckpointAsync(string body, CancellationToken cancellationToken = default);
}

/// <summary>A transport to a witness in the same process (tests, demo, a node witnessing itself).</summary>
/// <param name="witness">The witness.</param>
public sealed class LocalWitnessTransport(CheckpointWitness witness) : IWitnessTransport
{
    /// <inheritdoc />
    public ValueTask<AddCheckpointResponse> AddCheckpointAsync(string body, CancellationToken cancellationToken = default) =>
        witness.AddCheckpointAsync(body, cancellationToken);
}

/// <summary>One witness a log publishes to: its name, its cosignature verifier key and a transport.</summary>
/// <param name="Name">The witness name.</param>
/// <param name="Transport">How to reach it.</param>
public sealed record WitnessEndpoint(string Name, IWitnessTransport Transport);

/// <summary>The outcome of publishing a checkpoint.</summary>
/// <param name="Checkpoint">The signed checkpoint with every cosignature collected.</param>
/// <param name="Quorum">The quorum evaluation.</param>
/// <param name="Refusals">The witnesses that refused, with their status and reason.</param>
public sealed record PublicationResult(SignedNote Checkpoint, QuorumResult Quorum, IReadOnlyList<string> Refusals)
{
    /// <summary>True if the checkpoint is published (quorum met).</summary>
    public bool Published => Quorum.Met;
}

/// <summary>
/// Publishes the log's checkpoints: signs the current head, sends it with a consistency proof to every
/// witness (from the size each last cosigned, learnt from a 409 when unknown), collects cosignatures and
/// evaluates the quorum policy. Keeps the latest published checkpoint for serving.
/// </summary>
public sealed class CheckpointPublisher
{
    private readonly MerkleLog _log;
    private readonly CheckpointSigner _signer;
    private readonly IReadOnlyList<WitnessEndpoint> _witnesses;
    private readonly WitnessQuorumPolicy _policy;
    private readonly Dictionary<string, long> _lastSizes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile PublicationResult? _latest;

    /// <summary>Creates the publisher.</summary>
    /// <param name="log">The log.</param>
    /// <param name="signer">The log's checkpoint signer.</param>
    /// <param name="witnesses">The witnesses to ask.</param>
    /// <param name="policy">The quorum policy.</param>
    public CheckpointPublisher(MerkleLog log, CheckpointSigner signer, IEnumerable<WitnessEndpoint> witnesses, WitnessQuorumPolicy policy)
    {
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _signer = signer ?? throw new ArgumentNullException(nameof(signer));
        _witnesses = witnesses?.ToArray() ?? throw new ArgumentNullException(nameof(witnesses));
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
    }

    /// <summary>The latest publication attempt, or null.</summary>
    public PublicationResult? Latest => _latest;

    /// <summary>Signs the current head and collects cosignatures from every witness.</summary>
    /// <param name="cancellationToken">Cancels the round.</param>
    public async Task<PublicationResult> PublishAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var head = _log.Head;
            var signed = _signer.Sign(head);
            var serialised = signed.ToString();
            var cosignatures = new List<NoteSignature>();
            var refusals = new List<string>();
            foreach (var witness in _witnesses)
            {
                var response = await AskAsync(witness, head, serialised, cancellationToken).ConfigureAwait(false);
                if (response.Status != AddCheckpointStatus.Cosigned)
                {
                    refusals.Add($"{witness.Name}: {(int)response.Status} {response.Reason}");
                    continue;
                }

                _lastSizes[witness.Name] = head.Size;
                foreach (var line in response.Cosignatures)
                {
                    if (SignedNote.TryParseSignatureLine(line, out var signature, out _))
                    {
                        cosignatures.Add(signature);
                    }
                }
            }

            var cosigned = signed.WithSignatures(cosignatures);
            var result = new PublicationResult(cosigned, _policy.Evaluate(cosigned), refusals);
            _latest = result;
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<AddCheckpointResponse> AskAsync(WitnessEndpoint witness, TreeHead head, string checkpoint, CancellationToken cancellationToken)
    {
        var oldSize = _lastSizes.GetValueOrDefault(witness.Name);
        for (var attempt = 0; ; attempt++)
        {
            var proof = oldSize > 0 && oldSize <= head.Size ? await _log.ProveConsistencyAsync(oldSize, head.Size, cancellationToken).ConfigureAwait(false) : [];
            var request = new AddCheckpointRequest(oldSize > head.Size ? head.Size : oldSize, proof, checkpoint);
            var response = await witness.Transport.AddCheckpointAsync(request.ToBody(), cancellationToken).ConfigureAwait(false);
            if (response.Status == AddCheckpointStatus.Conflict && response.LatestSize is { } latest && latest != oldSize && attempt == 0 && latest <= head.Size)
            {
                // The witness knows a different size (e.g. after our restart): prove from there.
                oldSize = latest;
                continue;
            }

            return response;
        }
    }
}
