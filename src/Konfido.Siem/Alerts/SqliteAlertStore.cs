using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Konfido.Siem.Alerts;

/// <summary>Alerts in an SQLite database (the embedded default). Thread-safe; one connection per call.</summary>
public sealed class SqliteAlertStore : SqlAlertStore
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

    private protected override string SchemaSql => """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS siem_alerts (
          id TEXT PRIMARY KEY, dedup_key TEXT NOT NULL, rule_id TEXT NOT NULL, title TEXT NOT NULL,
          severity INTEGER NOT NULL, kind TEXT NOT NULL, node TEXT NOT NULL, first_seen TEXT NOT NULL,
          last_seen TEXT NOT NULL, count INTEGER NOT NULL, grp TEXT NOT NULL, evidence TEXT NOT NULL, description TEXT,
          received_from TEXT);
        CREATE INDEX IF NOT EXISTS siem_alerts_key ON siem_alerts (dedup_key, last_seen);
        CREATE INDEX IF NOT EXISTS siem_alerts_seen ON siem_alerts (last_seen);
        """;

    private protected override string UpsertSql => $"INSERT OR REPLACE INTO siem_alerts ({Columns}) VALUES ({Parameters})";

    // ISO 8601 text with 100 ns precision in UTC: sorts as it reads.
    private protected override object ToDatabase(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    private protected override async Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // Tables from before alert sharing lack received_from (SQLite has no ADD COLUMN IF NOT EXISTS).
        await using var probe = connection.CreateCommand();
        probe.CommandText = "SELECT COUNT(*) FROM pragma_table_info('siem_alerts') WHERE name = 'received_from'";
        if (Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
        {
            await using var alter = connection.CreateCommand();
            alter.CommandText = "ALTER TABLE siem_alerts ADD COLUMN received_from TEXT";
            await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }
}
