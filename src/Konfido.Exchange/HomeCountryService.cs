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
/// the node's key, and emits one security event per transaction. Every transaction passes the
/// access gate (cross-border assertions, policy) before the back end is touched.
/// </summary>
public sealed class HomeCountryService
{
    private readonly INationalBackend _backend;
    private readonly NodeCredentials _credentials;
    private readonly ISecurityEventSink _events;
    private readonly IAccessGate? _gate;

    /// <summary>Creates the service. Requires the back end, credentials and event sink.</summary>
    /// <param name="backend">The national back end.</param>
    /// <param name="credentials">The node's signing credentials.</param>
    /// <param name="events">Where transaction events go.</param>
    /// <param name="gate">Authorises each transaction; null permits every trust-list member (for tests of the exchange alone).</param>
    public HomeCountryService(INationalBackend backend, NodeCredentials credentials, ISecurityEventSink events, IAccessGate? gate = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(events);
        _backend = backend;
        _credentials = credentials;
        _events = events;
        _gate = gate;
    }

    /// <summary>Patient discovery (PDQm-style). Requires a caller from the trust list.</summary>
    public async Task<SignedFhirResponse> DiscoverAsync(FederationCall call, PatientQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(query);
        const string action = "patient-discovery";
        if (!query.HasCriteria)
        {
            return await FailAsync(new Who(call, null), action, null, HttpStatusCode.BadRequest, "required",
                "patient discovery needs an identifier or demographics (family, given, birthdate)", cancellationToken).ConfigureAwait(false);
        }

        var (who, refused) = await AuthoriseAsync(call, ExchangeTransaction.PatientDiscovery, action, query.IdentifierValue, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
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

        await EmitAsync(who, action, query.IdentifierValue, EventOutcome.Success, null,
            new Dictionary<string, string> { ["matches"] = patients.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) }, cancellationToken).ConfigureAwait(false);
        return Sign(HttpStatusCode.OK, bundle);
    }

    /// <summary>The patient's International Patient Summary. Requires a caller from the trust list.</summary>
    public async Task<SignedFhirResponse> GetPatientSummaryAsync(FederationCall call, string nationalId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        const string action = "ips-retrieve";
        if (string.IsNullOrWhiteSpace(nationalId))
        {
            return await FailAsync(new Who(call, null), action, null, HttpStatusCode.BadRequest, "required", "the patient identifier is missing", cancellationToken).ConfigureAwait(false);
        }

        var (who, refused) = await AuthoriseAsync(call, ExchangeTransaction.PatientSummary, action, nationalId, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var summary = await _backend.GetPatientSummaryAsync(nationalId, cancellationToken).ConfigureAwait(false);
        if (summary is null)
        {
            return await FailAsync(who, action, nationalId, HttpStatusCode.NotFound, "not-found", "no patient with that identifier", cancellationToken).ConfigureAwait(false);
        }

        await EmitAsync(who, action, nationalId, EventOutcome.Success, null, null, cancellationToken).ConfigureAwait(false);
        return Sign(HttpStatusCode.OK, summary);
    }

    /// <summary>The patient's ePrescriptions as a searchset Bundle. Requires a caller from the trust list.</summary>
    public async Task<SignedFhirResponse> GetPrescriptionsAsync(FederationCall call, string nationalId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        const string action = "eprescription-list";
        if (string.IsNullOrWhiteSpace(nationalId))
        {
            return await FailAsync(new Who(call, null), action, null, HttpStatusCode.BadRequest, "required", "the patient identifier is missing", cancellationToken).ConfigureAwait(false);
        }

        var (who, refused) = await AuthoriseAsync(call, ExchangeTransaction.Prescriptions, action, nationalId, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var prescriptions = await _backend.GetPrescriptionsAsync(nationalId, cancellationToken).ConfigureAwait(false);
        if (prescriptions is null)
        {
            return await FailAsync(who, action, nationalId, HttpStatusCode.NotFound, "not-found", "no patient with that identifier", cancellationToken).ConfigureAwait(false);
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

        await EmitAsync(who, action, nationalId, EventOutcome.Success, null, null, cancellationToken).ConfigureAwait(false);
        return Sign(HttpStatusCode.OK, bundle);
    }

    /// <summary>
    /// An eDispensation: 201 with the stored MedicationDispense the first time, 409 afterwards,
    /// 404 for an unknown prescription, 400 for a malformed body.
    /// </summary>
    public async Task<SignedFhirResponse> DispenseAsync(FederationCall call, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        const string action = "edispensation";
        MedicationDispense dispense;
        try
        {
            dispense = FhirJson.Parse<MedicationDispense>(body.Span);
        }
        catch (FhirFormatException ex)
        {
            return await FailAsync(new Who(call, null), action, null, HttpStatusCode.BadRequest, "structure", ex.Message, cancellationToken).ConfigureAwait(false);
        }

        var patientId = dispense.Subject?.Identifier?.Value;
        if (string.IsNullOrWhiteSpace(patientId))
        {
            return await FailAsync(new Who(call, null), action, null, HttpStatusCode.BadRequest, "required", "the MedicationDispense has no subject identifier", cancellationToken).ConfigureAwait(false);
        }

        var (who, refused) = await AuthoriseAsync(call, ExchangeTransaction.Dispensation, action, patientId, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var result = await _backend.DispenseAsync(dispense, cancellationToken).ConfigureAwait(false);
        return result.Status switch
        {
            DispenseStatus.Dispensed => await SucceedAsync(result.Stored!).ConfigureAwait(false),
            DispenseStatus.AlreadyDispensed => await FailAsync(who, action, patientId, HttpStatusCode.Conflict, "conflict", result.Reason ?? "the prescription was already dispensed", cancellationToken).ConfigureAwait(false),
            DispenseStatus.UnknownPrescription => await FailAsync(who, action, patientId, HttpStatusCode.NotFound, "not-found", result.Reason ?? "no such prescription", cancellationToken).ConfigureAwait(false),
            _ => await FailAsync(who, action, patientId, HttpStatusCode.BadRequest, "invalid", result.Reason ?? "the dispensation is invalid", cancellationToken).ConfigureAwait(false),
        };

        async Task<SignedFhirResponse> SucceedAsync(MedicationDispense stored)
        {
            await EmitAsync(who, action, patientId, EventOutcome.Success, null,
                new Dictionary<string, string> { ["prescription"] = stored.AuthorizingPrescription.FirstOrDefault()?.Reference ?? string.Empty }, cancellationToken).ConfigureAwait(false);
            return Sign(HttpStatusCode.Created, stored);
        }
    }

    /// <summary>The caller and, once the gate decided, who they act for.</summary>
    private sealed record Who(FederationCall Call, AccessDecision? Decision);

    private async Task<(Who Who, SignedFhirResponse? Refused)> AuthoriseAsync(FederationCall call, ExchangeTransaction transaction, string action,
        string? patientId, CancellationToken cancellationToken)
    {
        if (_gate is null)
        {
            return (new Who(call, null), null);
        }

        var decision = await _gate.DecideAsync(call, transaction, patientId, cancellationToken).ConfigureAwait(false);
        var who = new Who(call, decision);
        if (decision.Permitted)
        {
            return (who, null);
        }

        var reason = decision.Reason ?? "access denied";
        return (who, await FailAsync(who, action, patientId, decision.Status, decision.IssueType, reason, cancellationToken).ConfigureAwait(false));
    }

    private async Task<SignedFhirResponse> FailAsync(Who who, string action, string? patientId, HttpStatusCode status,
        string issueType, string message, CancellationToken cancellationToken)
    {
        await EmitAsync(who, action, patientId, EventOutcome.Failure, message, null, cancellationToken).ConfigureAwait(false);
        return Sign(status, FhirOutcomes.Error(issueType, message));
    }

    private SignedFhirResponse Sign(HttpStatusCode status, Resource resource)
    {
        var body = FhirJson.Serialize(resource);
        return new SignedFhirResponse(status, body, DetachedJws.Sign(body, _credentials.SigningKey, _credentials.Country));
    }

    private ValueTask EmitAsync(Who who, string action, string? patientId, EventOutcome outcome, string? reason,
        IReadOnlyDictionary<string, string>? attributes, CancellationToken cancellationToken)
    {
        var decision = who.Decision;
        var merged = new Dictionary<string, string>(StringComparer.Ordinal) { ["side"] = "home" };
        foreach (var source in new[] { decision?.Attributes, attributes })
        {
            if (source is not null)
            {
                foreach (var (key, value) in source)
                {
                    merged[key] = value;
                }
            }
        }

        if (decision is { Permitted: true, Reason: { } flag })
        {
            merged["flag"] = flag;
        }

        return _events.PublishAsync(new SecurityEvent
        {
            Node = _credentials.Country,
            Category = EventCategories.Exchange,
            Action = action,
            Outcome = outcome,
            Actor = decision?.Actor ?? $"ncp:{who.Call.Caller.Country}",
            ActorRole = decision?.ActorRole,
            Organisation = decision?.Organisation,
            PurposeOfUse = decision?.PurposeOfUse,
            PatientId = patientId,
            SourceCountry = who.Call.Caller.Country,
            TargetCountry = _credentials.Country,
            SourceIp = who.Call.SourceIp,
            Reason = reason,
            Attributes = merged,
        }, cancellationToken);
    }
}
