using Npgsql;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace Konfido.Policy.Consent;

/// <summary>
/// A PostgreSQL <see cref="IConsentStore"/> for production nodes: one row per consent version
/// (FHIR JSON in a <c>jsonb</c> column), never updated or deleted, so the history is complete.
/// </summary>
public sealed class PostgresConsentStore : IConsentStore
{
    private readonly NpgsqlDataSource _source;
    private readonly TimeProvider _time;

    private PostgresConsentStore(NpgsqlDataSource source, TimeProvider time)
    {
        _source = source;
        _time = time;
    }

    /// <summary>Opens the store, creating its table if needed. Requires a data source (the caller keeps ownership).</summary>
    /// <param name="source">The PostgreSQL data source.</param>
    /// <param name="time">The clock for <c>meta.lastUpdated</c>; the system clock by default.</param>
    /// <param name="cancellationToken">Cancels the schema creation.</param>
    public static async Task<PostgresConsentStore> OpenAsync(NpgsqlDataSource source, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        await using var command = source.CreateCommand("""
            CREATE TABLE IF NOT EXISTS consent_version (
              seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              id TEXT NOT NULL,
              patient_id TEXT NOT NULL,
              version INTEGER NOT NULL,
              json JSONB NOT NULL,
              UNIQUE (id, version));
            CREATE INDEX IF NOT EXISTS consent_version_patient ON consent_version (patient_id, seq);
            """);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return new PostgresConsentStore(source, time ?? TimeProvider.System);
    }

    /// <inheritdoc />
    public async ValueTask<FhirConsent> SaveAsync(FhirConsent consent, CancellationToken cancellationToken = default)
    {
        var (id, patient) = ConsentJson.Key(consent);
        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
        int version;
        await using (var max = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM consent_version WHERE id = $1", connection, transaction))
        {
            max.Parameters.AddWithValue(id);
            version = Convert.ToInt32(await max.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) + 1;
        }

        var stored = ConsentJson.Stamp(consent, version, _time.GetUtcNow());
        await using (var insert = new NpgsqlCommand("INSERT INTO consent_version (id, patient_id, version, json) VALUES ($1, $2, $3, $4::jsonb)", connection, transaction))
        {
            insert.Parameters.AddWithValue(id);
            insert.Parameters.AddWithValue(patient);
            insert.Parameters.AddWithValue(version);
            insert.Parameters.AddWithValue(ConsentJson.Serialize(stored));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <inheritdoc />
    public async ValueTask<FhirConsent?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var rows = await QueryAsync("SELECT json::text FROM consent_version WHERE id = $1 ORDER BY version DESC LIMIT 1", id, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<FhirConsent>> ListAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        return await QueryAsync("""
            SELECT latest.json::text FROM (
              SELECT DISTINCT ON (id) id, json, MIN(seq) OVER (PARTITION BY id) AS first_seq
              FROM consent_version WHERE patient_id = $1 ORDER BY id, version DESC) latest
            ORDER BY latest.first_seq
            """, patientId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<FhirConsent>> HistoryAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        return await QueryAsync("SELECT json::text FROM consent_version WHERE patient_id = $1 ORDER BY seq", patientId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<long> RevisionAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        await using var command = _source.CreateCommand("SELECT COALESCE(MAX(seq), 0) FROM consent_version WHERE patient_id = $1");
        command.Parameters.AddWithValue(patientId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<IReadOnlyList<FhirConsent>> QueryAsync(string sql, string parameter, CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand(sql);
        command.Parameters.AddWithValue(parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<FhirConsent>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(ConsentJson.Parse(reader.GetString(0)));
        }

        return result;
    }
}
