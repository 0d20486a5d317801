using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Konfido.Siem.Alerts;

/// <summary>Alerts in an SQLite database (the embedded default). Thread-safe; one connection per call.</summary>
public sealed class SqliteAlertStore : IAlertStore
{
    private readonly string _connectionString;

    /// <summary>Creates a store over an SQLite connection string (e.g. <c>Data Source=alerts.db</c>).</summary>
    /// <param name="connectionString">The connection string.</param>
    public SqliteAlertStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _connectionString = connectionString;
    }

    /// <summary>A store in the file <paramref name="path"/>.</summary>
    /// <param name="path">The database file.</param>
    public static SqliteAlertStore ForFile(string path) =>
        new(new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString());

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS siem_alerts (
              id TEXT PRIMARY KEY, dedup_key TEXT NOT NULL, rule_id TEXT NOT NULL, title TEXT NOT NULL,
              severity INTEGER NOT NULL, kind TEXT NOT NULL, node TEXT NOT NULL, first_seen TEXT NOT NULL,
              last_seen TEXT NOT NULL, count INTEGER NOT NULL, grp TEXT NOT NULL, evidence TEXT NOT NULL, description TEXT);
            CREATE INDEX IF NOT EXISTS siem_alerts_key ON siem_alerts (dedup_key, last_seen);
            CREATE INDEX IF NOT EXISTS siem_alerts_seen ON siem_alerts (last_seen);
            """;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task UpsertAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT OR REPLACE INTO siem_alerts ({AlertRows.Columns}) VALUES (@id, @dedup_key, @rule_id, @title, @severity, @kind, @node, @first_seen, @last_seen, @count, @grp, @evidence, @description)";
        AlertRows.Bind(command, alert, t => AlertRows.IsoTime(t));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Alert?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var list = await QueryAsync($"SELECT {AlertRows.Columns} FROM siem_alerts WHERE id = @p", id, cancellationToken);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<Alert?> FindLatestAsync(string deduplicationKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deduplicationKey);
        var list = await QueryAsync($"SELECT {AlertRows.Columns} FROM siem_alerts WHERE dedup_key = @p ORDER BY last_seen DESC LIMIT 1", deduplicationKey, cancellationToken);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Alert>> ListAsync(DateTimeOffset? since = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var sql = $"SELECT {AlertRows.Columns} FROM siem_alerts WHERE last_seen >= @p ORDER BY last_seen DESC, id LIMIT {limit.ToString(CultureInfo.InvariantCulture)}";
        return await QueryAsync(sql, AlertRows.IsoTime(since ?? DateTimeOffset.MinValue), cancellationToken);
    }

    private async Task<List<Alert>> QueryAsync(string sql, string parameter, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("@p", parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<Alert>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(AlertRows.Read(reader, (r, i) => DateTimeOffset.Parse(r.GetString(i), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)));
        }

        return result;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
