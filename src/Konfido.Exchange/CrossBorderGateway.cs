using System.Globalization;
using System.Net;
using System.Text;
using Konfido.Core;
using Konfido.Records;

namespace Konfido.Exchange;

/// <summary>
/// Country B's side of the exchange: routes a local professional's request to the patient's home
/// country over the federation client (mutual TLS, pinned certificates, verified signatures) and
/// emits one security event per transaction with its outcome.
/// </summary>
public sealed class CrossBorderGateway
{
    private readonly string _country;
    private readonly FederationClient _client;
    private readonly ISecurityEventSink _events;

    /// <summary>Creates the gateway for the node of <paramref name="country"/>. Requires all arguments.</summary>
    public CrossBorderGateway(string country, FederationClient client, ISecurityEventSink events)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(events);
        _country = country.ToUpperInvariant();
        _client = client;
        _events = events;
    }

    /// <summary>Discovers a patient in <paramref name="homeCountry"/>. Requires at least one criterion.</summary>
    public Task<PeerResponse> DiscoverAsync(string homeCountry, PatientQuery query, IRequester? requester, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!query.HasCriteria)
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "required", "patient discovery needs an identifier or demographics (family, given, birthdate)");
        }

        var url = new StringBuilder(FederationProtocol.PatientPath).Append('?');
        Append(url, "identifier", query.IdentifierValue is null ? null : FederationProtocol.JoinToken(query.IdentifierSystem, query.IdentifierValue));
        Append(url, "family", query.FamilyName);
        Append(url, "given", query.GivenName);
        Append(url, "birthdate", query.BirthDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return RouteAsync("patient-discovery", homeCountry, query.IdentifierValue, requester,
            (c, h) => _client.GetAsync(c, url.ToString().TrimEnd('&'), h, cancellationToken), cancellationToken);
    }

    /// <summary>Retrieves the patient's International Patient Summary from <paramref name="homeCountry"/>.</summary>
    public Task<PeerResponse> GetPatientSummaryAsync(string homeCountry, string? identifierSystem, string nationalId, IRequester? requester, CancellationToken cancellationToken = default)
    {
        RequireId(nationalId);
        var url = $"{FederationProtocol.SummaryPath}?identifier={Uri.EscapeDataString(FederationProtocol.JoinToken(identifierSystem, nationalId))}";
        return RouteAsync("ips-retrieve", homeCountry, nationalId, requester, (c, h) => _client.GetAsync(c, url, h, cancellationToken), cancellationToken);
    }

    /// <summary>Lists the patient's ePrescriptions held by <paramref name="homeCountry"/>.</summary>
    public Task<PeerResponse> GetPrescriptionsAsync(string homeCountry, string? identifierSystem, string nationalId, IRequester? requester, CancellationToken cancellationToken = default)
    {
        RequireId(nationalId);
        var url = $"{FederationProtocol.PrescriptionsPath}?patient.identifier={Uri.EscapeDataString(FederationProtocol.JoinToken(identifierSystem, nationalId))}";
        return RouteAsync("eprescription-list", homeCountry, nationalId, requester, (c, h) => _client.GetAsync(c, url, h, cancellationToken), cancellationToken);
    }

    /// <summary>Submits an eDispensation (FHIR JSON MedicationDispense) to <paramref name="homeCountry"/>.</summary>
    public Task<PeerResponse> DispenseAsync(string homeCountry, byte[] medicationDispenseJson, IRequester? requester, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(medicationDispenseJson);
        // Parse locally first: a malformed body is the local client's error, not the peer's.
        var dispense = FhirJson.Parse<Hl7.Fhir.Model.MedicationDispense>(medicationDispenseJson);
        return RouteAsync("edispensation", homeCountry, dispense.Subject?.Identifier?.Value, requester,
            (c, h) => _client.PostSealedAsync(c, FederationProtocol.DispensePath, medicationDispenseJson, h, cancellationToken), cancellationToken);
    }

    private async Task<PeerResponse> RouteAsync(string action, string homeCountry, string? patientId, IRequester? requester,
        Func<string, IReadOnlyList<KeyValuePair<string, string>>?, Task<PeerResponse>> call, CancellationToken cancellationToken)
    {
        if (!CountryCode.TryParse(homeCountry, out var target))
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"'{homeCountry}' is not a two-letter country code");
        }

        PeerResponse response;
        try
        {
            response = await call(target.Value, requester?.AssertionHeaders(target.Value, patientId)).ConfigureAwait(false);
        }
        catch (ExchangeException ex)
        {
            await EmitAsync(action, target.Value, patientId, requester, EventOutcome.Failure, ex.Message, cancellationToken).ConfigureAwait(false);
            throw;
        }

        var ok = (int)response.Status is >= 200 and < 300;
        await EmitAsync(action, target.Value, patientId, requester, ok ? EventOutcome.Success : EventOutcome.Failure,
            ok ? null : $"the {target.Value} node answered {(int)response.Status}", cancellationToken).ConfigureAwait(false);
        return response;
    }

    private ValueTask EmitAsync(string action, string target, string? patientId, IRequester? requester, EventOutcome outcome, string? reason, CancellationToken cancellationToken) =>
        _events.PublishAsync(new SecurityEvent
        {
            Node = _country,
            Category = EventCategories.Exchange,
            Action = action,
            Outcome = outcome,
            Actor = requester?.Actor,
            ActorRole = requester?.ActorRole,
            Organisation = requester?.Organisation,
            PurposeOfUse = requester?.PurposeOfUse,
            PatientId = patientId,
            SourceCountry = _country,
            TargetCountry = target,
            Reason = reason,
            Attributes = new Dictionary<string, string> { ["side"] = "requesting" },
        }, cancellationToken);

    private static void RequireId(string nationalId)
    {
        if (string.IsNullOrWhiteSpace(nationalId))
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "required", "the patient identifier is missing");
        }
    }

    private static void Append(StringBuilder url, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            url.Append(name).Append('=').Append(Uri.EscapeDataString(value)).Append('&');
        }
    }
}
