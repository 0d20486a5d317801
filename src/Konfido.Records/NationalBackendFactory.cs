namespace Konfido.Records;

/// <summary>
/// Opens the national back end a node is configured with, creating the schema and (by default) seeding the
/// synthetic patients into an empty store.
/// </summary>
/// <remarks>
/// Kinds: <c>sqlite</c> (the value is a file path; <c>:memory:</c> or empty for an in-memory database) and
/// <c>postgres</c> / <c>postgresql</c> (the value is an Npgsql connection string). Countries: DK, ES, IT.
/// </remarks>
public static class NationalBackendFactory
{
    /// <summary>The kind name of the embedded SQLite store.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>The kind name of the PostgreSQL store.</summary>
    public const string Postgres = "postgres";

    /// <summary>
    /// Opens a back end for <paramref name="country"/>. Requires a known kind and DK, ES or IT; throws
    /// <see cref="ArgumentException"/> explaining what is wrong otherwise.
    /// </summary>
    /// <param name="kind"><c>sqlite</c> or <c>postgres</c> (case-insensitive).</param>
    /// <param name="connectionStringOrPath">The SQLite file path (<c>:memory:</c> for in-memory) or the PostgreSQL connection string.</param>
    /// <param name="country">The ISO 3166-1 alpha-2 code of the country the node serves.</param>
    /// <param name="seedSyntheticPatients">Seed <see cref="SyntheticPatients"/> if the store has no patient of that country yet.</param>
    /// <param name="time">The clock; the system clock if null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    public static async Task<RelationalNationalBackend> OpenAsync(
        string kind,
        string connectionStringOrPath,
        string country,
        bool seedSyntheticPatients = true,
        TimeProvider? time = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(connectionStringOrPath);
        var profile = CountryProfile.For(country);
        RelationalNationalBackend backend = kind.ToLowerInvariant() switch
        {
            Sqlite when connectionStringOrPath is "" or ":memory:" => await SqliteNationalBackend.OpenInMemoryAsync(profile, time, cancellationToken).ConfigureAwait(false),
            Sqlite => await SqliteNationalBackend.OpenFileAsync(connectionStringOrPath, profile, time, cancellationToken).ConfigureAwait(false),
            Postgres or "postgresql" => await PostgresNationalBackend.OpenAsync(connectionStringOrPath, profile, time, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentException($"Unknown national back-end kind '{kind}' (use '{Sqlite}' or '{Postgres}').", nameof(kind)),
        };
        if (seedSyntheticPatients)
        {
            try
            {
                await SyntheticPatients.SeedAsync(backend, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await backend.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        return backend;
    }
}
