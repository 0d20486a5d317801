using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Konfido.Core;
using Microsoft.Data.Sqlite;

namespace Konfido.Node;

/// <summary>Where one run of the node began in the console's event sequence.</summary>
/// <param name="Base">The sequence of the last event before the run (its first event is <c>Base + 1</c>).</param>
/// <param name="StartedAt">When the run's console opened.</param>
public sealed record ConsoleRun(long Base, DateTimeOffset StartedAt);

/// <summary>What the console's store held when it was opened.</summary>
internal sealed record ConsoleActivitySnapshot(
    IReadOnlyList<(ConsoleEvent Event, int Kind)> Events,
    IReadOnlyDictionary<long, Dictionary<string, int>> Minutes,
    IReadOnlyList<ObservedDevice> Devices,
    IReadOnlyList<ConsoleRun> Runs);

/// <summary>What one flush writes: the events not yet written, and the minutes and devices changed since the last flush.</summary>
internal sealed record ConsoleActivityBatch(
    IReadOnlyList<(ConsoleEvent Event, int Kind)> Events,
    IReadOnlyDictionary<long, Dictionary<string, int>> Minutes,
    IReadOnlyList<ObservedDevice> Devices,
    long LastSequence,
    long OldestMinute);

/// <summary>
/// The console's SQLite file (<c>console-activity.db</c> in the node's data folder): the events the
/// console keeps (patients already pseudonymised), the per-minute counts, the device summaries and
/// where each run of the node began. Write-ahead log with <c>synchronous=NORMAL</c>: a committed
/// flush survives the process being killed (not necessarily a power cut, which may lose the last
/// flushes but leaves the file readable). Used by one writer at a time (<see cref="ConsoleActivity"/>'s flush).
/// A file that cannot be read is moved aside (<c>.corrupt-*</c>) and a new one started: the console is a
/// view, the ledger and the SIEM's stores are the records.
/// </summary>
internal sealed class ConsoleActivityStore : IDisposable
{
    /// <summary>Event kinds: kept in the ring only, HE jobs and node events (each kept to its own capacity).</summary>
    public const int Ordinary = 0, Analytics = 1, Health = 2;

    // SQLite result codes of a damaged file (https://www.sqlite.org/rescode.html); anything else (a full disk, no permission) is not the file's fault.
    private const int Corrupt = 11, NotADatabase = 26;

    private readonly SqliteConnection _connection;

    private ConsoleActivityStore(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Set when the file could not be read and was moved aside (to this path).</summary>
    public string? MovedAside { get; private set; }

    /// <summary>
    /// Opens (creating, or replacing a damaged file) the store at <paramref name="path"/> and reads what it holds.
    /// Throws <see cref="SqliteException"/> or <see cref="IOException"/> when the file cannot be opened for another reason (a full disk, no permission).
    /// </summary>
    public static (ConsoleActivityStore Store, ConsoleActivitySnapshot Snapshot) Open(string path, int capacity, int analyticsCapacity, int healthCapacity)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return OpenOrThrow(path, capacity, analyticsCapacity, healthCapacity);
        }
        catch (Exception ex) when (ex is SqliteException { SqliteErrorCode: Corrupt or NotADatabase } or JsonException or FormatException or InvalidDataException)
        {
            SqliteConnection.ClearAllPools();
            var aside = $"{path}.corrupt-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}";
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                if (File.Exists(path + suffix))
                {
                    File.Move(path + suffix, aside + suffix);
                }
            }

            var (store, snapshot) = OpenOrThrow(path, capacity, analyticsCapacity, healthCapacity);
            store.MovedAside = aside;
            return (store, snapshot);
        }
    }

    private static (ConsoleActivityStore, ConsoleActivitySnapshot) OpenOrThrow(string path, int capacity, int analyticsCapacity, int healthCapacity)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            connection.Open();
            Execute(connection, """
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=NORMAL;
                CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, received INTEGER NOT NULL, kind INTEGER NOT NULL, body TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS events_kind ON events (kind, seq);
                CREATE TABLE IF NOT EXISTS minutes (minute INTEGER NOT NULL, category TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (minute, category)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS runs (base INTEGER PRIMARY KEY, started INTEGER NOT NULL);
                """);
            using (var check = connection.CreateCommand())
            {
                check.CommandText = "PRAGMA quick_check";
                if (check.ExecuteScalar() as string != "ok")
                {
                    throw new InvalidDataException($"{path}: the SQLite integrity check failed");
                }
            }

            var events = new List<(ConsoleEvent, int)>();
            var last = Scalar(connection, "SELECT coalesce(max(seq), 0) FROM events");
            using (var command = connection.CreateCommand())
            {
                // The ring's window, and the HE jobs and node events kept beyond it.
                command.CommandText = """
                    SELECT seq, received, kind, body FROM events WHERE seq > $ring
                    UNION SELECT seq, received, kind, body FROM (SELECT * FROM events WHERE kind = 1 ORDER BY seq DESC LIMIT $analytics)
                    UNION SELECT seq, received, kind, body FROM (SELECT * FROM events WHERE kind = 2 ORDER BY seq DESC LIMIT $health)
                    ORDER BY seq
                    """;
                command.Parameters.AddWithValue("$ring", last - capacity);
                command.Parameters.AddWithValue("$analytics", analyticsCapacity);
                command.Parameters.AddWithValue("$health", healthCapacity);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var e = JsonSerializer.Deserialize(reader.GetString(3), ConsoleStoreJson.Default.SecurityEvent)
                        ?? throw new InvalidDataException($"{path}: event {reader.GetInt64(0)} is empty");
                    events.Add((new ConsoleEvent(reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), e), reader.GetInt32(2)));
                }
            }

            var minutes = new Dictionary<long, Dictionary<string, int>>();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT minute, category, count FROM minutes";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    if (!minutes.TryGetValue(reader.GetInt64(0), out var counts))
                    {
                        minutes[reader.GetInt64(0)] = counts = new Dictionary<string, int>(StringComparer.Ordinal);
                    }

                    counts[reader.GetString(1)] = reader.GetInt32(2);
                }
            }

            var devices = new List<ObservedDevice>();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT body FROM devices";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    devices.Add(JsonSerializer.Deserialize(reader.GetString(0), ConsoleStoreJson.Default.ObservedDevice) ?? throw new InvalidDataException($"{path}: an empty device"));
                }
            }

            var runs = new List<ConsoleRun>();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT base, started FROM runs ORDER BY base, started";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    runs.Add(new ConsoleRun(reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))));
                }
            }

            return (new ConsoleActivityStore(path, connection), new ConsoleActivitySnapshot(events, minutes, devices, runs));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Records that a run begins after sequence <paramref name="run"/>.Base (durably, at once).</summary>
    public void AddRun(ConsoleRun run)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO runs (base, started) VALUES ($b, $s)";
        command.Parameters.AddWithValue("$b", run.Base);
        command.Parameters.AddWithValue("$s", run.StartedAt.ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
    }

    /// <summary>Writes <paramref name="batch"/> in one transaction and drops what the console no longer keeps.</summary>
    public void Write(ConsoleActivityBatch batch, int capacity, int analyticsCapacity, int healthCapacity)
    {
        using var transaction = _connection.BeginTransaction();
        using (var insert = _connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR REPLACE INTO events (seq, received, kind, body) VALUES ($s, $r, $k, $b)";
            var (seq, received, kind, body) = (insert.Parameters.Add("$s", SqliteType.Integer), insert.Parameters.Add("$r", SqliteType.Integer),
                insert.Parameters.Add("$k", SqliteType.Integer), insert.Parameters.Add("$b", SqliteType.Text));
            foreach (var (e, k) in batch.Events)
            {
                (seq.Value, received.Value, kind.Value, body.Value) = (e.Sequence, e.Received.ToUnixTimeMilliseconds(), k, JsonSerializer.Serialize(e.Event, ConsoleStoreJson.Default.SecurityEvent));
                insert.ExecuteNonQuery();
            }
        }

        using (var upsert = _connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = "INSERT OR REPLACE INTO minutes (minute, category, count) VALUES ($m, $c, $n)";
            var (minute, category, count) = (upsert.Parameters.Add("$m", SqliteType.Integer), upsert.Parameters.Add("$c", SqliteType.Text), upsert.Parameters.Add("$n", SqliteType.Integer));
            foreach (var (m, counts) in batch.Minutes)
            {
                foreach (var (c, n) in counts)
                {
                    (minute.Value, category.Value, count.Value) = (m, c, n);
                    upsert.ExecuteNonQuery();
                }
            }
        }

        using (var upsert = _connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = "INSERT OR REPLACE INTO devices (id, body) VALUES ($i, $b)";
            var (id, body) = (upsert.Parameters.Add("$i", SqliteType.Text), upsert.Parameters.Add("$b", SqliteType.Text));
            foreach (var device in batch.Devices)
            {
                (id.Value, body.Value) = (device.DeviceId, JsonSerializer.Serialize(device, ConsoleStoreJson.Default.ObservedDevice));
                upsert.ExecuteNonQuery();
            }
        }

        using (var prune = _connection.CreateCommand())
        {
            prune.Transaction = transaction;
            prune.CommandText = """
                DELETE FROM events WHERE kind = 0 AND seq <= $last - $capacity;
                DELETE FROM events WHERE kind = 1 AND seq <= $last - $capacity AND seq < coalesce((SELECT seq FROM events WHERE kind = 1 ORDER BY seq DESC LIMIT 1 OFFSET $analytics - 1), 0);
                DELETE FROM events WHERE kind = 2 AND seq <= $last - $capacity AND seq < coalesce((SELECT seq FROM events WHERE kind = 2 ORDER BY seq DESC LIMIT 1 OFFSET $health - 1), 0);
                DELETE FROM minutes WHERE minute < $oldest;
                """;
            prune.Parameters.AddWithValue("$last", batch.LastSequence);
            prune.Parameters.AddWithValue("$capacity", capacity);
            prune.Parameters.AddWithValue("$analytics", analyticsCapacity);
            prune.Parameters.AddWithValue("$health", healthCapacity);
            prune.Parameters.AddWithValue("$oldest", batch.OldestMinute);
            prune.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}

/// <summary>The JSON forms the console's store keeps (source-generated).</summary>
[JsonSerializable(typeof(SecurityEvent))]
[JsonSerializable(typeof(ObservedDevice))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ConsoleStoreJson : JsonSerializerContext;
