using Konfido.Ledger.Merkle;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Konfido.Ledger.Witnessing;

/// <summary>What a witness last cosigned for one log: size, root and the signed checkpoint (evidence).</summary>
/// <param name="Size">The tree size.</param>
/// <param name="Root">The root hash.</param>
/// <param name="SignedCheckpoint">The log-signed checkpoint note as received.</param>
public sealed record WitnessedCheckpoint(long Size, MerkleHash Root, string SignedCheckpoint);

/// <summary>
/// A witness's durable record of the latest checkpoint it cosigned per log origin. The update is a
/// compare-and-swap on the size, so that checking the old size and persisting the new checkpoint are
/// atomic (c2sp.org/tlog-witness).
/// </summary>
public interface IWitnessStateStore
{
    /// <summary>The latest cosigned checkpoint of <paramref name="origin"/>, or null if none.</summary>
    /// <param name="origin">The log origin.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<WitnessedCheckpoint?> GetAsync(string origin, CancellationToken cancellationToken = default);

    /// <summary>
    /// Durably replaces the record of <paramref name="origin"/> with <paramref name="next"/> if its size is
    /// still <paramref name="expectedSize"/> (0 = no record); false if it is not.
    /// </summary>
    /// <param name="origin">The log origin.</param>
    /// <param name="expectedSize">The size the record must have.</param>
    /// <param name="next">The new record.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    ValueTask<bool> TryAdvanceAsync(string origin, long expectedSize, WitnessedCheckpoint next, CancellationToken cancellationToken = default);
}

/// <summary>Witness state in memory (tests and tools).</summary>
public sealed class InMemoryWitnessStateStore : IWitnessStateStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WitnessedCheckpoint> _state = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<WitnessedCheckpoint?> GetAsync(string origin, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_state.GetValueOrDefault(origin));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryAdvanceAsync(string origin, long expectedSize, WitnessedCheckpoint next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_gate)
        {
            var current = _state.GetValueOrDefault(origin)?.Size ?? 0;
            if (current != expectedSize)
            {
                return ValueTask.FromResult(false);
            }

            _state[origin] = next;
            return ValueTask.FromResult(true);
        }
    }
}

/// <summary>Witness state in a SQLite file (WAL, synchronous=FULL).</summary>
public sealed class SqliteWitnessStateStore : IWitnessStateStore, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteWitnessStateStore(SqliteConnection connection) => _connection = connection;

    /// <summary>Opens (creating if needed) the store in the SQLite file at <paramref name="path"/>.</summary>
    /// <param name="path">The database file (may be the log's file).</param>
    public static SqliteWitnessStateStore Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            PRAGMA busy_timeout=10000;
            CREATE TABLE IF NOT EXISTS witness_state (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, checkpoint TEXT NOT NULL);
            """;
        command.ExecuteNonQuery();
        return new SqliteWitnessStateStore(connection);
    }

    /// <inheritdoc />
    public async ValueTask<WitnessedCheckpoint?> GetAsync(string origin, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT size, root, checkpoint FROM witness_state WHERE origin = $o";
            command.Parameters.AddWithValue("$o", origin);
            using var reader = command.ExecuteReader();
            return reader.Read() ? new WitnessedCheckpoint(reader.GetInt64(0), new MerkleHash((byte[])reader.GetValue(1)), reader.GetString(2)) : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryAdvanceAsync(string origin, long expectedSize, WitnessedCheckpoint next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _connection.BeginTransaction();
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = expectedSize == 0
                ? "INSERT INTO witness_state (origin, size, root, checkpoint) VALUES ($o, $s, $r, $c) ON CONFLICT (origin) DO UPDATE SET size = $s, root = $r, checkpoint = $c WHERE witness_state.size = 0"
                : "UPDATE witness_state SET size = $s, root = $r, checkpoint = $c WHERE origin = $o AND size = $e";
            command.Parameters.AddWithValue("$o", origin);
            command.Parameters.AddWithValue("$s", next.Size);
            command.Parameters.AddWithValue("$r", next.Root.ToArray());
            command.Parameters.AddWithValue("$c", next.SignedCheckpoint);
            command.Parameters.AddWithValue("$e", expectedSize);
            var changed = command.ExecuteNonQuery() == 1;
            transaction.Commit();
            return changed;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }
}

/// <summary>Witness state in PostgreSQL.</summary>
public sealed class PostgresWitnessStateStore : IWitnessStateStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    private PostgresWitnessStateStore(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>Opens (creating the table if needed) the store.</summary>
    /// <param name="connectionString">The Npgsql connection string.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static async Task<PostgresWitnessStateStore> OpenAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("CREATE TABLE IF NOT EXISTS witness_state (origin text PRIMARY KEY, size bigint NOT NULL, root bytea NOT NULL, checkpoint text NOT NULL)");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return new PostgresWitnessStateStore(dataSource);
    }

    /// <inheritdoc />
    public async ValueTask<WitnessedCheckpoint?> GetAsync(string origin, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("SELECT size, root, checkpoint FROM witness_state WHERE origin = $1");
        command.Parameters.AddWithValue(origin);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new WitnessedCheckpoint(reader.GetInt64(0), new MerkleHash((byte[])reader.GetValue(1)), reader.GetString(2))
            : null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryAdvanceAsync(string origin, long expectedSize, WitnessedCheckpoint next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        await using var command = _dataSource.CreateCommand(expectedSize == 0
            ? "INSERT INTO witness_state (origin, size, root, checkpoint) VALUES ($1, $2, $3, $4) ON CONFLICT (origin) DO UPDATE SET size = $2, root = $3, checkpoint = $4 WHERE witness_state.size = 0"
            : "UPDATE witness_state SET size = $2, root = $3, checkpoint = $4 WHERE origin = $1 AND size = $5");
        command.Parameters.AddWithValue(origin);
        command.Parameters.AddWithValue(next.Size);
        command.Parameters.AddWithValue(next.Root.ToArray());
        command.Parameters.AddWithValue(next.SignedCheckpoint);
        if (expectedSize != 0)
        {
            command.Parameters.AddWithValue(expectedSize);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
