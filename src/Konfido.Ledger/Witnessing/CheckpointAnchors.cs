using System.Security.Cryptography;
using System.Text;
using Konfido.Ledger.Notes;

namespace Konfido.Ledger.Witnessing;

/// <summary>A receipt that a checkpoint was anchored in an external timestamping service or chain.</summary>
/// <param name="Anchor">The anchor's name (e.g. <c>rfc3161:tsa.example</c>).</param>
/// <param name="Time">When the anchor recorded it.</param>
/// <param name="CheckpointDigest">SHA-256 of the checkpoint text that was anchored.</param>
/// <param name="Proof">The anchor-specific proof (a TimeStampToken, an OpenTimestamps proof, ...).</param>
public sealed record AnchorReceipt(string Anchor, DateTimeOffset Time, byte[] CheckpointDigest, byte[] Proof);

/// <summary>
/// Anchors published checkpoints outside the federation, so that even a colluding quorum cannot later
/// present a different history for a past time. A real deployment uses an RFC 3161 Time-Stamp
/// Authority (e.g. a qualified eIDAS timestamping service) or OpenTimestamps (Bitcoin);
/// <see cref="LocalCheckpointAnchor"/> is the local test double.
/// </summary>
public interface ICheckpointAnchor
{
    /// <summary>Anchors <paramref name="checkpoint"/> and returns the receipt.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<AnchorReceipt> AnchorAsync(Checkpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>True if <paramref name="receipt"/> anchors exactly <paramref name="checkpoint"/>.</summary>
    /// <param name="receipt">The receipt.</param>
    /// <param name="checkpoint">The checkpoint.</param>
    bool Verify(AnchorReceipt receipt, Checkpoint checkpoint);
}

/// <summary>
/// The local test double of <see cref="ICheckpointAnchor"/>: an append-only hash chain of anchored
/// checkpoint digests, each link signed with an Ed25519 key of its own (standing in for a TSA).
/// </summary>
public sealed class LocalCheckpointAnchor : ICheckpointAnchor, IDisposable
{
    private readonly Ed25519NoteSigner _key;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private byte[] _chainHead = new byte[32];

    /// <summary>Creates the anchor with a fresh key.</summary>
    /// <param name="time">The clock, or null for the system clock.</param>
    public LocalCheckpointAnchor(TimeProvider? time = null)
    {
        _key = Ed25519NoteSigner.Generate("local-anchor");
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public ValueTask<AnchorReceipt> AnchorAsync(Checkpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(checkpoint.ToText()));
        var time = _time.GetUtcNow();
        lock (_gate)
        {
            // Proof = previous chain head || signature over (previous head || digest || time).
            var message = Link(_chainHead, digest, time);
            var signature = _key.Sign(message);
            var proof = _chainHead.Concat(signature).ToArray();
            _chainHead = SHA256.HashData(message);
            return ValueTask.FromResult(new AnchorReceipt("local", time, digest, proof));
        }
    }

    /// <inheritdoc />
    public bool Verify(AnchorReceipt receipt, Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(checkpoint.ToText()));
        if (receipt.Proof.Length != 32 + 64 || !CryptographicOperations.FixedTimeEquals(digest, receipt.CheckpointDigest))
        {
            return false;
        }

        var verifier = new Ed25519NoteVerifier(_key.Name, _key.PublicKey);
        return verifier.Verify(Link(receipt.Proof[..32], digest, receipt.Time), receipt.Proof[32..]);
    }

    private static byte[] Link(byte[] previous, byte[] digest, DateTimeOffset time) =>
        [.. previous, .. digest, .. BitConverter.GetBytes(time.ToUnixTimeMilliseconds())];

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
