using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Alerts;

/// <summary>
/// What the SQL alert stores share: the table layout, the queries and the row mapping. A store
/// supplies its connection, its upsert statement and its time representation through
/// <c>private protected</c> members; implementations: <see cref="SqliteAlertStore"/> and
/// <see cref="PostgresAlertStore"/>. Thread-safe; one connection per call.
/// </summary>
public abstract class SqlAlertStore : IAlertStore
{
    /// <summary>The columns, in the order <see cref="Read"/> expects them.</summary>
    private protected const string Columns = "id, dedup_key, rule_id, title, severity, kind, node, first_seen, last_seen, count, grp, evidence, description, received_from";

    /// <summary>The parameter list matching <see cref="Columns"/>.</summary>
    private protected const string Parameters = "@id, @dedup_key, @rule_id, @title, @severity, @kind, @node, @first_seen, @last_seen, @count, @grp, @evidence, @description, @received_from";

    private protected SqlAlertStore()
    {
    }

    /// <summary>Opens a connection.</summary>
    private protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>The statements that create the table and its indexes if needed (idempotent).</summary>
    private protected abstract string SchemaSql { get; }

    /// <summary>The statement inserting a row, or replacing the row with the same id.</summary>
    private protected abstract string UpsertSql { get; }

    /// <summary>The database value of a time.</summary>
    private protected abstract object ToDatabase(DateTimeOffset time);

    /// <summary>The time in column <paramref name="ordinal"/> of the current row.</summary>
    private protected abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>Brings a table created by an earlier version up to the current layout (idempotent).</summary>
    private protected abstract Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = SchemaSql;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task UpsertAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = UpsertSql;
        Add(command, "id", alert.Id);
        Add(command, "dedup_key", alert.DeduplicationKey);
        Add(command, "rule_id", alert.RuleId);
        Add(command, "title", alert.Title);
        Add(command, "severity", (int)alert.Severity);
        Add(command, "kind", alert.Kind.ToString());
        Add(command, "node", alert.Node);
        Add(command, "first_seen", ToDatabase(alert.FirstSeen));
        Add(command, "last_seen", ToDatabase(alert.LastSeen));
        Add(command, "count", alert.Count);
        Add(command, "grp", JsonSerializer.Serialize(alert.Group));
        Add(command, "evidence", JsonSerializer.Serialize(alert.Evidence));
        Add(command, "description", (object?)alert.Description ?? DBNull.Value);
        Add(command, "received_from", (object?)alert.ReceivedFrom ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Alert?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var list = await QueryAsync($"SELECT {Columns} FROM siem_alerts WHERE id = @p", id, cancellationToken).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    /// <remarks>Only alerts raised here: alerts received from other countries are never merged into.</remarks>
    public async Task<Alert?> FindLatestAsync(string deduplicationKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deduplicationKey);
        var list = await QueryAsync($"SELECT {Columns} FROM siem_alerts WHERE dedup_key = @p AND received_from IS NULL ORDER BY last_seen DESC LIMIT 1",
            deduplicationKey, cancellationToken).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Alert>> ListAsync(DateTimeOffset? since = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var sql = $"SELECT {Columns} FROM siem_alerts WHERE last_seen >= @p ORDER BY last_seen DESC, id LIMIT {limit.ToString(CultureInfo.InvariantCulture)}";
        return await QueryAsync(sql, ToDatabase(since ?? DateTimeOffset.UnixEpoch), cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<Alert>> QueryAsync(string sql, object parameter, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Add(command, "p", parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<Alert>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(Read(reader));
        }

        return result;
    }

    private Alert Read(DbDataReader reader) => new()
    {
        Id = reader.GetString(0),
        DeduplicationKey = reader.GetString(1),
        RuleId = reader.GetString(2),
        Title = reader.GetString(3),
        Severity = (SigmaLevel)reader.GetInt32(4),
        Kind = Enum.Parse<AlertKind>(reader.GetString(5)),
        Node = reader.GetString(6),
        FirstSeen = ReadTime(reader, 7),
        LastSeen = ReadTime(reader, 8),
        Count = reader.GetInt32(9),
        Group = JsonSerializer.Deserialize<Dictionary<string, string?>>(reader.GetString(10)) ?? [],
        Evidence = JsonSerializer.Deserialize<List<string>>(reader.GetString(11)) ?? [],
        Description = reader.IsDBNull(12) ? null : reader.GetString(12),
        ReceivedFrom = reader.IsDBNull(13) ? null : reader.GetString(13),
    };

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = "@" + name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
