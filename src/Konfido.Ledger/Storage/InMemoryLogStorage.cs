using Konfido.Ledger.Merkle;

namespace Konfido.Ledger.Storage;

/// <summary>Log storage in memory: for tests and tools. Thread-safe; not durable.</summary>
public sealed class InMemoryLogStorage : ILogStorage
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(int, long), byte[]> _tiles = [];
    private readonly List<byte[]> _entries = [];
    private StoredTreeHead _head = new(0, MerkleHash.EmptyTree);

    /// <inheritdoc />
    public ValueTask<StoredTreeHead> ReadHeadAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_head);
        }
    }

    /// <inheritdoc />
    public ValueTask<byte[]?> ReadTileAsync(int level, long index, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_tiles.TryGetValue((level, index), out var tile) ? (byte[]?)tile.ToArray() : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> ReadTilesAsync(IReadOnlyList<(int Level, long Index)> tiles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        var result = new Dictionary<(int Level, long Index), byte[]>();
        lock (_gate)
        {
            foreach (var key in tiles)
            {
                if (_tiles.TryGetValue(key, out var tile))
                {
                    result[key] = tile.ToArray();
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyDictionary<(int Level, long Index), byte[]>>(result);
    }

    /// <inheritdoc />
    public ValueTask<byte[]?> ReadEntryAsync(long index, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(index >= 0 && index < _entries.Count ? (byte[]?)_entries[(int)index].ToArray() : null);
        }
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(LogCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        lock (_gate)
        {
            if (_head.Size != commit.PreviousSize)
            {
                throw new LogConflictException($"The log is at size {_head.Size}, not {commit.PreviousSize}.");
            }

            foreach (var entry in commit.Entries)
            {
                _entries.Add(entry.ToArray());
            }

            foreach (var tile in commit.Tiles)
            {
                _tiles[(tile.Level, tile.Index)] = tile.Hashes.ToArray();
            }

            _head = new StoredTreeHead(commit.NewSize, commit.NewRoot);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
