using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konfido.Fhir;

namespace Konfido.Records;

/// <summary>
/// Deterministic synthetic patients for DK, ES and IT (20 each): plausible local names and addresses, national
/// identifiers in each country's format with correct check digits/letters (CPR with the modulus-11 rule, DNI with its
/// mod-23 letter, codice fiscale with its check character), coded conditions (SNOMED CT and ICD-10), allergies (or
/// none known), medications with WHO ATC codes and one to three active ePrescriptions. The same code always produces
/// the same patients. None of them is a real person.
/// </summary>
/// <remarks>
/// The reference story of Konfido is a Danish COPD patient who falls ill abroad: <see cref="DemoDanishCopdPatient"/>
/// (Lars Jensen, born 12 March 1956, Aarhus) with COPD and hypertension, a penicillin allergy, and the dispensable
/// prescription <see cref="DemoDanishCopdPrescription"/> for salmeterol/fluticasone (ATC R03AK06).
/// </remarks>
public static class SyntheticPatients
{
    /// <summary>The CPR number of the demo patient, Lars Jensen (DK, COPD).</summary>
    public const string DemoDanishCopdPatient = "120356-1233";

    /// <summary>Lars Jensen's active prescription for salmeterol/fluticasone (R03AK06), dispensed in the demo.</summary>
    public const string DemoDanishCopdPrescription = "dk-rx-001-1";

    /// <summary>The demo patient's family name.</summary>
    public const string DemoDanishCopdFamilyName = "Jensen";

    /// <summary>The demo patient's date of birth.</summary>
    public static readonly DateOnly DemoDanishCopdBirthDate = new(1956, 3, 12);

    /// <summary>How many patients each country gets.</summary>
    public const int PatientsPerCountry = 20;

    /// <summary>The synthetic patients of DK, ES or IT (case-insensitive); throws <see cref="ArgumentException"/> otherwise.</summary>
    /// <param name="country">The country code.</param>
    public static IReadOnlyList<PatientFile> For(string country)
    {
        var profile = CountryProfile.For(country);
        return profile.Country switch
        {
            "DK" => Generate(profile, Denmark, 0xD4_2026),
            "ES" => Generate(profile, Spain, 0xE5_2026),
            _ => Generate(profile, Italy, 0x17_2026),
        };
    }

    /// <summary>
    /// Stores the synthetic patients of <paramref name="store"/>'s country if it holds none yet; returns how many were added
    /// (0 if the store already had patients). Requires DK, ES or IT.
    /// </summary>
    /// <param name="store">The back end to fill.</param>
    /// <param name="cancellationToken">Cancels seeding.</param>
    public static async Task<int> SeedAsync(RelationalNationalBackend store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (await store.CountPatientsAsync(cancellationToken).ConfigureAwait(false) > 0)
        {
            return 0;
        }

        var files = For(store.Country);
        foreach (var file in files)
        {
            await store.AddPatientAsync(file, cancellationToken).ConfigureAwait(false);
        }

        return files.Count;
    }

    /// <summary>The stable Patient resource id (a UUID) of a national identifier: SHA-256 of "country|value", RFC 9562 version 8.</summary>
    /// <param name="country">The country code.</param>
    /// <param name="nationalId">The national identifier value.</param>
    public static string PatientResourceId(string country, string nationalId)
    {
        ArgumentNullException.ThrowIfNull(country);
        ArgumentNullException.ThrowIfNull(nationalId);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(country.ToUpperInvariant() + "|" + nationalId));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D");
    }

    // ---- clinical building blocks -------------------------------------------------------------

    private sealed record Drug(string Atc, string Name, string Dose, int Quantity, string Unit);

    private sealed record Problem(ConditionRecord Condition, Drug[] Drugs);

    private static readonly Drug SalmeterolFluticasone = new("R03AK06", "salmeterol and fluticasone", "1 inhalation (50/500 microgram) twice daily", 1, "inhaler");
    private static readonly Drug Tiotropium = new("R03BB04", "tiotropium bromide", "18 microgram inhaled once daily", 30, "capsule");
    private static readonly Drug Ramipril = new("C09AA05", "ramipril", "5 mg orally once daily", 100, "tablet");

    private static readonly Problem Copd = new(new ConditionRecord("Chronic obstructive pulmonary disease", "13645005", "J44.9"), [SalmeterolFluticasone, Tiotropium]);
    private static readonly Problem Hypertension = new(new ConditionRecord("Essential hypertension", "59621000", "I10"), [Ramipril]);

    private static readonly Problem[] Problems =
    [
        Copd,
        new(new ConditionRecord("Type 2 diabetes mellitus", "44054006", "E11.9"), [new("A10BA02", "metformin", "500 mg orally twice daily with meals", 100, "tablet")]),
        Hypertension,
        new(new ConditionRecord("Essential hypertension", "59621000", "I10"), [new("C08CA01", "amlodipine", "5 mg orally once daily", 100, "tablet")]),
        new(new ConditionRecord("Asthma", "195967001", "J45.9"),
            [new("R03BA02", "budesonide", "200 microgram inhaled twice daily", 1, "inhaler"), new("R03AC02", "salbutamol", "100 microgram, 1-2 puffs as needed", 1, "inhaler")]),
        new(new ConditionRecord("Hypercholesterolemia", "13644009", "E78.0"), [new("C10AA05", "atorvastatin", "20 mg orally once daily", 100, "tablet")]),
        new(new ConditionRecord("Hypothyroidism", "40930008", "E03.9"), [new("H03AA01", "levothyroxine sodium", "50 microgram orally once daily before breakfast", 100, "tablet")]),
        new(new ConditionRecord("Atrial fibrillation", "49436004", "I48.9"), [new("B01AF02", "apixaban", "5 mg orally twice daily", 60, "tablet")]),
        new(new ConditionRecord("Depressive disorder", "35489007", "F32.9"), [new("N06AB06", "sertraline", "50 mg orally once daily", 30, "tablet")]),
        new(new ConditionRecord("Gastroesophageal reflux disease", "235595009", "K21.9"), [new("A02BC01", "omeprazole", "20 mg orally once daily", 56, "capsule")]),
        new(new ConditionRecord("Osteoarthritis of knee", "239873007", "M17.9"), [new("N02BE01", "paracetamol", "1 g orally up to three times daily", 100, "tablet")]),
    ];

    private static readonly AllergyRecord Penicillin = new("Penicillin", "764146007", "medication", "high", "Urticaria");

    private static readonly AllergyRecord[] Allergies =
    [
        Penicillin,
        new("Peanut", "762952008", "food", "high", "Anaphylaxis"),
        new("Sulfonamide", "387406002", "medication", "low", "Skin rash"),
        new("Latex", "111088007", "environment", "low", "Contact dermatitis"),
    ];

    // ---- national flavour ---------------------------------------------------------------------

    private sealed record Place(string City, string PostalCode, string CadastralCode);

    private sealed record Nation(
        string[] MaleNames, string[] FemaleNames, string[] FamilyNames, bool TwoSurnames, string[] Streets, Place[] Places,
        Func<PatientDraft, Rng, string> NationalId);

    private sealed record PatientDraft(string Family, string Given, DateOnly BirthDate, bool Male, Place BirthPlace);

    private static readonly Nation Denmark = new(
        ["Lars", "Jens", "Peter", "Mikkel", "Søren", "Henrik", "Niels", "Anders", "Rasmus", "Morten", "Jørgen", "Kasper"],
        ["Mette", "Anne", "Kirsten", "Hanne", "Camilla", "Louise", "Sofie", "Ida", "Maja", "Karen", "Birgit", "Signe"],
        ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen"],
        TwoSurnames: false,
        ["Vestergade", "Nørregade", "Østergade", "Algade", "Strandvejen", "Søndergade", "Skolevej", "Kirkevej"],
        [new("København", "1050", ""), new("Aarhus", "8000", ""), new("Odense", "5000", ""), new("Aalborg", "9000", ""), new("Esbjerg", "6700", ""), new("Roskilde", "4000", "")],
        (d, rng) => DanishCpr.Create(d.BirthDate, d.Male, rng.Next(4000)));

    private static readonly Nation Spain = new(
        ["Antonio", "José", "Manuel", "Francisco", "Javier", "David", "Carlos", "Miguel", "Pablo", "Jordi", "Sergio", "Alejandro"],
        ["María", "Carmen", "Lucía", "Laura", "Ana", "Isabel", "Marta", "Elena", "Cristina", "Núria", "Pilar", "Montserrat"],
        ["García", "Martínez", "López", "Sánchez", "Fernández", "González", "Rodríguez", "Pérez", "Gómez", "Ruiz", "Díaz", "Moreno", "Puig", "Ferrer", "Navarro"],
        TwoSurnames: true,
        ["Calle Mayor", "Carrer de Balmes", "Avenida de la Constitución", "Calle de Alcalá", "Carrer de Mallorca", "Calle Real", "Paseo de Gracia"],
        [new("Barcelona", "08001", ""), new("Madrid", "28001", ""), new("Valencia", "46001", ""), new("Sevilla", "41001", ""), new("Bilbao", "48001", ""), new("Zaragoza", "50001", "")],
        (_, rng) => SpanishDni.Create(10_000_000 + rng.Next(89_999_999)));

    private static readonly Nation Italy = new(
        ["Marco", "Giuseppe", "Luca", "Francesco", "Alessandro", "Andrea", "Matteo", "Lorenzo", "Davide", "Stefano", "Giovanni", "Paolo"],
        ["Giulia", "Francesca", "Chiara", "Sara", "Martina", "Elena", "Valentina", "Alessandra", "Paola", "Anna", "Silvia", "Laura"],
        ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Costa"],
        TwoSurnames: false,
        ["Via Roma", "Via Garibaldi", "Corso Italia", "Via Dante", "Via Mazzini", "Viale Europa", "Via Verdi"],
        [new("Roma", "00184", "H501"), new("Milano", "20121", "F205"), new("Napoli", "80133", "F839"), new("Torino", "10121", "L219"), new("Bologna", "40121", "A944"), new("Firenze", "50122", "D612"), new("Bari", "70121", "A662")],
        (d, _) => ItalianCodiceFiscale.Create(d.Family, d.Given, d.BirthDate, d.Male, d.BirthPlace.CadastralCode));

    private static List<PatientFile> Generate(CountryProfile profile, Nation nation, ulong seed)
    {
        var rng = new Rng(seed);
        var files = new List<PatientFile>(PatientsPerCountry);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var cc = profile.Country.ToLowerInvariant();
        for (var i = 0; i < PatientsPerCountry; i++)
        {
            PatientDraft draft;
            string nationalId;
            string street;
            Problem[] problems;
            AllergyRecord[] allergies;
            if (i == 0 && profile.Country == "DK")
            {
                // The reference story: fixed, so that the demo and the docs can name him.
                draft = new PatientDraft("Jensen", "Lars", DemoDanishCopdBirthDate, true, nation.Places[1]);
                nationalId = DemoDanishCopdPatient;
                street = "Vestergade 12";
                problems = [Copd, Hypertension];
                allergies = [Penicillin];
            }
            else
            {
                var male = i % 2 == 0;
                var given = Pick(rng, male ? nation.MaleNames : nation.FemaleNames);
                var family = Pick(rng, nation.FamilyNames);
                if (nation.TwoSurnames)
                {
                    string second;
                    do
                    {
                        second = Pick(rng, nation.FamilyNames);
                    }
                    while (second == family);
                    family += " " + second;
                }

                var birth = new DateOnly(1938, 1, 1).AddDays(rng.Next(365 * 62));
                draft = new PatientDraft(family, given, birth, male, Pick(rng, nation.Places));
                do
                {
                    nationalId = nation.NationalId(draft, rng);
                }
                while (!used.Add(nationalId));

                street = $"{Pick(rng, nation.Streets)} {1 + rng.Next(120)}";
                var problemCount = 1 + rng.Next(3);
                problems = Enumerable.Range(0, Problems.Length).OrderBy(_ => rng.Next(1000)).Take(problemCount)
                    .Select(k => Problems[k]).DistinctBy(p => p.Condition.SnomedCode).ToArray();
                allergies = rng.Next(10) < 4 ? [] : [Pick(rng, Allergies)];
            }

            used.Add(nationalId);
            var onsetBase = draft.BirthDate.AddYears(35);
            var conditions = problems.Select((p, k) => p.Condition with { Onset = Later(onsetBase.AddDays(400 * k + rng.Next(3000))) }).ToList();
            var drugs = problems.SelectMany(p => p.Drugs).DistinctBy(d => d.Atc).ToList();
            var medications = drugs.Select(d => new MedicationRecord(d.Atc, d.Name, d.Dose, Later(onsetBase.AddDays(rng.Next(3000))))).ToList();

            var gpMale = rng.Next(2) == 0;
            var gp = (Family: Pick(rng, nation.FamilyNames), Given: Pick(rng, gpMale ? nation.MaleNames : nation.FemaleNames));
            var prescriber = $"{gp.Given} {gp.Family}";
            var prescriptionCount = i == 0 && profile.Country == "DK" ? 3 : Math.Min(drugs.Count, 1 + rng.Next(3));
            var authored = new DateOnly(2026, 1, 5).AddDays(rng.Next(300));
            var prescriptions = drugs.Take(prescriptionCount)
                .Select((d, k) => new PrescriptionRecord($"{cc}-rx-{i + 1:D3}-{k + 1}", d.Atc, d.Name, d.Dose, d.Quantity, d.Unit, prescriber, authored.AddDays(-7 * k)))
                .ToList();

            var patient = new PatientRecord(
                nationalId, profile.IdentifierSystem, draft.Family, draft.Given.Split(' '), draft.BirthDate, draft.Male ? "male" : "female",
                profile.Country, draft.BirthPlace.City, street, draft.BirthPlace.PostalCode, PatientResourceId(profile.Country, nationalId));
            files.Add(new PatientFile(patient, gp, conditions, allergies, medications, prescriptions));
        }

        return files;
    }

    private static DateOnly Later(DateOnly d) => d > new DateOnly(2025, 12, 31) ? new DateOnly(2025, 12, 31) : d;

    private static T Pick<T>(Rng rng, T[] items) => items[rng.Next(items.Length)];

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): a tiny deterministic generator, stable across runtimes.</summary>
    private sealed class Rng(ulong seed)
    {
        private ulong _state = seed;

        public int Next(int bound)
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z % (ulong)bound);
        }
    }

    internal static string Describe(PatientFile f) =>
        string.Create(CultureInfo.InvariantCulture, $"{f.Patient.NationalId} {string.Join(' ', f.Patient.GivenNames)} {f.Patient.FamilyName} {f.Patient.BirthDate:yyyy-MM-dd}");
}
