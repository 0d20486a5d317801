using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Konfido.Fhir;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Records;

/// <summary>
/// The national back end over a relational store; <see cref="SqliteNationalBackend"/> and
/// <see cref="PostgresNationalBackend"/> share this schema and every query, and differ only in how they connect.
/// </summary>
/// <remarks>
/// <para>Schema (created on open if absent): <c>patients</c>, <c>identifiers</c> (system, value → patient),
/// <c>conditions</c>, <c>allergies</c>, <c>medications</c>, <c>prescriptions</c> (status <c>active</c> or
/// <c>completed</c>) and <c>dispensations</c> (at most one per prescription). Rows carry the country, so one
/// database can hold several countries' stores; each back end sees only its own country.</para>
/// <para>Dispense exactly once: inside a transaction, <c>UPDATE prescriptions SET status = 'completed' WHERE id = @id
/// AND patient_id = @patient AND status = 'active'</c>; only the submission that changes one row records the
/// dispensation, every other finds zero rows and gets <see cref="DispenseStatus.AlreadyDispensed"/>. The unique
/// prescription id in <c>dispensations</c> is a second guard.</para>
/// </remarks>
public abstract class RelationalNationalBackend : INationalBackend, IBackendProbe, IAsyncDisposable
{
    private const int MaxDiscoveryResults = 100;

    private static readonly string[] Schema =
    [
        """
        CREATE TABLE IF NOT EXISTS patients (
            id TEXT PRIMARY KEY,
            country TEXT NOT NULL,
            family_name TEXT NOT NULL,
            given_names TEXT NOT NULL,
            family_key TEXT NOT NULL,
            given_key TEXT NOT NULL,
            birth_date TEXT NOT NULL,
            gender TEXT NOT NULL,
            address_line TEXT,
            city TEXT,
            postal_code TEXT,
            gp_family TEXT,
            gp_given TEXT)
        """,
        "CREATE INDEX IF NOT EXISTS ix_patients_family ON patients (country, family_key)",
        "CREATE INDEX IF NOT EXISTS ix_patients_birth ON patients (country, birth_date)",
        """
        CREATE TABLE IF NOT EXISTS identifiers (
            system TEXT NOT NULL,
            value TEXT NOT NULL,
            patient_id TEXT NOT NULL REFERENCES patients (id),
            PRIMARY KEY (system, value))
        """,
        "CREATE INDEX IF NOT EXISTS ix_identifiers_value ON identifiers (value)",
        """
        CREATE TABLE IF NOT EXISTS conditions (
            patient_id TEXT NOT NULL REFERENCES patients (id),
            seq INTEGER NOT NULL,
            display TEXT NOT NULL,
            snomed_code TEXT,
            icd10_code TEXT,
            onset_date TEXT,
            clinical_status TEXT NOT NULL,
            PRIMARY KEY (patient_id, seq))
        """,
        """
        CREATE TABLE IF NOT EXISTS allergies (
            patient_id TEXT NOT NULL REFERENCES patients (id),
            seq INTEGER NOT NULL,
            display TEXT NOT NULL,
            snomed_code TEXT,
            category TEXT NOT NULL,
            criticality TEXT NOT NULL,
            reaction TEXT,
            PRIMARY KEY (patient_id, seq))
        """,
        """
        CREATE TABLE IF NOT EXISTS medications (
            patient_id TEXT NOT NULL REFERENCES patients (id),
            seq INTEGER NOT NULL,
            atc_code TEXT NOT NULL,
            display TEXT NOT NULL,
            dose_text TEXT NOT NULL,
            start_date TEXT,
            status TEXT NOT NULL,
            PRIMARY KEY (patient_id, seq))
        """,
        """
        CREATE TABLE IF NOT EXISTS prescriptions (
            id TEXT PRIMARY KEY,
            patient_id TEXT NOT NULL REFERENCES patients (id),
            atc_code TEXT NOT NULL,
            display TEXT NOT NULL,
            dose_text TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            quantity_unit TEXT NOT NULL,
            prescriber TEXT NOT NULL,
            authored_on TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'completed')))
        """,
        "CREATE INDEX IF NOT EXISTS ix_prescriptions_patient ON prescriptions (patient_id)",
        """
        CREATE TABLE IF NOT EXISTS dispensations (
            id TEXT PRIMARY KEY,
            prescription_id TEXT NOT NULL UNIQUE REFERENCES prescriptions (id),
            patient_id TEXT NOT NULL REFERENCES patients (id),
            country TEXT NOT NULL,
            performer TEXT,
            quantity INTEGER,
            dispensed_at TEXT NOT NULL,
            resource_json TEXT NOT NULL)
        """,
    ];

    private readonly TimeProvider _time;

    /// <summary>Creates the back end for <paramref name="profile"/>'s country.</summary>
    private protected RelationalNationalBackend(CountryProfile profile, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Profile = profile;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Country => Profile.Country;

    /// <summary>The country's identifier system and authority.</summary>
    public CountryProfile Profile { get; }

    /// <summary>Opens a connection to the store.</summary>
    private protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Runs before the schema statements inside the schema transaction (e.g. a lock against concurrent creators).</summary>
    private protected virtual Task BeforeSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Creates the schema if absent. Called once by the factories.</summary>
    private protected async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await BeforeSchemaAsync(connection, tx, cancellationToken).ConfigureAwait(false);
        foreach (var statement in Schema)
        {
            await using var command = Command(connection, tx, statement);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();

    /// <inheritdoc />
    public async Task ProbeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The number of patients of this country in the store.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<int> CountPatientsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT COUNT(*) FROM patients WHERE country = @country", ("country", Country));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Stores one patient with all records, in one transaction. Requires the patient's country to be this back end's,
    /// its identifier system to be the country's, a <see cref="PatientRecord.ResourceId"/>, names and a FHIR gender; throws
    /// <see cref="DbException"/> if the patient, identifier or a prescription id already exists.
    /// </summary>
    /// <param name="file">The patient's records.</param>
    /// <param name="cancellationToken">Cancels the insert (nothing is stored).</param>
    public async Task AddPatientAsync(PatientFile file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var p = file.Patient;
        if (!string.Equals(p.Country, Country, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The patient lives in {p.Country}, but this back end serves {Country}.", nameof(file));
        }

        if (p.IdentifierSystem != Profile.IdentifierSystem || string.IsNullOrWhiteSpace(p.NationalId))
        {
            throw new ArgumentException($"The patient needs a national identifier of system {Profile.IdentifierSystem}.", nameof(file));
        }

        if (string.IsNullOrWhiteSpace(p.ResourceId))
        {
            throw new ArgumentException("The patient needs a ResourceId (its stable id in this store).", nameof(file));
        }

        if (string.IsNullOrWhiteSpace(p.FamilyName) || p.GivenNames is not { Count: > 0 } || p.GivenNames.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("The patient needs a family name and at least one non-empty given name.", nameof(file));
        }

        if (p.Gender is not ("male" or "female" or "other" or "unknown"))
        {
            throw new ArgumentException($"'{p.Gender}' is not a FHIR administrative gender (male, female, other, unknown).", nameof(file));
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, cancellationToken,
            """
            INSERT INTO patients (id, country, family_name, given_names, family_key, given_key, birth_date, gender, address_line, city, postal_code, gp_family, gp_given)
            VALUES (@id, @country, @family, @given, @family_key, @given_key, @birth, @gender, @line, @city, @postal, @gp_family, @gp_given)
            """,
            ("id", p.ResourceId), ("country", Country), ("family", p.FamilyName), ("given", string.Join(' ', p.GivenNames)),
            ("family_key", Key(p.FamilyName)), ("given_key", Key(string.Join(' ', p.GivenNames))), ("birth", Date(p.BirthDate)),
            ("gender", p.Gender), ("line", p.AddressLine), ("city", p.City), ("postal", p.PostalCode),
            ("gp_family", file.GeneralPractitioner?.Family), ("gp_given", file.GeneralPractitioner?.Given)).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, cancellationToken,
            "INSERT INTO identifiers (system, value, patient_id) VALUES (@system, @value, @patient)",
            ("system", p.IdentifierSystem), ("value", p.NationalId), ("patient", p.ResourceId)).ConfigureAwait(false);
        for (var i = 0; i < file.Conditions.Count; i++)
        {
            var c = file.Conditions[i];
            await ExecuteAsync(connection, tx, cancellationToken,
                "INSERT INTO conditions (patient_id, seq, display, snomed_code, icd10_code, onset_date, clinical_status) VALUES (@patient, @seq, @display, @snomed, @icd10, @onset, @status)",
                ("patient", p.ResourceId), ("seq", i), ("display", c.Display), ("snomed", c.SnomedCode), ("icd10", c.Icd10Code),
                ("onset", c.Onset is { } o ? Date(o) : null), ("status", c.ClinicalStatus)).ConfigureAwait(false);
        }

        for (var i = 0; i < file.Allergies.Count; i++)
        {
            var a = file.Allergies[i];
            await ExecuteAsync(connection, tx, cancellationToken,
                "INSERT INTO allergies (patient_id, seq, display, snomed_code, category, criticality, reaction) VALUES (@patient, @seq, @display, @snomed, @category, @criticality, @reaction)",
                ("patient", p.ResourceId), ("seq", i), ("display", a.Display), ("snomed", a.SnomedCode), ("category", a.Category),
                ("criticality", a.Criticality), ("reaction", a.Reaction)).ConfigureAwait(false);
        }

        for (var i = 0; i < file.Medications.Count; i++)
        {
            var m = file.Medications[i];
            await ExecuteAsync(connection, tx, cancellationToken,
                "INSERT INTO medications (patient_id, seq, atc_code, display, dose_text, start_date, status) VALUES (@patient, @seq, @atc, @display, @dose, @start, @status)",
                ("patient", p.ResourceId), ("seq", i), ("atc", m.AtcCode), ("display", m.Display), ("dose", m.DoseText),
                ("start", m.Start is { } s ? Date(s) : null), ("status", m.Status)).ConfigureAwait(false);
        }

        foreach (var rx in file.Prescriptions)
        {
            if (rx.Status is not (PrescriptionRecord.Active or PrescriptionRecord.Completed))
            {
                throw new ArgumentException($"Prescription {rx.Id} has status '{rx.Status}'; use active or completed.", nameof(file));
            }

            await ExecuteAsync(connection, tx, cancellationToken,
                """
                INSERT INTO prescriptions (id, patient_id, atc_code, display, dose_text, quantity, quantity_unit, prescriber, authored_on, status)
                VALUES (@id, @patient, @atc, @display, @dose, @quantity, @unit, @prescriber, @authored, @status)
                """,
                ("id", rx.Id), ("patient", p.ResourceId), ("atc", rx.AtcCode), ("display", rx.Display), ("dose", rx.DoseText),
                ("quantity", rx.Quantity), ("unit", rx.QuantityUnit), ("prescriber", rx.Prescriber), ("authored", Date(rx.AuthoredOn)),
                ("status", rx.Status)).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads everything stored about the patient with national identifier <paramref name="nationalId"/>, or null.</summary>
    /// <param name="nationalId">The national identifier value. Requires non-empty.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<PatientFile?> GetPatientFileAsync(string nationalId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nationalId);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await LoadFileAsync(connection, nationalId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Patient>> FindPatientsAsync(PatientQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!query.HasCriteria)
        {
            throw new ArgumentException("Patient discovery needs at least one criterion (identifier, family name, given name or birth date).", nameof(query));
        }

        var sql = new StringBuilder(PatientColumns + " WHERE p.country = @country");
        var parameters = new List<(string, object?)> { ("country", Country) };
        if (!string.IsNullOrWhiteSpace(query.IdentifierValue))
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM identifiers i WHERE i.patient_id = p.id AND i.value = @id_value");
            parameters.Add(("id_value", query.IdentifierValue.Trim()));
            if (!string.IsNullOrWhiteSpace(query.IdentifierSystem))
            {
                sql.Append(" AND i.system = @id_system");
                parameters.Add(("id_system", query.IdentifierSystem.Trim()));
            }

            sql.Append(')');
        }

        if (!string.IsNullOrWhiteSpace(query.FamilyName))
        {
            sql.Append(" AND p.family_key LIKE @family ESCAPE '\\'");
            parameters.Add(("family", EscapeLike(Key(query.FamilyName.Trim())) + "%"));
        }

        if (!string.IsNullOrWhiteSpace(query.GivenName))
        {
            // Any given name may match: ' LARS PETER' LIKE '% PE%'.
            sql.Append(" AND (' ' || p.given_key) LIKE @given ESCAPE '\\'");
            parameters.Add(("given", "% " + EscapeLike(Key(query.GivenName.Trim())) + "%"));
        }

        if (query.BirthDate is { } birth)
        {
            sql.Append(" AND p.birth_date = @birth");
            parameters.Add(("birth", Date(birth)));
        }

        sql.Append(" ORDER BY p.family_key, p.given_key, p.id LIMIT ").Append(MaxDiscoveryResults);

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<PatientRecord>();
        await using (var command = Command(connection, null, sql.ToString(), [.. parameters]))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                records.Add(ReadPatient(reader).Record);
            }
        }

        return records.Select(FhirRecordMapping.ToPatient).ToList();
    }

    /// <inheritdoc />
    public async Task<Bundle?> GetPatientSummaryAsync(string nationalId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nationalId);
        var file = await GetPatientFileAsync(nationalId, cancellationToken).ConfigureAwait(false);
        if (file is null)
        {
            return null;
        }

        var author = new AuthorRecord(Profile.AuthorityName, Country, file.GeneralPractitioner?.Family, file.GeneralPractitioner?.Given);
        var input = new PatientSummaryInput(file.Patient, file.Conditions, file.Allergies, file.Medications, author);
        return PatientSummaryBuilder.Build(input, _time.GetUtcNow());
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<MedicationRequest>?> GetPrescriptionsAsync(string nationalId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nationalId);
        var file = await GetPatientFileAsync(nationalId, cancellationToken).ConfigureAwait(false);
        return file?.Prescriptions.Select(rx => FhirRecordMapping.ToMedicationRequest(rx, file.Patient, Country)).ToList();
    }

    /// <inheritdoc />
    public async Task<DispenseResult> DispenseAsync(MedicationDispense dispense, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dispense);
        var (submission, reason) = EDispensation.Read(dispense);
        if (submission is null)
        {
            return new DispenseResult(DispenseStatus.Invalid, reason);
        }

        if (submission.IdentifierSystem is { Length: > 0 } system && system != Profile.IdentifierSystem)
        {
            return new DispenseResult(DispenseStatus.UnknownPrescription, $"No patient with identifier {system}|{submission.NationalId} in {Country}.");
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var patient = await FindPatientByIdentifierAsync(connection, null, submission.NationalId, cancellationToken).ConfigureAwait(false);
        if (patient is null)
        {
            return new DispenseResult(DispenseStatus.UnknownPrescription, $"No patient with national identifier {submission.NationalId} in {Country}.");
        }

        var (patientId, record, _) = patient.Value;
        var rx = await LoadPrescriptionAsync(connection, submission.PrescriptionId, patientId, cancellationToken).ConfigureAwait(false);
        if (rx is null)
        {
            return new DispenseResult(DispenseStatus.UnknownPrescription, $"No prescription {submission.PrescriptionId} for that patient.");
        }

        var now = _time.GetUtcNow();
        var stored = StoredDispense(dispense, submission, rx, record, now);
        var json = stored.ToJson();

        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int changed;
        await using (var update = Command(connection, tx,
            "UPDATE prescriptions SET status = 'completed' WHERE id = @id AND patient_id = @patient AND status = 'active'",
            ("id", rx.Id), ("patient", patientId)))
        {
            changed = await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (changed != 1)
        {
            await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return new DispenseResult(DispenseStatus.AlreadyDispensed, $"Prescription {rx.Id} has already been dispensed.");
        }

        await ExecuteAsync(connection, tx, cancellationToken,
            """
            INSERT INTO dispensations (id, prescription_id, patient_id, country, performer, quantity, dispensed_at, resource_json)
            VALUES (@id, @rx, @patient, @country, @performer, @quantity, @at, @json)
            """,
            ("id", stored.Id), ("rx", rx.Id), ("patient", patientId), ("country", submission.Country), ("performer", submission.Performer),
            ("quantity", submission.Quantity), ("at", now.ToString("O", CultureInfo.InvariantCulture)), ("json", json)).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new DispenseResult(DispenseStatus.Dispensed, null, stored);
    }

    private MedicationDispense StoredDispense(MedicationDispense submitted, EDispensation.Submission s, PrescriptionRecord rx, PatientRecord patient, DateTimeOffset now)
    {
        var stored = (MedicationDispense)submitted.DeepCopy();
        stored.Id = $"{Country.ToLowerInvariant()}-md-{Guid.NewGuid():N}";
        stored.Status = MedicationDispense.MedicationDispenseStatusCodes.Completed;
        stored.AuthorizingPrescription = [new ResourceReference("MedicationRequest/" + rx.Id)];
        stored.Subject = new ResourceReference("Patient/" + patient.ResourceId) { Identifier = new Identifier(patient.IdentifierSystem, patient.NationalId) };
        stored.Medication ??= new CodeableConcept(FhirSystems.Atc, rx.AtcCode, rx.Display, rx.Display);
        stored.WhenHandedOver ??= now.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);
        if (stored.DosageInstruction.Count == 0)
        {
            stored.DosageInstruction.Add(new Dosage { Text = rx.DoseText });
        }

        return stored;
    }

    private const string PatientColumns =
        "SELECT p.id, p.family_name, p.given_names, p.birth_date, p.gender, p.address_line, p.city, p.postal_code, p.gp_family, p.gp_given, " +
        "(SELECT i.value FROM identifiers i WHERE i.patient_id = p.id AND i.system = @national_system) AS national_id FROM patients p";

    private (PatientRecord Record, (string, string)? Gp) ReadPatient(DbDataReader r)
    {
        var record = new PatientRecord(
            NationalId: r.GetString(10),
            IdentifierSystem: Profile.IdentifierSystem,
            FamilyName: r.GetString(1),
            GivenNames: r.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            BirthDate: DateOnly.ParseExact(r.GetString(3), "yyyy-MM-dd", CultureInfo.InvariantCulture),
            Gender: r.GetString(4),
            Country: Country,
            City: Nullable(r, 6),
            AddressLine: Nullable(r, 5),
            PostalCode: Nullable(r, 7),
            ResourceId: r.GetString(0));
        var gpFamily = Nullable(r, 8);
        return (record, gpFamily is null ? null : (gpFamily, Nullable(r, 9) ?? ""));
    }

    private async Task<(string Id, PatientRecord Record, (string, string)? Gp)?> FindPatientByIdentifierAsync(
        DbConnection connection, DbTransaction? tx, string nationalId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, tx,
            PatientColumns + " WHERE p.country = @country AND EXISTS (SELECT 1 FROM identifiers i WHERE i.patient_id = p.id AND i.value = @value AND i.system = @national_system)",
            ("country", Country), ("value", nationalId.Trim()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var (record, gp) = ReadPatient(reader);
        return (record.ResourceId!, record, gp);
    }

    /// <summary>Loads a patient's whole file in one round trip: five SELECTs in one command, read with NextResult.</summary>
    private async Task<PatientFile?> LoadFileAsync(DbConnection connection, string nationalId, CancellationToken cancellationToken)
    {
        const string patientIds =
            "(SELECT p.id FROM patients p JOIN identifiers i ON i.patient_id = p.id WHERE p.country = @country AND i.system = @national_system AND i.value = @value)";
        var sql = string.Join(";\n",
            PatientColumns + " WHERE p.id IN " + patientIds,
            "SELECT display, snomed_code, icd10_code, onset_date, clinical_status FROM conditions WHERE patient_id IN " + patientIds + " ORDER BY seq",
            "SELECT display, snomed_code, category, criticality, reaction FROM allergies WHERE patient_id IN " + patientIds + " ORDER BY seq",
            "SELECT atc_code, display, dose_text, start_date, status FROM medications WHERE patient_id IN " + patientIds + " ORDER BY seq",
            PrescriptionColumns + " WHERE patient_id IN " + patientIds + " ORDER BY authored_on, id");

        await using var command = Command(connection, null, sql, ("country", Country), ("value", nationalId.Trim()));
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var (record, gp) = ReadPatient(r);
        var conditions = new List<ConditionRecord>();
        var allergies = new List<AllergyRecord>();
        var medications = new List<MedicationRecord>();
        var prescriptions = new List<PrescriptionRecord>();

        await NextResultAsync(r, cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            conditions.Add(new ConditionRecord(r.GetString(0), Nullable(r, 1), Nullable(r, 2), ParseDate(Nullable(r, 3)), r.GetString(4)));
        }

        await NextResultAsync(r, cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            allergies.Add(new AllergyRecord(r.GetString(0), Nullable(r, 1), r.GetString(2), r.GetString(3), Nullable(r, 4)));
        }

        await NextResultAsync(r, cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            medications.Add(new MedicationRecord(r.GetString(0), r.GetString(1), r.GetString(2), ParseDate(Nullable(r, 3)), r.GetString(4)));
        }

        await NextResultAsync(r, cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            prescriptions.Add(ReadPrescription(r));
        }

        return new PatientFile(record, gp, conditions, allergies, medications, prescriptions);
    }

    private static async Task NextResultAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        if (!await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("The store returned fewer result sets than queried.");
        }
    }

    private const string PrescriptionColumns =
        "SELECT id, atc_code, display, dose_text, quantity, quantity_unit, prescriber, authored_on, status FROM prescriptions";

    private async Task<PrescriptionRecord?> LoadPrescriptionAsync(DbConnection connection, string prescriptionId, string patientId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, PrescriptionColumns + " WHERE id = @id AND patient_id = @patient", ("id", prescriptionId), ("patient", patientId));
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadPrescription(r) : null;
    }

    private static PrescriptionRecord ReadPrescription(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        Convert.ToInt32(r.GetValue(4), CultureInfo.InvariantCulture), r.GetString(5), r.GetString(6),
        DateOnly.ParseExact(r.GetString(7), "yyyy-MM-dd", CultureInfo.InvariantCulture), r.GetString(8));

    private DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        var all = parameters.Any(p => p.Name == "national_system") || !sql.Contains("@national_system", StringComparison.Ordinal)
            ? parameters
            : [.. parameters, ("national_system", Profile.IdentifierSystem)];
        foreach (var (name, value) in all)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            switch (value)
            {
                case null:
                    parameter.DbType = DbType.String;
                    parameter.Value = DBNull.Value;
                    break;
                case int i:
                    parameter.DbType = DbType.Int32;
                    parameter.Value = i;
                    break;
                default:
                    parameter.DbType = DbType.String;
                    parameter.Value = value;
                    break;
            }

            command.Parameters.Add(parameter);
        }

        return command;
    }

    private async Task ExecuteAsync(DbConnection connection, DbTransaction tx, CancellationToken cancellationToken, string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string? Nullable(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateOnly? ParseDate(string? s) => s is null ? null : DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The search key of a name: upper case (full Unicode case mapping, so "Jørgensen" and "JØRGENSEN" meet).</summary>
    private static string Key(string name) => name.ToUpperInvariant();

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
