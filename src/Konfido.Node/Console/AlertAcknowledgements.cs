using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Konfido.Node;

/// <summary>An operator's acknowledgement of an alert.</summary>
/// <param name="AlertId">The alert.</param>
/// <param name="By">The operator's person identifier.</param>
/// <param name="ByName">The operator's name.</param>
/// <param name="At">When.</param>
/// <param name="Note">The operator's note, if any.</param>
public sealed record AlertAcknowledgement(string AlertId, string By, string ByName, DateTimeOffset At, string? Note);

/// <summary>
/// The alerts the node's operators acknowledged, in SQLite next to the SIEM's alert store
/// (<c>console.db</c>), or in memory for a node without a data folder. One acknowledgement per alert.
/// </summary>
public sealed class AlertAcknowledgements
{
    /// <summary>The longest note kept.</summary>
    public const int MaxNoteLength = 2000;

    private readonly string _connectionString;

    /// <summary>Opens (creating) the store in <paramref name="directory"/>. Requires an existing folder.</summary>
    public AlertAcknowledgements(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _connectionString = $"Data Source={Path.Combine(directory, "console.db")}";

        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE IF NOT EXISTS alert_acknowledgements (alert_id TEXT PRIMARY KEY, by_id TEXT NOT NULL, by_name TEXT NOT NULL, at TEXT NOT NULL, note TEXT)";
        command.ExecuteNonQuery();
    }

    /// <summary>Records an acknowledgement; false if the alert was already acknowledged (the first one stands).</summary>
    public async Task<bool> AddAsync(AlertAcknowledgement acknowledgement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(acknowledgement);
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO alert_acknowledgements (alert_id, by_id, by_name, at, note) VALUES ($a, $b, $n, $t, $o)";
        command.Parameters.AddWithValue("$a", acknowledgement.AlertId);
        command.Parameters.AddWithValue("$b", acknowledgement.By);
        command.Parameters.AddWithValue("$n", acknowledgement.ByName);
        command.Parameters.AddWithValue("$t", acknowledgement.At.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$o", (object?)acknowledgement.Note ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>Every acknowledgement, by alert id.</summary>
    public async Task<IReadOnlyDictionary<string, AlertAcknowledgement>> AllAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT alert_id, by_id, by_name, at, note FROM alert_acknowledgements";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, AlertAcknowledgement>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result[reader.GetString(0)] = new AlertAcknowledgement(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture), reader.IsDBNull(4) ? null : reader.GetString(4));
        }

        return result;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }
}
