using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Data.Sqlite;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace Konfido.Policy.Consent;

/// <summary>
/// Keeps patients' FHIR Consent resources with their full version history. Implementations:
/// <see cref="InMemoryConsentStore"/>, <see cref="SqliteConsentStore"/>.
/// </summary>
public interface IConsentStore
{
    /// <summary>
    /// Stores a new version of <paramref name="consent"/> (the first if its id is new) and returns
    /// the stored copy with <c>meta.versionId</c> and <c>meta.lastUpdated</c> set. Requires an id
    /// and a patient identifier.
    /// </summary>
    ValueTask<FhirConsent> SaveAsync(FhirConsent consent, CancellationToken cancellationToken = default);

    /// <summary>The current version of the consent with id <paramref name="id"/>, or null.</summary>
    ValueTask<FhirConsent?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The current version of each of the patient's consents, oldest first.</summary>
    ValueTask<IReadOnlyList<FhirConsent>> ListAsync(string patientId, CancellationToken cancellationToken = default);

    /// <summary>Every version of every consent of the patient, in the order they were stored.</summary>
    ValueTask<IReadOnlyList<FhirConsent>> HistoryAsync(string patientId, CancellationToken cancellationToken = default);

    /// <summary>
    /// A number that grows whenever any consent of the patient is saved (0 if none): lets readers
    /// cache parsed consents and notice changes with one cheap query.
    /// </summary>
    ValueTask<long> RevisionAsync(string patientId, CancellationToken cancellationToken = default);
}

/// <summary>FHIR JSON for stored consents (Firely's System.Text.Json converters).</summary>
internal static class ConsentJson
{
    private static readonly JsonSerializerOptions Options = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    public static string Serialize(FhirConsent consent) => JsonSerializer.Serialize(consent, Options);

    public static FhirConsent Parse(string json) =>
        JsonSerializer.Deserialize<FhirConsent>(json, Options) ?? throw new InvalidDataException("a stored consent is JSON null");

    public static (string Id, string PatientId) Key(FhirConsent consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        var id = consent.Id;
        var patient = consent.Patient?.Identifier?.Value;
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ArgumentException("the consent has no id", nameof(consent));
        }

        if (string.IsNullOrWhiteSpace(patient))
        {
            throw new ArgumentException("the consent names no patient identifier", nameof(consent));
        }

        return (id, patient);
    }

    public static FhirConsent Stamp(FhirConsent consent, int version, DateTimeOffset now)
    {
        var copy = (FhirConsent)consent.DeepCopy();
        copy.Meta ??= new Meta();
        copy.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        copy.Meta.LastUpdated = now;
        return copy;
    }
}

/// <summary>An in-memory <see cref="IConsentStore"/> (tests, demo). Thread-safe; stores FHIR JSON.</summary>
public sealed class InMemoryConsentStore : IConsentStore
{
    private readonly List<(string Id, string PatientId, int Version, string Json)> _versions = [];
    private readonly Dictionary<string, long> _revisions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    /// <summary>Creates an empty store.</summary>
    /// <param name="time">The clock for <c>meta.lastUpdated</c>; the system clock by default.</param>
    public InMemoryConsentStore(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <inheritdoc />
    public ValueTask<FhirConsent> SaveAsync(FhirConsent consent, CancellationToken cancellationToken = default)
    {
        var (id, patient) = ConsentJson.Key(consent);
        lock (_gate)
        {
            var version = _versions.Count(v => v.Id == id) + 1;
            var stored = ConsentJson.Stamp(consent, version, _time.GetUtcNow());
            _versions.Add((id, patient, version, ConsentJson.Serialize(stored)));
            _revisions[patient] = _versions.Count;
            return ValueTask.FromResult(stored);
        }
    }

    /// <inheritdoc />
    public ValueTask<FhirConsent?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
        {
            var index = _versions.FindLastIndex(v => v.Id == id);
            return ValueTask.FromResult(index < 0 ? null : ConsentJson.Parse(_versions[index].Json));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<FhirConsent>> ListAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        lock (_gate)
        {
            var latest = new Dictionary<string, string>();
            var order = new List<string>();
            foreach (var v in _versions.Where(v => v.PatientId == patientId))
            {
                if (!latest.ContainsKey(v.Id))
                {
                    order.Add(v.Id);
                }

                latest[v.Id] = v.Json;
            }

            return ValueTask.FromResult<IReadOnlyList<FhirConsent>>(order.Select(id => ConsentJson.Parse(latest[id])).ToArray());
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<FhirConsent>> HistoryAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<FhirConsent>>(_versions.Where(v => v.PatientId == patientId).Select(v => ConsentJson.Parse(v.Json)).ToArray());
        }
    }

    /// <inheritdoc />
    public ValueTask<long> RevisionAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        lock (_gate)
        {
            return ValueTask.FromResult(_revisions.GetValueOrDefault(patientId));
        }
    }
}

/// <summary>
/// A SQLite <see cref="IConsentStore"/>: one row per consent version (FHIR JSON), never updated
/// or deleted, so the history is complete.
/// </summary>
public sealed class SqliteConsentStore : IConsentStore
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    /// <summary>Opens (creating if needed) the store. Requires a SQLite connection string.</summary>
    /// <param name="connectionString">E.g. <c>Data Source=/var/lib/konfido/consent.db</c>.</param>
    /// <param name="time">The clock for <c>meta.lastUpdated</c>; the system clock by default.</param>
    public SqliteConsentStore(string connectionString, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _connectionString = connectionString;
        _time = time ?? TimeProvider.System;
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS consent_version (
              seq INTEGER PRIMARY KEY AUTOINCREMENT,
              id TEXT NOT NULL,
              patient_id TEXT NOT NULL,
              version INTEGER NOT NULL,
              json TEXT NOT NULL,
              UNIQUE (id, version));
            CREATE INDEX IF NOT EXISTS consent_version_patient ON consent_version (patient_id, seq);
            """;
        command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public async ValueTask<FhirConsent> SaveAsync(FhirConsent consent, CancellationToken cancellationToken = default)
    {
        var (id, patient) = ConsentJson.Key(consent);
        await using var connection = Open();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var max = connection.CreateCommand();
        max.Transaction = transaction;
        max.CommandText = "SELECT COALESCE(MAX(version), 0) FROM consent_version WHERE id = $id";
        max.Parameters.AddWithValue("$id", id);
        var version = Convert.ToInt32(await max.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) + 1;
        var stored = ConsentJson.Stamp(consent, version, _time.GetUtcNow());
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO consent_version (id, patient_id, version, json) VALUES ($id, $patient, $version, $json)";
        insert.Parameters.AddWithValue("$id", id);
        insert.Parameters.AddWithValue("$patient", patient);
        insert.Parameters.AddWithValue("$version", version);
        insert.Parameters.AddWithValue("$json", ConsentJson.Serialize(stored));
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <inheritdoc />
    public async ValueTask<FhirConsent?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var rows = await QueryAsync("SELECT json FROM consent_version WHERE id = $p ORDER BY version DESC LIMIT 1", id, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<FhirConsent>> ListAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        return await QueryAsync("""
            SELECT v.json FROM consent_version v
            WHERE v.patient_id = $p AND v.version = (SELECT MAX(version) FROM consent_version w WHERE w.id = v.id)
            ORDER BY (SELECT MIN(seq) FROM consent_version f WHERE f.id = v.id)
            """, patientId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<FhirConsent>> HistoryAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        return await QueryAsync("SELECT json FROM consent_version WHERE patient_id = $p ORDER BY seq", patientId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<long> RevisionAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM consent_version WHERE patient_id = $p";
        command.Parameters.AddWithValue("$p", patientId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<IReadOnlyList<FhirConsent>> QueryAsync(string sql, string parameter, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$p", parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<FhirConsent>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(ConsentJson.Parse(reader.GetString(0)));
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
