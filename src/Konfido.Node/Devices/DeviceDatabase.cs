using Konfido.Puf.Protocol;
using Microsoft.Data.Sqlite;

namespace Konfido.Node;

/// <summary>
/// The node's device records in one SQLite file (<c>devices.db</c> under the data folder, WAL,
/// <c>synchronous=FULL</c>): PUF enrolments with their single-use challenges (reference responses only
/// as custody ciphertexts), the analytics programs devices upload to, the running encrypted aggregate
/// of each program, and every accepted upload id (so that a retried upload is never counted twice).
/// One connection, every statement serialised: device traffic is small next to the HE work it carries.
/// </summary>
internal sealed class DeviceDatabase : IPufEnrolmentStore, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    private DeviceDatabase(SqliteConnection connection) => _connection = connection;

    /// <summary>Opens (creating) the database at <paramref name="path"/>, or an in-memory one when null.</summary>
    public static DeviceDatabase Open(string? path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path ?? ":memory:",
            Mode = path is null ? SqliteOpenMode.Memory : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        connection.Open();
        var database = new DeviceDatabase(connection);
        database.Execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            PRAGMA busy_timeout=10000;
            CREATE TABLE IF NOT EXISTS puf_devices (device_id TEXT PRIMARY KEY, enrolled_at TEXT NOT NULL, response_bits INTEGER NOT NULL, fingerprint BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS puf_challenges (device_id TEXT NOT NULL, idx INTEGER NOT NULL, seed BLOB NOT NULL, reference BLOB NOT NULL, used INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (device_id, idx)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS he_programs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, unit TEXT NOT NULL, decimals INTEGER NOT NULL, program BLOB NOT NULL,
                evaluation_keys BLOB NOT NULL, owner TEXT NOT NULL, registered_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS he_aggregates (program TEXT PRIMARY KEY, ciphertext BLOB NOT NULL, batches INTEGER NOT NULL, readings INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS device_uploads (device_id TEXT NOT NULL, upload_id TEXT NOT NULL, program TEXT NOT NULL, readings INTEGER NOT NULL,
                received_at TEXT NOT NULL, PRIMARY KEY (device_id, upload_id)) WITHOUT ROWID;
            """);
        return database;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _connection.Dispose();
        }
    }

    // ---- PUF enrolments (IPufEnrolmentStore) ----

    public ValueTask<bool> TryAddAsync(DeviceEnrolment enrolment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(enrolment);
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using (var insert = Command("INSERT OR IGNORE INTO puf_devices (device_id, enrolled_at, response_bits, fingerprint) VALUES ($d, $t, $b, $f)", transaction))
            {
                insert.Parameters.AddWithValue("$d", enrolment.DeviceId);
                insert.Parameters.AddWithValue("$t", enrolment.EnrolledAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                insert.Parameters.AddWithValue("$b", enrolment.ResponseBits);
                insert.Parameters.AddWithValue("$f", enrolment.ProtectedFingerprint);
                if (insert.ExecuteNonQuery() == 0)
                {
                    return ValueTask.FromResult(false);
                }
            }

            foreach (var challenge in enrolment.Challenges)
            {
                using var add = Command("INSERT INTO puf_challenges (device_id, idx, seed, reference) VALUES ($d, $i, $s, $r)", transaction);
                add.Parameters.AddWithValue("$d", enrolment.DeviceId);
                add.Parameters.AddWithValue("$i", challenge.Index);
                add.Parameters.AddWithValue("$s", challenge.Seed);
                add.Parameters.AddWithValue("$r", challenge.ProtectedReference);
                add.ExecuteNonQuery();
            }

            transaction.Commit();
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<DeviceEnrolment?> GetAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(ReadEnrolments(deviceId).FirstOrDefault());
        }
    }

    public ValueTask<IReadOnlyList<DeviceEnrolment>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<DeviceEnrolment>>(ReadEnrolments(null));
        }
    }

    public ValueTask<EnrolledChallenge?> TakeUnusedChallengeAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            // One statement, committed (and fsync'd) before it returns: a challenge is never handed out twice, even across restarts.
            using var take = Command("""
                UPDATE puf_challenges SET used = 1
                WHERE device_id = $d AND idx = (SELECT MIN(idx) FROM puf_challenges WHERE device_id = $d AND used = 0)
                RETURNING idx, seed, reference
                """);
            take.Parameters.AddWithValue("$d", deviceId);
            using var reader = take.ExecuteReader();
            return ValueTask.FromResult(reader.Read() ? new EnrolledChallenge(reader.GetInt32(0), (byte[])reader[1], (byte[])reader[2]) : null);
        }
    }

    public ValueTask<int> RemainingChallengesAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            using var count = Command("SELECT COUNT(*) FROM puf_challenges WHERE device_id = $d AND used = 0");
            count.Parameters.AddWithValue("$d", deviceId);
            return ValueTask.FromResult(Convert.ToInt32(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    // ---- Analytics programs, aggregates and upload ids ----

    public void SaveProgram(StoredProgram program)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using (var save = Command("""
                INSERT INTO he_programs (id, kind, unit, decimals, program, evaluation_keys, owner, registered_at) VALUES ($i, $k, $u, $d, $p, $e, $o, $t)
                ON CONFLICT (id) DO UPDATE SET kind = $k, unit = $u, decimals = $d, program = $p, evaluation_keys = $e, owner = $o, registered_at = $t
                """, transaction))
            {
                save.Parameters.AddWithValue("$i", program.Id);
                save.Parameters.AddWithValue("$k", program.Kind);
                save.Parameters.AddWithValue("$u", program.Unit);
                save.Parameters.AddWithValue("$d", program.Decimals);
                save.Parameters.AddWithValue("$p", program.Program);
                save.Parameters.AddWithValue("$e", program.EvaluationKeys);
                save.Parameters.AddWithValue("$o", program.Owner);
                save.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                save.ExecuteNonQuery();
            }

            // New keys: the old aggregate is under the old key and cannot be added to.
            using (var reset = Command("DELETE FROM he_aggregates WHERE program = $i", transaction))
            {
                reset.Parameters.AddWithValue("$i", program.Id);
                reset.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    public IReadOnlyList<StoredProgram> Programs()
    {
        lock (_gate)
        {
            using var select = Command("SELECT id, kind, unit, decimals, program, evaluation_keys, owner FROM he_programs ORDER BY id");
            using var reader = select.ExecuteReader();
            var result = new List<StoredProgram>();
            while (reader.Read())
            {
                result.Add(new StoredProgram(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), (byte[])reader[4], (byte[])reader[5], reader.GetString(6)));
            }

            return result;
        }
    }

    public StoredAggregate? Aggregate(string programId)
    {
        lock (_gate)
        {
            using var select = Command("SELECT ciphertext, batches, readings FROM he_aggregates WHERE program = $p");
            select.Parameters.AddWithValue("$p", programId);
            using var reader = select.ExecuteReader();
            return reader.Read() ? new StoredAggregate((byte[])reader[0], reader.GetInt64(1), reader.GetInt64(2)) : null;
        }
    }

    public bool HasUpload(string deviceId, string uploadId)
    {
        lock (_gate)
        {
            using var select = Command("SELECT 1 FROM device_uploads WHERE device_id = $d AND upload_id = $u");
            select.Parameters.AddWithValue("$d", deviceId);
            select.Parameters.AddWithValue("$u", uploadId);
            return select.ExecuteScalar() is not null;
        }
    }

    /// <summary>Records an accepted upload and the new aggregate in one transaction; false if the upload id was already recorded.</summary>
    public bool RecordUpload(string deviceId, string uploadId, string programId, int readings, StoredAggregate aggregate)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using (var insert = Command("INSERT OR IGNORE INTO device_uploads (device_id, upload_id, program, readings, received_at) VALUES ($d, $u, $p, $n, $t)", transaction))
            {
                insert.Parameters.AddWithValue("$d", deviceId);
                insert.Parameters.AddWithValue("$u", uploadId);
                insert.Parameters.AddWithValue("$p", programId);
                insert.Parameters.AddWithValue("$n", readings);
                insert.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                if (insert.ExecuteNonQuery() == 0)
                {
                    return false;
                }
            }

            using (var save = Command("""
                INSERT INTO he_aggregates (program, ciphertext, batches, readings) VALUES ($p, $c, $b, $n)
                ON CONFLICT (program) DO UPDATE SET ciphertext = $c, batches = $b, readings = $n
                """, transaction))
            {
                save.Parameters.AddWithValue("$p", programId);
                save.Parameters.AddWithValue("$c", aggregate.Ciphertext);
                save.Parameters.AddWithValue("$b", aggregate.Batches);
                save.Parameters.AddWithValue("$n", aggregate.Readings);
                save.ExecuteNonQuery();
            }

            transaction.Commit();
            return true;
        }
    }

    private List<DeviceEnrolment> ReadEnrolments(string? deviceId)
    {
        var devices = new List<(string Id, DateTimeOffset At, int Bits, byte[] Fingerprint)>();
        using (var select = Command(deviceId is null
            ? "SELECT device_id, enrolled_at, response_bits, fingerprint FROM puf_devices ORDER BY device_id"
            : "SELECT device_id, enrolled_at, response_bits, fingerprint FROM puf_devices WHERE device_id = $d"))
        {
            if (deviceId is not null)
            {
                select.Parameters.AddWithValue("$d", deviceId);
            }

            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                devices.Add((reader.GetString(0), DateTimeOffset.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt32(2), (byte[])reader[3]));
            }
        }

        var result = new List<DeviceEnrolment>(devices.Count);
        foreach (var (id, at, bits, fingerprint) in devices)
        {
            var challenges = new List<EnrolledChallenge>();
            using var select = Command("SELECT idx, seed, reference FROM puf_challenges WHERE device_id = $d ORDER BY idx");
            select.Parameters.AddWithValue("$d", id);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                challenges.Add(new EnrolledChallenge(reader.GetInt32(0), (byte[])reader[1], (byte[])reader[2]));
            }

            result.Add(new DeviceEnrolment(id, at, bits, fingerprint, challenges));
        }

        return result;
    }

    private SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }
}

/// <summary>A registered analytics program as stored.</summary>
internal sealed record StoredProgram(string Id, string Kind, string Unit, int Decimals, byte[] Program, byte[] EvaluationKeys, string Owner);

/// <summary>A program's running encrypted aggregate: the sum of every accepted batch.</summary>
internal sealed record StoredAggregate(byte[] Ciphertext, long Batches, long Readings);
