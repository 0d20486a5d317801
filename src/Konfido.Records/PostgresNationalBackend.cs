using System.Data.Common;
using Npgsql;

namespace Konfido.Records;

/// <summary>The national back end for real deployments: PostgreSQL through Npgsql (pooled data source).</summary>
public sealed class PostgresNationalBackend : RelationalNationalBackend
{
    // Serialises concurrent schema creation by several nodes sharing one database.
    private const long SchemaLockKey = 0x4B4F4E4649444F; // "KONFIDO"

    private readonly NpgsqlDataSource _dataSource;

    private PostgresNationalBackend(CountryProfile profile, TimeProvider? time, NpgsqlDataSource dataSource)
        : base(profile, time) => _dataSource = dataSource;

    /// <summary>Connects to the database named by <paramref name="connectionString"/> and creates the schema if absent.</summary>
    /// <param name="connectionString">An Npgsql connection string. Requires non-empty.</param>
    /// <param name="profile">The country served.</param>
    /// <param name="time">The clock; the system clock if null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    public static async Task<PostgresNationalBackend> OpenAsync(string connectionString, CountryProfile profile, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        var backend = new PostgresNationalBackend(profile, time, dataSource);
        try
        {
            await backend.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return backend;
    }

    /// <inheritdoc />
    private protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    private protected override async Task BeforeSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT pg_advisory_xact_lock({SchemaLockKey})";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
