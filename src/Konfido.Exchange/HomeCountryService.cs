using System.Net;
using Hl7.Fhir.Model;
using Konfido.Core;
using Konfido.Records;

namespace Konfido.Exchange;

/// <summary>A FHIR response body with its detached JWS, ready to send.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Body">FHIR JSON.</param>
/// <param name="Signature">The detached ES256 JWS over <paramref name="Body"/>.</param>
public sealed record SignedFhirResponse(HttpStatusCode Status, byte[] Body, string Signature);

/// <summary>
/// Country A's side of the exchange: answers a verified peer's discovery, patient-summary,
/// ePrescription and eDispensation requests from the national back end, signs every answer with
/// the node's key, and emits one security event per transaction.
/// </summary>
public sealed class HomeCountryService
{
    private readonly INationalBackend _backend;
    private readonly NodeCredentials _credentials;
    private readonly ISecurityEventSink _events;

    /// <summary>Creates the service. Requires all arguments.</summary>
    public HomeCountryService(INationalBackend backend, NodeCredentials credentials, ISecurityEventSink events)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(events);
        _backend = backend;
        _credentials = credentials;
        _events = events;
    }

    /// <summary>Patient discovery (PDQm-style). Requires a caller from the trust list.</summary>
    public async Task<SignedFhirResponse> DiscoverAsync(FederationMember caller, PatientQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(query);
        if (!query.HasCriteria)
        {
            return await FailAsync(caller, "patient-discovery", null, HttpStatusCode.BadRequest, "required",
                "patient discovery needs an identifier or demographics (family, given, birthdate)", cancellationToken).ConfigureAwait(false);
        }

        var patients = await _backend.FindPatientsAsync(query, cancellationToken).ConfigureAwait(false);
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = patients.Count, Timestamp = DateTimeOffset.UtcNow };
        foreach (var patient in patients)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"urn:uuid:{Guid.NewGuid()}",
                Resource = patient,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        await EmitAsync(caller, "patient-discovery", query.IdentifierValue, EventOutcome.Success, null,
            new Dictionary<string, string> { ["matches"] = patients.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) }, cancellationToken).ConfigureAwait(false);
        return Sign(HttpStatusCode.OK, bundle);
    }

    /// <summary>The patient's International Patient Summary. Requires a non-empty identifier value.</summary>
    public async Task<SignedFhirResponse> GetPatientSummaryAsync(FederationMember caller, string nationalId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (string.IsNullOrWhiteSpace(nationalId))
        {
            return await FailAsync(caller, "ips-retrieve", null, HttpStatusCode.BadRequest, "required", "the patient identifier is missing", cancellationToken).ConfigureAwait(false);
        }

        var summary = await _backend.GetPatientSummaryAsync(nationalId, cancellationToken).ConfigureAwait(false);
        if (summary is null)
        {
            return await FailAsync(caller, "ips-retrieve", nationalId, HttpStatusCode.NotFound, "not-found", "no patient with that identifier", cancellationToken).ConfigureAwait(false);
        }

        await EmitAsync(caller, "ips-retrieve", nationalId, EventOutcome.Success, null, null, cancellationToken).ConfigureAwait(false);
        return Sign(HttpStatusCode.OK, summary);
    }

    /// <summary>The patient's ePrescriptions as a searchset Bundle. Requires a non-empty identifier value.</summary>
    public async Task<SignedFhirResponse> GetPrescriptionsAsync(FederationMember caller, string nationalId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (string.IsNullOrWhiteSpace(nationalId))
        {
            return await FailAsync(caller, "eprescription-list", null, HttpStatusCode.BadRequest, "required", "the patient identifier is missing", cancellationToken).ConfigureAwait(false);
        }

        var prescriptions = await _backend.GetPrescriptionsAsync(nationalId, cancellationToken).ConfigureAwait(false);
        if (prescriptions is null)
        {
            return await FailAsync(caller, "eprescription-list", nationalId, HttpStatusCode.NotFound, "not-found", "no patient with that identifier", cancellationToken).ConfigureAwait(false);
        }

        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = prescriptions.Count, Timestamp = DateTimeOffset.UtcNow };
        foreach (var prescription in prescriptions)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"urn:uuid:{Guid.NewGuid()}",
                Resource = prescription,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        await EmitAsync(caller, "eprescription-list", nationalId, EventOutcome.Success, null, null, cancellationToken).ConfigureAwait(false);
        return Sign(HttpStatusCode.OK, bundle);
    }

    /// <summary>
    /// An eDispensation: 201 with the stored MedicationDispense the first time, 409 afterwards,
    /// 404 for an unknown prescription, 400 for a malformed body.
    /// </summary>
    public async Task<SignedFhirResponse> DispenseAsync(FederationMember caller, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        MedicationDispense dispense;
        try
        {
            dispense = FhirJson.Parse<MedicationDispense>(body.Span);
        }
        catch (FhirFormatException ex)
        {
            return await FailAsync(caller, "edispensation", null, HttpStatusCode.BadRequest, "structure", ex.Message, cancellationToken).ConfigureAwait(false);
        }

        var patientId = dispense.Subject?.Identifier?.Value;
        var result = await _backend.DispenseAsync(dispense, cancellationToken).ConfigureAwait(false);
        return result.Status switch
        {
            DispenseStatus.Dispensed => await SucceedAsync(result.Stored!).ConfigureAwait(false),
            DispenseStatus.AlreadyDispensed => await FailAsync(caller, "edispensation", patientId, HttpStatusCode.Conflict, "conflict", result.Reason ?? "the prescription was already dispensed", cancellationToken).ConfigureAwait(false),
            DispenseStatus.UnknownPrescription => await FailAsync(caller, "edispensation", patientId, HttpStatusCode.NotFound, "not-found", result.Reason ?? "no such prescription", cancellationToken).ConfigureAwait(false),
            _ => await FailAsync(caller, "edispensation", patientId, HttpStatusCode.BadRequest, "invalid", result.Reason ?? "the dispensation is invalid", cancellationToken).ConfigureAwait(false),
        };

        async Task<SignedFhirResponse> SucceedAsync(MedicationDispense stored)
        {
            await EmitAsync(caller, "edispensation", patientId, EventOutcome.Success, null,
                new Dictionary<string, string> { ["prescription"] = stored.AuthorizingPrescription.FirstOrDefault()?.Reference ?? string.Empty }, cancellationToken).ConfigureAwait(false);
            return Sign(HttpStatusCode.Created, stored);
        }
    }

    private async Task<SignedFhirResponse> FailAsync(FederationMember caller, string action, string? patientId, HttpStatusCode status,
        string issueType, string message, CancellationToken cancellationToken)
    {
        await EmitAsync(caller, action, patientId, EventOutcome.Failure, message, null, cancellationToken).ConfigureAwait(false);
        return Sign(status, FhirOutcomes.Error(issueType, message));
    }

    private SignedFhirResponse Sign(HttpStatusCode status, Resource resource)
    {
        var body = FhirJson.Serialize(resource);
        return new SignedFhirResponse(status, body, DetachedJws.Sign(body, _credentials.SigningKey, _credentials.Country));
    }

    private ValueTask EmitAsync(FederationMember caller, string action, string? patientId, EventOutcome outcome, string? reason,
        IReadOnlyDictionary<string, string>? attributes, CancellationToken cancellationToken) =>
        _events.PublishAsync(new SecurityEvent
        {
            Node = _credentials.Country,
            Category = EventCategories.Exchange,
            Action = action,
            Outcome = outcome,
            Actor = $"ncp:{caller.Country}",
            PatientId = patientId,
            SourceCountry = caller.Country,
            TargetCountry = _credentials.Country,
            Reason = reason,
            Attributes = attributes ?? new Dictionary<string, string> { ["side"] = "home" },
        }, cancellationToken);
}
