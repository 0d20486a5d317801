using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Alerts;

/// <summary>The column layout shared by the SQL stores.</summary>
internal static class AlertRows
{
    public const string Columns = "id, dedup_key, rule_id, title, severity, kind, node, first_seen, last_seen, count, grp, evidence, description";

    public static void Bind(DbCommand command, Alert alert, Func<DateTimeOffset, object> time)
    {
        Add(command, "id", alert.Id);
        Add(command, "dedup_key", alert.DeduplicationKey);
        Add(command, "rule_id", alert.RuleId);
        Add(command, "title", alert.Title);
        Add(command, "severity", (int)alert.Severity);
        Add(command, "kind", alert.Kind.ToString());
        Add(command, "node", alert.Node);
        Add(command, "first_seen", time(alert.FirstSeen));
        Add(command, "last_seen", time(alert.LastSeen));
        Add(command, "count", alert.Count);
        Add(command, "grp", JsonSerializer.Serialize(alert.Group));
        Add(command, "evidence", JsonSerializer.Serialize(alert.Evidence));
        Add(command, "description", (object?)alert.Description ?? DBNull.Value);
    }

    public static Alert Read(DbDataReader reader, Func<DbDataReader, int, DateTimeOffset> time) => new()
    {
        Id = reader.GetString(0),
        DeduplicationKey = reader.GetString(1),
        RuleId = reader.GetString(2),
        Title = reader.GetString(3),
        Severity = (SigmaLevel)reader.GetInt32(4),
        Kind = Enum.Parse<AlertKind>(reader.GetString(5)),
        Node = reader.GetString(6),
        FirstSeen = time(reader, 7),
        LastSeen = time(reader, 8),
        Count = reader.GetInt32(9),
        Group = JsonSerializer.Deserialize<Dictionary<string, string?>>(reader.GetString(10)) ?? [],
        Evidence = JsonSerializer.Deserialize<List<string>>(reader.GetString(11)) ?? [],
        Description = reader.IsDBNull(12) ? null : reader.GetString(12),
    };

    public static string IsoTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = "@" + name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
