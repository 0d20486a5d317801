// The append-only Merkle log: RFC 9162 §2.1 tree over the entries, appended through a compact range
// (O(log n) work per leaf), node hashes stored per level in tiles of 256 (one write per changed tile
// per batch), proofs read O(log n) tiles (MerkleProof plans) and never rescan the log.
using System.Collections.Concurrent;
using System.Threading.Channels;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Storage;

namespace Konfido.Ledger.Log;

/// <summary>The size and root hash of the log at one moment.</summary>
/// <param name="Size">The number of entries.</param>
/// <param name="Root">The RFC 6962 root hash.</param>
public sealed record TreeHead(long Size, MerkleHash Root);

/// <summary>Tuning of a <see cref="MerkleLog"/> as the operator writes it; validated by <see cref="MerkleLog.OpenAsync"/>.</summary>
public sealed record MerkleLogOptions
{
    /// <summary>The most entries written in one durable transaction (1..1,000,000; default 8192).</summary>
    public int MaxBatchSize { get; init; } = 8192;

    /// <summary>How many tiles (8 KiB each) the proof cache keeps (at least 64; default 16384, 128 MiB).</summary>
    public int TileCacheCapacity { get; init; } = 16384;

    /// <summary>How many appends may wait for a batch before callers wait too (backpressure; at least 1; default 65536).</summary>
    public int QueueCapacity { get; init; } = 65536;

    internal void Validate()
    {
        if (MaxBatchSize is < 1 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "MaxBatchSize must be between 1 and 1,000,000.");
        }

        if (TileCacheCapacity < 64)
        {
            throw new ArgumentOutOfRangeException(nameof(TileCacheCapacity), TileCacheCapacity, "TileCacheCapacity must be at least 64 tiles.");
        }

        if (QueueCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "QueueCapacity must be at least 1.");
        }
    }
}

/// <summary>
/// An append-only Merkle log (RFC 6962/9162) over an <see cref="ILogStorage"/>. Appends are queued and
/// written in batches, each batch in one durable transaction; an append's task completes with the
/// entry's index only once its batch is durable. Thread-safe.
/// </summary>
/// <remarks>
/// If a commit fails (a full disk, a lost database connection) the appends of that batch fail and the
/// log reloads its state from storage, checking it as <see cref="OpenAsync"/> does, then goes on: the
/// storage's durable head is the truth, and later appends succeed once the storage does. Only if the
/// reload fails too does the log stop accepting appends (every pending and later append fails).
/// </remarks>
public sealed class MerkleLog : IAsyncDisposable
{
    private const int MaxLevels = 64;

    private readonly ILogStorage _storage;
    private readonly MerkleLogOptions _options;
    private readonly Channel<PendingAppend> _queue;
    private readonly ConcurrentDictionary<(int Level, long Index), byte[]> _cache = new();
    private CompactRange _range;
    private readonly byte[]?[] _edge = new byte[]?[MaxLevels];
    private readonly long[] _edgeIndex = new long[MaxLevels];
    private readonly int[] _edgeWidth = new int[MaxLevels];
    private readonly bool[] _edgeDirty = new bool[MaxLevels];
    private readonly List<TileWrite> _pendingWrites = [];
    private readonly Action<int, long, MerkleHash> _onNode;
    private readonly Task _writer;
    private volatile TreeHead _head;
    private volatile Exception? _fault;
    private int _cacheAdds;

    private MerkleLog(ILogStorage storage, MerkleLogOptions options, CompactRange range, TreeHead head)
    {
        _storage = storage;
        _options = options;
        _range = range;
        _head = head;
        _onNode = OnNode;
        _queue = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The latest durable tree head.</summary>
    public TreeHead Head => _head;

    /// <summary>How many tiles the proof cache holds (for tests).</summary>
    internal int CachedTiles => _cache.Count;

    /// <summary>
    /// Opens the log held by <paramref name="storage"/>, checking that the stored node hashes reproduce
    /// the stored root. Throws <see cref="InvalidDataException"/> if they do not (corrupt storage).
    /// </summary>
    /// <param name="storage">The storage; the log does not dispose it.</param>
    /// <param name="options">Tuning, or null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static async Task<MerkleLog> OpenAsync(ILogStorage storage, MerkleLogOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        options ??= new MerkleLogOptions();
        options.Validate();
        var (range, head) = await ReadRangeAsync(storage, cancellationToken).ConfigureAwait(false);
        var log = new MerkleLog(storage, options, range, head);
        await log.LoadEdgesAsync(cancellationToken).ConfigureAwait(false);
        return log;
    }

    /// <summary>Reads the durable head and the compact range that must reproduce its root.</summary>
    private static async Task<(CompactRange Range, TreeHead Head)> ReadRangeAsync(ILogStorage storage, CancellationToken cancellationToken)
    {
        var stored = await storage.ReadHeadAsync(cancellationToken).ConfigureAwait(false);
        var size = stored.Size;
        var roots = new List<MerkleHash>();
        var tiles = new Dictionary<(int, long), byte[]>();
        foreach (var (level, index) in CompactRange.RootCoordinates(size))
        {
            roots.Add(await ReadNodeForOpenAsync(storage, tiles, level, index, cancellationToken).ConfigureAwait(false));
        }

        var range = new CompactRange(size, roots);
        if (range.Root() != stored.Root)
        {
            throw new InvalidDataException($"The stored log is corrupt: its nodes give root {range.Root().ToHex()} for size {size}, not the stored {stored.Root.ToHex()}.");
        }

        return (range, new TreeHead(size, stored.Root));
    }

    /// <summary>Loads the partial right-edge tile of every level so that appends continue them.</summary>
    private async Task LoadEdgesAsync(CancellationToken cancellationToken)
    {
        var size = _range.Size;
        Array.Clear(_edge);
        Array.Clear(_edgeIndex);
        Array.Clear(_edgeWidth);
        Array.Clear(_edgeDirty);
        for (var level = 0; level < MaxLevels && (size >> level) > 0; level++)
        {
            var next = size >> level;
            var width = (int)(next & (Tiles.Width - 1));
            var tileIndex = next >> Tiles.WidthBits;
            var buffer = new byte[Tiles.Width * MerkleHash.Size];
            if (width > 0)
            {
                var tile = await _storage.ReadTileAsync(level, tileIndex, cancellationToken).ConfigureAwait(false);
                if (tile is null || tile.Length < width * MerkleHash.Size)
                {
                    throw new InvalidDataException($"The stored log is corrupt: tile {level}/{tileIndex} is missing or short.");
                }

                tile.AsSpan(0, width * MerkleHash.Size).CopyTo(buffer);
            }

            _edge[level] = buffer;
            _edgeIndex[level] = tileIndex;
            _edgeWidth[level] = width;
        }
    }

    /// <summary>After a failed commit: forgets the in-memory state that ran ahead and takes the storage's durable state again.</summary>
    private async Task ReloadAsync()
    {
        var (range, head) = await ReadRangeAsync(_storage, CancellationToken.None).ConfigureAwait(false);
        _range = range;
        await LoadEdgesAsync(CancellationToken.None).ConfigureAwait(false);
        _head = head;
    }

    private static async ValueTask<MerkleHash> ReadNodeForOpenAsync(ILogStorage storage, Dictionary<(int, long), byte[]> tiles, int level, long index, CancellationToken cancellationToken)
    {
        var key = (level, index >> Tiles.WidthBits);
        var slot = (int)(index & (Tiles.Width - 1));
        if (!tiles.TryGetValue(key, out var tile))
        {
            tile = await storage.ReadTileAsync(level, key.Item2, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"The stored log is corrupt: tile {level}/{key.Item2} is missing.");
            tiles[key] = tile;
        }

        if (tile.Length < (slot + 1) * MerkleHash.Size)
        {
            throw new InvalidDataException($"The stored log is corrupt: tile {level}/{key.Item2} is short.");
        }

        return MerkleHash.ReadPacked(tile, slot);
    }

    /// <summary>
    /// Appends one entry and completes with its 0-based index once the entry is durable. Requires the
    /// log not to be faulted or disposed.
    /// </summary>
    /// <param name="entry">The entry's bytes (copied).</param>
    /// <param name="cancellationToken">Cancels waiting for room in the queue (not the append once queued).</param>
    public async ValueTask<long> AppendAsync(ReadOnlyMemory<byte> entry, CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        var pending = new PendingAppend(entry.ToArray());
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The log is closed.", _fault ?? ex);
        }

        return await pending.Completion.Task.ConfigureAwait(false);
    }

    private void ThrowIfFaulted()
    {
        if (_fault is { } fault)
        {
            throw new InvalidOperationException("The log stopped: a commit failed and its durable state could not be reloaded; reopen it.", fault);
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingAppend>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                var first = await CommitBatchAsync(batch).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(first + i);
                }
            }
            catch (Exception ex)
            {
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(ex);
                }

                try
                {
                    // The failed batch may have left the in-memory range and edge tiles ahead of storage.
                    await ReloadAsync().ConfigureAwait(false);
                }
                catch (Exception reload)
                {
                    var fault = new AggregateException("A commit failed and the durable state could not be reloaded.", ex, reload);
                    _fault = fault;
                    _queue.Writer.TryComplete(fault);
                    while (reader.TryRead(out var pending))
                    {
                        pending.Completion.TrySetException(fault);
                    }

                    return;
                }
            }
        }
    }

    private async Task<long> CommitBatchAsync(List<PendingAppend> batch)
    {
        var previous = _range.Size;
        _pendingWrites.Clear();
        var entries = new ReadOnlyMemory<byte>[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            entries[i] = batch[i].Data;
            _range.Append(Rfc6962.HashLeaf(batch[i].Data), _onNode);
        }

        for (var level = 0; level < MaxLevels; level++)
        {
            if (_edgeDirty[level])
            {
                _edgeDirty[level] = false;
                _pendingWrites.Add(new TileWrite(level, _edgeIndex[level], _edge[level].AsSpan(0, _edgeWidth[level] * MerkleHash.Size).ToArray()));
            }
        }

        var root = _range.Root();
        var writes = _pendingWrites.ToArray();
        await _storage.CommitAsync(new LogCommit(previous, _range.Size, root, entries, writes)).ConfigureAwait(false);

        // Durable: publish the tiles to readers first, then the head that refers to them.
        var added = 0;
        foreach (var write in writes)
        {
            var tile = write.Hashes.ToArray();
            var key = (write.Level, write.Index);
            if (_cache.TryAdd(key, tile))
            {
                added++;
            }
            else
            {
                _cache.AddOrUpdate(key, tile, (_, old) => old.Length >= tile.Length ? old : tile);
            }
        }

        // Written tiles count against the cache's capacity like fetched ones (they used not to: a log that was
        // written much and read little kept every tile it ever wrote, found by the soak test).
        if (Interlocked.Add(ref _cacheAdds, added) > _options.TileCacheCapacity)
        {
            TrimCache();
        }

        _head = new TreeHead(_range.Size, root);
        return previous;
    }

    // Receives every node the compact range creates: writes it into its level's right-edge tile.
    private void OnNode(int level, long index, MerkleHash hash)
    {
        var tileIndex = index >> Tiles.WidthBits;
        var slot = (int)(index & (Tiles.Width - 1));
        var tile = _edge[level];
        if (tile is null || _edgeIndex[level] != tileIndex)
        {
            if (tile is not null && _edgeDirty[level])
            {
                // The previous tile of this level filled up in this batch: write it whole.
                _pendingWrites.Add(new TileWrite(level, _edgeIndex[level], tile.AsSpan(0, _edgeWidth[level] * MerkleHash.Size).ToArray()));
            }

            tile = new byte[Tiles.Width * MerkleHash.Size];
            _edge[level] = tile;
            _edgeIndex[level] = tileIndex;
            _edgeWidth[level] = 0;
        }

        hash.WriteTo(tile.AsSpan(slot * MerkleHash.Size));
        _edgeWidth[level] = slot + 1;
        _edgeDirty[level] = true;
    }

    /// <summary>Reads entry <paramref name="index"/>. Requires 0 &lt;= index &lt; Head.Size.</summary>
    /// <param name="index">The entry index.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async ValueTask<byte[]> ReadEntryAsync(long index, CancellationToken cancellationToken = default)
    {
        CheckIndex(index, _head.Size);
        return await _storage.ReadEntryAsync(index, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"The stored log is corrupt: entry {index} is missing.");
    }

    /// <summary>The leaf hash of entry <paramref name="index"/>. Requires 0 &lt;= index &lt; Head.Size.</summary>
    /// <param name="index">The entry index.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public ValueTask<MerkleHash> LeafHashAsync(long index, CancellationToken cancellationToken = default)
    {
        CheckIndex(index, _head.Size);
        return GetNodeAsync(0, index, cancellationToken);
    }

    /// <summary>The root hash of the tree of the first <paramref name="size"/> entries. Requires 0 &lt;= size &lt;= Head.Size.</summary>
    /// <param name="size">The tree size.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public ValueTask<MerkleHash> RootAtAsync(long size, CancellationToken cancellationToken = default)
    {
        CheckSize(size);
        return size == 0 ? ValueTask.FromResult(MerkleHash.EmptyTree) : RangeHashAsync(new LeafRange(0, size), cancellationToken);
    }

    /// <summary>
    /// The inclusion proof (audit path) of entry <paramref name="index"/> in the tree of
    /// <paramref name="size"/> entries. Requires 0 &lt;= index &lt; size &lt;= Head.Size.
    /// </summary>
    /// <param name="index">The entry index.</param>
    /// <param name="size">The tree size.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public ValueTask<MerkleHash[]> ProveInclusionAsync(long index, long size, CancellationToken cancellationToken = default)
    {
        CheckSize(size);
        CheckIndex(index, size);
        return HashRangesAsync(MerkleProof.PlanInclusion(index, size), cancellationToken);
    }

    /// <summary>
    /// The consistency proof between the trees of <paramref name="size1"/> and <paramref name="size2"/>
    /// entries. Requires 0 &lt;= size1 &lt;= size2 &lt;= Head.Size.
    /// </summary>
    /// <param name="size1">The older size.</param>
    /// <param name="size2">The newer size.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public ValueTask<MerkleHash[]> ProveConsistencyAsync(long size1, long size2, CancellationToken cancellationToken = default)
    {
        CheckSize(size2);
        if (size1 < 0 || size1 > size2)
        {
            throw new ArgumentOutOfRangeException(nameof(size1), $"Requires 0 <= size1 <= size2 (size1 {size1}, size2 {size2}).");
        }

        return HashRangesAsync(MerkleProof.PlanConsistency(size1, size2), cancellationToken);
    }

    private async ValueTask<MerkleHash[]> HashRangesAsync(IReadOnlyList<LeafRange> ranges, CancellationToken cancellationToken)
    {
        // Plan every node first, then fetch the tiles the cache lacks in one storage round trip.
        var plans = new IReadOnlyList<(int Level, long Index)>[ranges.Count];
        var tiles = new Dictionary<(int Level, long Index), byte[]?>();
        List<(int Level, long Index)>? missing = null;
        for (var i = 0; i < plans.Length; i++)
        {
            plans[i] = ranges[i].PerfectSubtrees();
            foreach (var (level, index) in plans[i])
            {
                var key = (level, index >> Tiles.WidthBits);
                var need = (int)((index & (Tiles.Width - 1)) + 1) * MerkleHash.Size;
                if (tiles.TryGetValue(key, out var known))
                {
                    if (known is not null && known.Length < need)
                    {
                        // A stale partial tile: fetch the current one.
                        tiles[key] = null;
                        (missing ??= []).Add(key);
                    }

                    continue;
                }

                if (_cache.TryGetValue(key, out var cached) && cached.Length >= need)
                {
                    tiles[key] = cached;
                }
                else
                {
                    tiles[key] = null;
                    (missing ??= []).Add(key);
                }
            }
        }

        if (missing is not null)
        {
            var fetched = await _storage.ReadTilesAsync(missing, cancellationToken).ConfigureAwait(false);
            foreach (var (key, tile) in fetched)
            {
                tiles[key] = tile;
                _cache.AddOrUpdate(key, tile, (_, old) => old.Length >= tile.Length ? old : tile);
            }

            if (Interlocked.Add(ref _cacheAdds, fetched.Count) > _options.TileCacheCapacity)
            {
                TrimCache();
            }
        }

        var hashes = new MerkleHash[plans.Length];
        Span<MerkleHash> parts = stackalloc MerkleHash[64];
        for (var i = 0; i < plans.Length; i++)
        {
            var plan = plans[i];
            for (var j = 0; j < plan.Count; j++)
            {
                var (level, index) = plan[j];
                var tile = tiles[(level, index >> Tiles.WidthBits)];
                var slot = (int)(index & (Tiles.Width - 1));
                if (tile is null || tile.Length < (slot + 1) * MerkleHash.Size)
                {
                    throw new InvalidDataException($"The stored log is corrupt: node {level}/{index} is missing.");
                }

                parts[j] = MerkleHash.ReadPacked(tile, slot);
            }

            hashes[i] = plan.Count == 1 ? parts[0] : MerkleProof.FoldRange(parts[..plan.Count]);
        }

        return hashes;
    }

    private async ValueTask<MerkleHash> RangeHashAsync(LeafRange range, CancellationToken cancellationToken) =>
        (await HashRangesAsync([range], cancellationToken).ConfigureAwait(false))[0];

    private async ValueTask<MerkleHash> GetNodeAsync(int level, long index, CancellationToken cancellationToken)
    {
        var key = (level, index >> Tiles.WidthBits);
        var slot = (int)(index & (Tiles.Width - 1));
        var need = (slot + 1) * MerkleHash.Size;
        if (_cache.TryGetValue(key, out var tile) && tile.Length >= need)
        {
            return MerkleHash.ReadPacked(tile, slot);
        }

        tile = await _storage.ReadTileAsync(level, key.Item2, cancellationToken).ConfigureAwait(false);
        if (tile is null || tile.Length < need)
        {
            throw new InvalidDataException($"The stored log is corrupt: node {level}/{index} is missing.");
        }

        var stored = tile;
        _cache.AddOrUpdate(key, stored, (_, old) => old.Length >= stored.Length ? old : stored);
        if (Interlocked.Increment(ref _cacheAdds) > _options.TileCacheCapacity)
        {
            TrimCache();
        }

        return MerkleHash.ReadPacked(tile, slot);
    }

    // Evicts the lowest levels first (most numerous, least shared between proofs) down to 3/4 capacity.
    private void TrimCache()
    {
        var target = _options.TileCacheCapacity * 3 / 4;
        foreach (var key in _cache.Keys.OrderBy(k => k.Level))
        {
            if (_cache.Count <= target)
            {
                break;
            }

            _cache.TryRemove(key, out _);
        }

        Volatile.Write(ref _cacheAdds, _cache.Count);
    }

    /// <summary>
    /// Loads the tiles of levels <paramref name="fromLevel"/> and above into the proof cache (as far as
    /// its capacity allows), so that later proofs read at most <paramref name="fromLevel"/> tiles from
    /// storage. Requires 0 &lt;= fromLevel &lt; 64.
    /// </summary>
    /// <param name="fromLevel">The lowest level to load (default 3: 1/2048 of the leaf count in tiles).</param>
    /// <param name="cancellationToken">Cancels the loading.</param>
    public async Task WarmUpAsync(int fromLevel = 3, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fromLevel, MaxLevels);
        var size = _head.Size;
        var loaded = 0;
        for (var level = MaxLevels - 1; level >= fromLevel; level--)
        {
            var nodes = size >> level;
            for (long tile = 0; tile * Tiles.Width < nodes && loaded < _options.TileCacheCapacity * 3 / 4; tile++, loaded++)
            {
                await GetNodeAsync(level, tile * Tiles.Width, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void CheckSize(long size)
    {
        var head = _head.Size;
        if (size < 0 || size > head)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"Requires 0 <= size <= {head} (size {size}).");
        }
    }

    private static void CheckIndex(long index, long size)
    {
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Requires 0 <= index < {size} (index {index}).");
        }
    }

    /// <summary>Stops accepting appends, waits for the queued ones to be written, and stops the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private sealed class PendingAppend(byte[] data)
    {
        public byte[] Data { get; } = data;

        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
