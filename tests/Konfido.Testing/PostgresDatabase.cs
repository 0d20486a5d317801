using Npgsql;

namespace Konfido.Testing;

/// <summary>
/// A fresh, empty PostgreSQL database on the real test server, dropped on dispose. The server is
/// named by the KONFIDO_TEST_PG connection string, which the test command (test.sh, via
/// scripts/postgres.sh) exports after installing and starting PostgreSQL. Tests that need it fail,
/// never skip, when it is missing.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    /// <summary>The environment variable holding the admin connection string.</summary>
    public const string EnvironmentVariable = "KONFIDO_TEST_PG";

    private readonly string _adminConnectionString;

    private PostgresDatabase(string adminConnectionString, string name, string connectionString)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The database name.</summary>
    public string Name { get; }

    /// <summary>A connection string to the new database.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates a new uniquely named database.</summary>
    public static async Task<PostgresDatabase> CreateAsync(string prefix = "konfido_test")
    {
        var admin = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(admin))
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set: run the tests with ./test.sh, which installs and starts PostgreSQL, " +
                "or point it at a server (e.g. Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres).");
        }

        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new PostgresDatabase(admin, name, builder.ConnectionString);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
