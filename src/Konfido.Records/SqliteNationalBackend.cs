using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Konfido.Records;

/// <summary>
/// The embedded national back end: SQLite through Microsoft.Data.Sqlite, in a file (WAL journal, so readers do not
/// block the writer) or in memory (a shared-cache database that lives as long as this object).
/// </summary>
public sealed class SqliteNationalBackend : RelationalNationalBackend
{
    private readonly string _connectionString;
    private readonly SqliteConnection? _keepAlive;

    private SqliteNationalBackend(CountryProfile profile, TimeProvider? time, string connectionString, SqliteConnection? keepAlive)
        : base(profile, time)
    {
        _connectionString = connectionString;
        _keepAlive = keepAlive;
    }

    /// <summary>
    /// Opens (creating if needed) the SQLite database at <paramref name="path"/> for <paramref name="profile"/>'s country,
    /// switches it to WAL and creates the schema. Requires a non-empty path whose directory exists.
    /// </summary>
    /// <param name="path">The database file.</param>
    /// <param name="profile">The country served.</param>
    /// <param name="time">The clock (summary timestamps, dispense times); the system clock if null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    public static async Task<SqliteNationalBackend> OpenFileAsync(string path, CountryProfile profile, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            ForeignKeys = true,
            DefaultTimeout = 30,
            Pooling = true,
        }.ToString();
        var backend = new SqliteNationalBackend(profile, time, connectionString, null);
        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await backend.InitializeAsync(cancellationToken).ConfigureAwait(false);
        return backend;
    }

    /// <summary>Opens a fresh in-memory database for <paramref name="profile"/>'s country; it is gone on dispose.</summary>
    /// <param name="profile">The country served.</param>
    /// <param name="time">The clock; the system clock if null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    public static async Task<SqliteNationalBackend> OpenInMemoryAsync(CountryProfile profile, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = $"konfido-{Guid.NewGuid():N}",
            Mode = SqliteOpenMode.Memory,
            Cache = SqliteCacheMode.Shared,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
        var keepAlive = new SqliteConnection(connectionString);
        await keepAlive.OpenAsync(cancellationToken).ConfigureAwait(false);
        var backend = new SqliteNationalBackend(profile, time, connectionString, keepAlive);
        await backend.InitializeAsync(cancellationToken).ConfigureAwait(false);
        return backend;
    }

    /// <inheritdoc />
    private protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_keepAlive is not null)
        {
            await _keepAlive.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        }
    }
}
