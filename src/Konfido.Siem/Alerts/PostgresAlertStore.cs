using System.Data.Common;
using Npgsql;

namespace Konfido.Siem.Alerts;

/// <summary>Alerts in PostgreSQL (production). Thread-safe; uses an <see cref="NpgsqlDataSource"/> it owns.</summary>
public sealed class PostgresAlertStore : SqlAlertStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Creates a store over a PostgreSQL connection string.</summary>
    /// <param name="connectionString">The connection string.</param>
    public PostgresAlertStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    private protected override string SchemaSql => """
        CREATE TABLE IF NOT EXISTS siem_alerts (
          id TEXT PRIMARY KEY, dedup_key TEXT NOT NULL, rule_id TEXT NOT NULL, title TEXT NOT NULL,
          severity INTEGER NOT NULL, kind TEXT NOT NULL, node TEXT NOT NULL, first_seen TIMESTAMPTZ NOT NULL,
          last_seen TIMESTAMPTZ NOT NULL, count INTEGER NOT NULL, grp TEXT NOT NULL, evidence TEXT NOT NULL, description TEXT,
          received_from TEXT);
        CREATE INDEX IF NOT EXISTS siem_alerts_key ON siem_alerts (dedup_key, last_seen);
        CREATE INDEX IF NOT EXISTS siem_alerts_seen ON siem_alerts (last_seen);
        """;

    private protected override string UpsertSql => $"""
        INSERT INTO siem_alerts ({Columns}) VALUES ({Parameters})
        ON CONFLICT (id) DO UPDATE SET dedup_key = EXCLUDED.dedup_key, rule_id = EXCLUDED.rule_id, title = EXCLUDED.title,
          severity = EXCLUDED.severity, kind = EXCLUDED.kind, node = EXCLUDED.node, first_seen = EXCLUDED.first_seen,
          last_seen = EXCLUDED.last_seen, count = EXCLUDED.count, grp = EXCLUDED.grp, evidence = EXCLUDED.evidence,
          description = EXCLUDED.description, received_from = EXCLUDED.received_from
        """;

    private protected override object ToDatabase(DateTimeOffset time) => time.ToUniversalTime();

    private protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc));

    private protected override async Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var alter = connection.CreateCommand();
        alter.CommandText = "ALTER TABLE siem_alerts ADD COLUMN IF NOT EXISTS received_from TEXT";
        await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
