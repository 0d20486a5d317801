using Konfido.Ledger.Merkle;

namespace Konfido.Ledger.Storage;

/// <summary>
/// Durable storage of a Merkle log: entries, node hashes in tiles of <see cref="Tiles.Width"/> hashes
/// per tree level, and the committed tree head. Implementations: <see cref="SqliteLogStorage"/>
/// (default), <see cref="PostgresLogStorage"/> (production), <see cref="InMemoryLogStorage"/> (tests).
/// </summary>
/// <remarks>
/// A <see cref="CommitAsync"/> is all-or-nothing and durable when it returns: after a crash, the
/// storage holds exactly the state of the last commit that returned (or a later one that was under
/// way), never part of one. Readers may run concurrently with one writer.
/// </remarks>
public interface ILogStorage : IAsyncDisposable
{
    /// <summary>Reads the committed tree size and root (size 0 and the empty-tree hash for a new log).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<StoredTreeHead> ReadHeadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the tile of node hashes at tree level <paramref name="level"/> and tile index
    /// <paramref name="index"/> (nodes index*256 .. index*256+255 of that level), packed 32 bytes each;
    /// a partial tile is shorter; null if absent.
    /// </summary>
    /// <param name="level">The tree level (0 = leaf hashes).</param>
    /// <param name="index">The tile index within the level.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<byte[]?> ReadTileAsync(int level, long index, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads several tiles in one round trip (a proof needs up to one tile per level); absent tiles are
    /// missing from the result.
    /// </summary>
    /// <param name="tiles">The (level, index) of each tile.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> ReadTilesAsync(IReadOnlyList<(int Level, long Index)> tiles, CancellationToken cancellationToken = default);

    /// <summary>Reads entry <paramref name="index"/>; null if absent.</summary>
    /// <param name="index">The 0-based entry index.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<byte[]?> ReadEntryAsync(long index, CancellationToken cancellationToken = default);

    /// <summary>
    /// Atomically and durably appends a batch: its entries, the tiles it changed and the new head.
    /// Throws <see cref="LogConflictException"/> if the stored size is not
    /// <see cref="LogCommit.PreviousSize"/> (another writer got there first).
    /// </summary>
    /// <param name="commit">The batch.</param>
    /// <param name="cancellationToken">Cancels the commit (before it starts).</param>
    ValueTask CommitAsync(LogCommit commit, CancellationToken cancellationToken = default);
}

/// <summary>The committed head of a stored log.</summary>
/// <param name="Size">The number of entries.</param>
/// <param name="Root">The RFC 6962 root hash of those entries.</param>
public readonly record struct StoredTreeHead(long Size, MerkleHash Root);

/// <summary>One tile to (over)write: the packed hashes of its filled slots.</summary>
/// <param name="Level">The tree level.</param>
/// <param name="Index">The tile index within the level.</param>
/// <param name="Hashes">The packed hashes, 32 bytes each, from slot 0.</param>
public readonly record struct TileWrite(int Level, long Index, ReadOnlyMemory<byte> Hashes);

/// <summary>A batch to commit: entries PreviousSize .. NewSize-1, the changed tiles and the new root.</summary>
/// <param name="PreviousSize">The size the batch extends.</param>
/// <param name="NewSize">The size after the batch.</param>
/// <param name="NewRoot">The root after the batch.</param>
/// <param name="Entries">The new entries, in order.</param>
/// <param name="Tiles">The tiles changed by the batch.</param>
public sealed record LogCommit(long PreviousSize, long NewSize, MerkleHash NewRoot, IReadOnlyList<ReadOnlyMemory<byte>> Entries, IReadOnlyList<TileWrite> Tiles);

/// <summary>Thrown when a commit does not extend the stored head (two writers on one log).</summary>
public sealed class LogConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LogConflictException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What conflicted.</param>
    public LogConflictException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">What conflicted.</param>
    /// <param name="innerException">The cause.</param>
    public LogConflictException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>Tile geometry: each tree level is cut into tiles of 256 consecutive node hashes.</summary>
public static class Tiles
{
    /// <summary>Hashes per tile.</summary>
    public const int Width = 256;

    /// <summary>log2 of <see cref="Width"/>.</summary>
    public const int WidthBits = 8;
}
