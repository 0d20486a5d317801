using Konfido.Eid.CrossBorder;

namespace Konfido.Node;

/// <summary>
/// The health professionals a bootstrapped federation registers in each country (and the embedded
/// test eIDAS nodes can log in): a doctor, a nurse and a pharmacist per country.
/// </summary>
public static class DemoProfessionals
{
    /// <summary>The Spanish doctor of the demo story.</summary>
    public const string SpanishDoctor = "ES/ES/12345678Z";

    /// <summary>The Italian pharmacist of the demo story.</summary>
    public const string ItalianPharmacist = "IT/IT/RSSMRA80A01H501U";

    /// <summary>The person identifier of <paramref name="country"/>'s demo professional in <paramref name="role"/>.</summary>
    public static string Identifier(string country, HcpRole role) =>
        For(country).First(p => p.Role == role).PersonIdentifier;

    /// <summary>The person identifier of <paramref name="country"/>'s demo node operator (web console, may act).</summary>
    public static string Operator(string country) => $"{country.ToUpperInvariant()}/{country.ToUpperInvariant()}/OPS0001";

    /// <summary>The person identifier of <paramref name="country"/>'s demo auditor (web console, read-only).</summary>
    public static string Auditor(string country) => $"{country.ToUpperInvariant()}/{country.ToUpperInvariant()}/AUD0001";

    /// <summary>The node staff of <paramref name="country"/>: one operator and one auditor of the web console.</summary>
    public static IReadOnlyList<NodeStaffMember> Staff(string country)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        var cc = country.ToUpperInvariant();
        return
        [
            new(Operator(cc), "Operator", "Olga", new DateOnly(1984, 5, 6), $"Olga Operator ({cc} NCP operations)", ConsoleRole.Operator),
            new(Auditor(cc), "Auditor", "Arne", new DateOnly(1969, 8, 9), $"Arne Auditor ({cc} NCP audit)", ConsoleRole.Auditor),
        ];
    }

    /// <summary>The registered professionals of <paramref name="country"/>.</summary>
    public static IReadOnlyList<RegisteredProfessional> For(string country)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        var cc = country.ToUpperInvariant();
        return cc switch
        {
            "ES" =>
            [
                new(SpanishDoctor, "García", "Lucía", new DateOnly(1979, 4, 2), "Dra. Lucía García", HcpRole.Doctor, "Hospital Clínic de Barcelona", "urn:oid:2.16.724.4.8.10.200.10", HealthcareFacilityType.Hospital, "Barcelona"),
                new("ES/ES/87654321X", "Martín", "Pablo", new DateOnly(1985, 9, 17), "Pablo Martín", HcpRole.Nurse, "Hospital Clínic de Barcelona", "urn:oid:2.16.724.4.8.10.200.10", HealthcareFacilityType.Hospital, "Barcelona"),
                new("ES/ES/11223344B", "Ruiz", "Elena", new DateOnly(1990, 1, 23), "Elena Ruiz", HcpRole.Pharmacist, "Farmacia Diagonal", "urn:oid:2.16.724.4.8.10.300.7", HealthcareFacilityType.Pharmacy, "Barcelona"),
            ],
            "IT" =>
            [
                new("IT/IT/BNCGLI75C41F205X", "Bianchi", "Giulia", new DateOnly(1975, 3, 1), "Dott.ssa Giulia Bianchi", HcpRole.Doctor, "Ospedale San Camillo", "urn:oid:2.16.840.1.113883.2.9.4.1.3", HealthcareFacilityType.Hospital, "Roma"),
                new("IT/IT/VRDLCU88D12H501Y", "Verdi", "Luca", new DateOnly(1988, 4, 12), "Luca Verdi", HcpRole.Nurse, "Ospedale San Camillo", "urn:oid:2.16.840.1.113883.2.9.4.1.3", HealthcareFacilityType.Hospital, "Roma"),
                new(ItalianPharmacist, "Rossi", "Mario", new DateOnly(1980, 1, 1), "Dott. Mario Rossi", HcpRole.Pharmacist, "Farmacia Centrale, Roma", "urn:oid:2.16.840.1.113883.2.9.4.1.5", HealthcareFacilityType.Pharmacy, "Roma"),
            ],
            _ =>
            [
                new($"{cc}/{cc}/D0001", "Hansen", "Mette", new DateOnly(1972, 6, 5), $"Dr. Mette Hansen ({cc})", HcpRole.Doctor, $"{cc} University Hospital", "urn:oid:1.2.208.176.1.1", HealthcareFacilityType.Hospital, $"{cc} capital"),
                new($"{cc}/{cc}/N0001", "Nielsen", "Sofie", new DateOnly(1991, 11, 30), $"Sofie Nielsen ({cc})", HcpRole.Nurse, $"{cc} University Hospital", "urn:oid:1.2.208.176.1.2", HealthcareFacilityType.Hospital, $"{cc} capital"),
                new($"{cc}/{cc}/P0001", "Larsen", "Jens", new DateOnly(1983, 2, 14), $"Jens Larsen ({cc})", HcpRole.Pharmacist, $"{cc} Central Pharmacy", "urn:oid:1.2.208.176.1.3", HealthcareFacilityType.Pharmacy, $"{cc} capital"),
            ],
        };
    }
}
