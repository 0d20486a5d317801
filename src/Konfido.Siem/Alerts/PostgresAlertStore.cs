using System.Globalization;
using Npgsql;

namespace Konfido.Siem.Alerts;

/// <summary>Alerts in PostgreSQL (production). Thread-safe; uses an <see cref="NpgsqlDataSource"/> it owns.</summary>
public sealed class PostgresAlertStore : IAlertStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Creates a store over a PostgreSQL connection string.</summary>
    /// <param name="connectionString">The connection string.</param>
    public PostgresAlertStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("""
            CREATE TABLE IF NOT EXISTS siem_alerts (
              id TEXT PRIMARY KEY, dedup_key TEXT NOT NULL, rule_id TEXT NOT NULL, title TEXT NOT NULL,
              severity INTEGER NOT NULL, kind TEXT NOT NULL, node TEXT NOT NULL, first_seen TIMESTAMPTZ NOT NULL,
              last_seen TIMESTAMPTZ NOT NULL, count INTEGER NOT NULL, grp TEXT NOT NULL, evidence TEXT NOT NULL, description TEXT);
            CREATE INDEX IF NOT EXISTS siem_alerts_key ON siem_alerts (dedup_key, last_seen);
            CREATE INDEX IF NOT EXISTS siem_alerts_seen ON siem_alerts (last_seen);
            """);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task UpsertAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO siem_alerts ({AlertRows.Columns}) VALUES (@id, @dedup_key, @rule_id, @title, @severity, @kind, @node, @first_seen, @last_seen, @count, @grp, @evidence, @description)
            ON CONFLICT (id) DO UPDATE SET dedup_key = EXCLUDED.dedup_key, rule_id = EXCLUDED.rule_id, title = EXCLUDED.title,
              severity = EXCLUDED.severity, kind = EXCLUDED.kind, node = EXCLUDED.node, first_seen = EXCLUDED.first_seen,
              last_seen = EXCLUDED.last_seen, count = EXCLUDED.count, grp = EXCLUDED.grp, evidence = EXCLUDED.evidence,
              description = EXCLUDED.description
            """);
        AlertRows.Bind(command, alert, t => t.ToUniversalTime());
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
        return await QueryAsync(sql, (since ?? DateTimeOffset.UnixEpoch).ToUniversalTime(), cancellationToken);
    }

    private async Task<List<Alert>> QueryAsync(string sql, object parameter, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("p", parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<Alert>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(AlertRows.Read(reader, (r, i) => new DateTimeOffset(r.GetDateTime(i), TimeSpan.Zero)));
        }

        return result;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
