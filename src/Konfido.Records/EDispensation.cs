using System.Globalization;
using Hl7.Fhir.Model;
using Konfido.Fhir;

namespace Konfido.Records;

/// <summary>
/// The shape of an eDispensation (FHIR MedicationDispense) that <see cref="INationalBackend.DispenseAsync"/> accepts,
/// and a builder for it. Required: <c>authorizingPrescription</c> = <c>MedicationRequest/&lt;id&gt;</c>;
/// <c>subject.identifier</c> = the patient's national identifier (system optional, must be the home country's if
/// given); <c>location</c> = a reference to a contained Location whose <c>address.country</c> is the ISO 3166-1
/// code of the dispensing country. Optional: <c>status</c> (only <c>completed</c>), <c>quantity</c> (positive),
/// <c>performer.actor.display</c> (the pharmacist or pharmacy), <c>whenHandedOver</c>, <c>medicationCodeableConcept</c>.
/// </summary>
public static class EDispensation
{
    /// <summary>Builds a MedicationDispense in the accepted shape. Requires non-empty ids and a two-letter country.</summary>
    /// <param name="prescriptionId">The MedicationRequest id being dispensed.</param>
    /// <param name="patientNationalId">The patient's national identifier.</param>
    /// <param name="identifierSystem">The identifier's system, or null.</param>
    /// <param name="dispensingCountry">The ISO 3166-1 alpha-2 code of the country where it is dispensed.</param>
    /// <param name="pharmacy">The dispensing pharmacy or pharmacist (performer display).</param>
    /// <param name="handedOver">When the medicine was handed over.</param>
    /// <param name="quantity">The quantity dispensed, if stated.</param>
    /// <param name="quantityUnit">Its unit.</param>
    public static MedicationDispense Create(
        string prescriptionId,
        string patientNationalId,
        string? identifierSystem,
        string dispensingCountry,
        string pharmacy,
        DateTimeOffset handedOver,
        int? quantity = null,
        string? quantityUnit = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prescriptionId);
        ArgumentException.ThrowIfNullOrWhiteSpace(patientNationalId);
        ArgumentException.ThrowIfNullOrWhiteSpace(pharmacy);
        if (dispensingCountry is not { Length: 2 } || !dispensingCountry.All(char.IsAsciiLetter))
        {
            throw new ArgumentException("The dispensing country must be an ISO 3166-1 alpha-2 code.", nameof(dispensingCountry));
        }

        var dispense = new MedicationDispense
        {
            Status = MedicationDispense.MedicationDispenseStatusCodes.Completed,
            AuthorizingPrescription = [new ResourceReference("MedicationRequest/" + prescriptionId)],
            Subject = new ResourceReference { Identifier = new Identifier(identifierSystem, patientNationalId) },
            Performer = [new MedicationDispense.PerformerComponent { Actor = new ResourceReference { Display = pharmacy } }],
            Location = new ResourceReference("#dispensing-location"),
            WhenHandedOver = handedOver.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
            Contained =
            [
                new Location
                {
                    Id = "dispensing-location",
                    Name = pharmacy,
                    Address = new Address { Country = dispensingCountry.ToUpperInvariant() },
                },
            ],
        };
        if (quantity is { } q)
        {
            dispense.Quantity = new Quantity { Value = q, Unit = quantityUnit };
        }

        return dispense;
    }

    /// <summary>The validated essentials of a submitted dispense, or the reason it is malformed.</summary>
    internal sealed record Submission(string PrescriptionId, string NationalId, string? IdentifierSystem, string Country, string? Performer, int? Quantity);

    /// <summary>Checks the shape described on <see cref="EDispensation"/>; returns the essentials or a reason.</summary>
    internal static (Submission? Submission, string? Reason) Read(MedicationDispense dispense)
    {
        try
        {
            return ReadChecked(dispense);
        }
        catch (Exception ex) when (ex is Hl7.Fhir.Utility.CodedException or InvalidCastException or FormatException)
        {
            // A resource parsed with errors can hold values its typed getters refuse (e.g. an unknown status code).
            return (null, "The MedicationDispense is damaged: " + ex.Message);
        }
    }

    private static (Submission? Submission, string? Reason) ReadChecked(MedicationDispense dispense)
    {
        var target = dispense.AuthorizingPrescription.Select(r => r?.Reference).FirstOrDefault(r => r is not null);
        if (target is null)
        {
            return (null, "authorizingPrescription must reference the prescription as MedicationRequest/<id>.");
        }

        const string marker = "MedicationRequest/";
        var at = target.LastIndexOf(marker, StringComparison.Ordinal);
        var id = at >= 0 ? target[(at + marker.Length)..] : "";
        var history = id.IndexOf('/', StringComparison.Ordinal);
        if (history >= 0)
        {
            id = id[..history];
        }

        if (at < 0 || (at > 0 && target[at - 1] != '/') || id.Length is 0 or > 64)
        {
            return (null, $"authorizingPrescription '{target}' is not a MedicationRequest/<id> reference.");
        }

        if (dispense.Subject?.Identifier?.Value is not { Length: > 0 } nationalId)
        {
            return (null, "subject.identifier must carry the patient's national identifier.");
        }

        if (dispense.Status is { } status && status != MedicationDispense.MedicationDispenseStatusCodes.Completed)
        {
            return (null, $"Only completed dispensations are accepted (status is '{dispense.StatusElement?.ToString()}').");
        }

        int? quantity = null;
        if (dispense.Quantity is { } q)
        {
            if (q.Value is not { } value || value <= 0 || value != decimal.Truncate(value) || value > int.MaxValue)
            {
                return (null, "quantity must be a positive whole number.");
            }

            quantity = (int)value;
        }

        var country = DispensingCountry(dispense);
        if (country is null)
        {
            return (null, "location must reference a contained Location whose address.country is the dispensing country (ISO 3166-1 alpha-2).");
        }

        var performer = dispense.Performer.Select(p => p?.Actor?.Display).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d));
        return (new Submission(id, nationalId, dispense.Subject.Identifier.System, country, performer, quantity), null);
    }

    private static string? DispensingCountry(MedicationDispense dispense)
    {
        if (dispense.Location?.Reference is not { Length: > 1 } reference || reference[0] != '#')
        {
            return null;
        }

        var location = dispense.Contained.OfType<Location>().FirstOrDefault(l => l.Id == reference[1..]);
        var country = location?.Address?.Country;
        return country is { Length: 2 } && country.All(char.IsAsciiLetter) ? country.ToUpperInvariant() : null;
    }
}
