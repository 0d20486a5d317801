using Konfido.Ledger.Merkle;
using Npgsql;
using NpgsqlTypes;

namespace Konfido.Ledger.Storage;

/// <summary>
/// Log storage in PostgreSQL (production). Each commit is one transaction; PostgreSQL's commit is
/// durable (WAL flushed) with the default <c>synchronous_commit=on</c>. Several logs can share one
/// database: tables are keyed by a log name.
/// </summary>
public sealed class PostgresLogStorage : ILogStorage
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _log;

    private PostgresLogStorage(NpgsqlDataSource dataSource, string log)
    {
        _dataSource = dataSource;
        _log = log;
    }

    /// <summary>Opens (creating tables if needed) the log named <paramref name="logName"/>.</summary>
    /// <param name="connectionString">The Npgsql connection string.</param>
    /// <param name="logName">The log's name within the database (e.g. its checkpoint origin).</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static async Task<PostgresLogStorage> OpenAsync(string connectionString, string logName = "default", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(logName);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var command = dataSource.CreateCommand("""
            CREATE TABLE IF NOT EXISTS ledger_head (log text PRIMARY KEY, size bigint NOT NULL, root bytea NOT NULL);
            CREATE TABLE IF NOT EXISTS ledger_entries (log text NOT NULL, idx bigint NOT NULL, data bytea NOT NULL, PRIMARY KEY (log, idx));
            CREATE TABLE IF NOT EXISTS ledger_tiles (log text NOT NULL, level int NOT NULL, idx bigint NOT NULL, hashes bytea NOT NULL, PRIMARY KEY (log, level, idx));
            """))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var init = dataSource.CreateCommand("INSERT INTO ledger_head (log, size, root) VALUES ($1, 0, $2) ON CONFLICT (log) DO NOTHING"))
        {
            init.Parameters.AddWithValue(logName);
            init.Parameters.AddWithValue(MerkleHash.EmptyTree.ToArray());
            await init.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return new PostgresLogStorage(dataSource, logName);
    }

    /// <inheritdoc />
    public async ValueTask<StoredTreeHead> ReadHeadAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("SELECT size, root FROM ledger_head WHERE log = $1");
        command.Parameters.AddWithValue(_log);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return new StoredTreeHead(0, MerkleHash.EmptyTree);
        }

        return new StoredTreeHead(reader.GetInt64(0), new MerkleHash((byte[])reader.GetValue(1)));
    }

    /// <inheritdoc />
    public async ValueTask<byte[]?> ReadTileAsync(int level, long index, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("SELECT hashes FROM ledger_tiles WHERE log = $1 AND level = $2 AND idx = $3");
        command.Parameters.AddWithValue(_log);
        command.Parameters.AddWithValue(level);
        command.Parameters.AddWithValue(index);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> ReadTilesAsync(IReadOnlyList<(int Level, long Index)> tiles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        var result = new Dictionary<(int Level, long Index), byte[]>();
        if (tiles.Count == 0)
        {
            return result;
        }

        await using var command = _dataSource.CreateCommand("SELECT t.level, t.idx, t.hashes FROM ledger_tiles t JOIN unnest($2::int[], $3::bigint[]) AS k(l, i) ON t.level = k.l AND t.idx = k.i WHERE t.log = $1");
        command.Parameters.AddWithValue(_log);
        command.Parameters.AddWithValue(tiles.Select(t => t.Level).ToArray());
        command.Parameters.AddWithValue(tiles.Select(t => t.Index).ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result[(reader.GetInt32(0), reader.GetInt64(1))] = (byte[])reader.GetValue(2);
        }

        return result;
    }

    /// <inheritdoc />
    public async ValueTask<byte[]?> ReadEntryAsync(long index, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("SELECT data FROM ledger_entries WHERE log = $1 AND idx = $2");
        command.Parameters.AddWithValue(_log);
        command.Parameters.AddWithValue(index);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }

    /// <inheritdoc />
    public async ValueTask CommitAsync(LogCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var head = new NpgsqlCommand("UPDATE ledger_head SET size = $1, root = $2 WHERE log = $3 AND size = $4", connection, transaction))
        {
            head.Parameters.AddWithValue(commit.NewSize);
            head.Parameters.AddWithValue(commit.NewRoot.ToArray());
            head.Parameters.AddWithValue(_log);
            head.Parameters.AddWithValue(commit.PreviousSize);
            if (await head.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                throw new LogConflictException($"The stored log is not at size {commit.PreviousSize}.");
            }
        }

        await using (var writer = await connection.BeginBinaryImportAsync("COPY ledger_entries (log, idx, data) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
        {
            var index = commit.PreviousSize;
            foreach (var entry in commit.Entries)
            {
                await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(_log, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(index++, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(entry.ToArray(), NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);
            }

            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var tiles = new NpgsqlCommand("""
            INSERT INTO ledger_tiles (log, level, idx, hashes)
            SELECT $1, l, i, h FROM unnest($2::int[], $3::bigint[], $4::bytea[]) AS t(l, i, h)
            ON CONFLICT (log, level, idx) DO UPDATE SET hashes = EXCLUDED.hashes
            """, connection, transaction))
        {
            tiles.Parameters.AddWithValue(_log);
            tiles.Parameters.AddWithValue(commit.Tiles.Select(t => t.Level).ToArray());
            tiles.Parameters.AddWithValue(commit.Tiles.Select(t => t.Index).ToArray());
            tiles.Parameters.AddWithValue(commit.Tiles.Select(t => t.Hashes.ToArray()).ToArray());
            await tiles.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
