using System.Collections.Concurrent;
using Konfido.Ledger.Merkle;
using Microsoft.Data.Sqlite;

namespace Konfido.Ledger.Storage;

/// <summary>
/// Log storage in one SQLite file (the default). Write-ahead logging with <c>synchronous=FULL</c>:
/// every commit is one transaction whose WAL frames are fsync'd before <see cref="CommitAsync"/>
/// returns, so an acknowledged batch survives a crash or power loss.
/// </summary>
public sealed class SqliteLogStorage : ILogStorage
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentBag<PooledReader> _readers = [];
    private bool _disposed;

    private SqliteLogStorage(string connectionString, SqliteConnection writer)
    {
        _connectionString = connectionString;
        _writer = writer;
    }

    /// <summary>Opens (creating if needed) the log in the SQLite file at <paramref name="path"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static async Task<SqliteLogStorage> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
        var writer = new SqliteConnection(connectionString);
        await writer.OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(writer, """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            PRAGMA busy_timeout=10000;
            CREATE TABLE IF NOT EXISTS log_head (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS log_entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS log_tiles (level INTEGER NOT NULL, idx INTEGER NOT NULL, hashes BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
            """, cancellationToken).ConfigureAwait(false);
        await using (var init = writer.CreateCommand())
        {
            init.CommandText = "INSERT OR IGNORE INTO log_head (id, size, root) VALUES (1, 0, $root)";
            init.Parameters.AddWithValue("$root", MerkleHash.EmptyTree.ToArray());
            await init.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return new SqliteLogStorage(connectionString, writer);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<StoredTreeHead> ReadHeadAsync(CancellationToken cancellationToken = default)
    {
        var reader = RentReader();
        try
        {
            using var command = reader.Connection.CreateCommand();
            command.CommandText = "SELECT size, root FROM log_head WHERE id = 1";
            using var result = command.ExecuteReader();
            return ValueTask.FromResult(result.Read()
                ? new StoredTreeHead(result.GetInt64(0), new MerkleHash((byte[])result.GetValue(1)))
                : new StoredTreeHead(0, MerkleHash.EmptyTree));
        }
        finally
        {
            _readers.Add(reader);
        }
    }

    // Point reads are synchronous (SQLite has no asynchronous I/O) and use pooled connections with
    // prepared statements.
    /// <inheritdoc />
    public ValueTask<byte[]?> ReadTileAsync(int level, long index, CancellationToken cancellationToken = default)
    {
        var reader = RentReader();
        try
        {
            reader.TileLevel.Value = level;
            reader.TileIndex.Value = index;
            return ValueTask.FromResult(reader.Tile.ExecuteScalar() as byte[]);
        }
        finally
        {
            _readers.Add(reader);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> ReadTilesAsync(IReadOnlyList<(int Level, long Index)> tiles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        var result = new Dictionary<(int Level, long Index), byte[]>();
        var reader = RentReader();
        try
        {
            // One prepared statement of PooledReader.BatchSize point lookups (UNION ALL); unused slots ask for level -1.
            for (var start = 0; start < tiles.Count; start += PooledReader.BatchSize)
            {
                for (var slot = 0; slot < PooledReader.BatchSize; slot++)
                {
                    var present = start + slot < tiles.Count;
                    reader.BatchLevels[slot].Value = present ? tiles[start + slot].Level : -1;
                    reader.BatchIndexes[slot].Value = present ? tiles[start + slot].Index : -1;
                }

                using var rows = reader.Batch.ExecuteReader();
                while (rows.Read())
                {
                    result[((int)rows.GetInt64(0), rows.GetInt64(1))] = (byte[])rows.GetValue(2);
                }
            }
        }
        finally
        {
            _readers.Add(reader);
        }

        return ValueTask.FromResult<IReadOnlyDictionary<(int Level, long Index), byte[]>>(result);
    }

    /// <inheritdoc />
    public ValueTask<byte[]?> ReadEntryAsync(long index, CancellationToken cancellationToken = default)
    {
        var reader = RentReader();
        try
        {
            reader.EntryIndex.Value = index;
            return ValueTask.FromResult(reader.Entry.ExecuteScalar() as byte[]);
        }
        finally
        {
            _readers.Add(reader);
        }
    }

    private PooledReader RentReader()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _readers.TryTake(out var reader) ? reader : new PooledReader(_connectionString);
    }

    private sealed class PooledReader : IDisposable
    {
        public PooledReader(string connectionString)
        {
            Connection = new SqliteConnection(connectionString);
            Connection.Open();
            using (var pragma = Connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA busy_timeout=10000; PRAGMA mmap_size=1073741824; PRAGMA cache_size=-32768;";
                pragma.ExecuteNonQuery();
            }

            Tile = Connection.CreateCommand();
            Tile.CommandText = "SELECT hashes FROM log_tiles WHERE level = $l AND idx = $i";
            TileLevel = Tile.Parameters.Add("$l", SqliteType.Integer);
            TileIndex = Tile.Parameters.Add("$i", SqliteType.Integer);
            Tile.Prepare();
            Batch = Connection.CreateCommand();
            Batch.CommandText = string.Join(" UNION ALL ", Enumerable.Range(0, BatchSize).Select(k => $"SELECT level, idx, hashes FROM log_tiles WHERE level = $l{k} AND idx = $i{k}"));
            BatchLevels = new SqliteParameter[BatchSize];
            BatchIndexes = new SqliteParameter[BatchSize];
            for (var k = 0; k < BatchSize; k++)
            {
                BatchLevels[k] = Batch.Parameters.Add($"$l{k}", SqliteType.Integer);
                BatchIndexes[k] = Batch.Parameters.Add($"$i{k}", SqliteType.Integer);
                BatchLevels[k].Value = -1;
                BatchIndexes[k].Value = -1;
            }

            Batch.Prepare();
            Entry = Connection.CreateCommand();
            Entry.CommandText = "SELECT data FROM log_entries WHERE idx = $i";
            EntryIndex = Entry.Parameters.Add("$i", SqliteType.Integer);
            Entry.Prepare();
        }

        public const int BatchSize = 24;

        public SqliteConnection Connection { get; }

        public SqliteCommand Batch { get; }

        public SqliteParameter[] BatchLevels { get; }

        public SqliteParameter[] BatchIndexes { get; }

        public SqliteCommand Tile { get; }

        public SqliteParameter TileLevel { get; }

        public SqliteParameter TileIndex { get; }

        public SqliteCommand Entry { get; }

        public SqliteParameter EntryIndex { get; }

        public void Dispose()
        {
            Tile.Dispose();
            Batch.Dispose();
            Entry.Dispose();
            Connection.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask CommitAsync(LogCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var transaction = _writer.BeginTransaction();
            using (var head = _writer.CreateCommand())
            {
                head.Transaction = transaction;
                head.CommandText = "UPDATE log_head SET size = $new, root = $root WHERE id = 1 AND size = $prev";
                head.Parameters.AddWithValue("$new", commit.NewSize);
                head.Parameters.AddWithValue("$root", commit.NewRoot.ToArray());
                head.Parameters.AddWithValue("$prev", commit.PreviousSize);
                if (head.ExecuteNonQuery() != 1)
                {
                    transaction.Rollback();
                    throw new LogConflictException($"The stored log is not at size {commit.PreviousSize}.");
                }
            }

            using (var insert = _writer.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO log_entries (idx, data) VALUES ($i, $d)";
                var i = insert.Parameters.Add("$i", SqliteType.Integer);
                var d = insert.Parameters.Add("$d", SqliteType.Blob);
                insert.Prepare();
                var index = commit.PreviousSize;
                foreach (var entry in commit.Entries)
                {
                    i.Value = index++;
                    d.Value = entry.ToArray();
                    insert.ExecuteNonQuery();
                }
            }

            using (var tiles = _writer.CreateCommand())
            {
                tiles.Transaction = transaction;
                tiles.CommandText = "INSERT OR REPLACE INTO log_tiles (level, idx, hashes) VALUES ($l, $i, $h)";
                var l = tiles.Parameters.Add("$l", SqliteType.Integer);
                var i = tiles.Parameters.Add("$i", SqliteType.Integer);
                var h = tiles.Parameters.Add("$h", SqliteType.Blob);
                tiles.Prepare();
                foreach (var tile in commit.Tiles)
                {
                    l.Value = tile.Level;
                    i.Value = tile.Index;
                    h.Value = tile.Hashes.ToArray();
                    tiles.ExecuteNonQuery();
                }
            }

            // With journal_mode=WAL and synchronous=FULL the WAL is fsync'd at commit.
            transaction.Commit();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await _writer.DisposeAsync().ConfigureAwait(false);
            while (_readers.TryTake(out var reader))
            {
                reader.Dispose();
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }
}
