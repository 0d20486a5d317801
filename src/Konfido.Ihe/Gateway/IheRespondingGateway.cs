using System.Net;
using System.Xml.Linq;
using Hl7.Fhir.Model;
using Konfido.Exchange;
using Konfido.Ihe.Atna;
using Konfido.Ihe.Cda;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;
using Konfido.Records;

namespace Konfido.Ihe.Gateway;

/// <summary>An HTTP response for a SOAP endpoint.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Body">The body.</param>
/// <param name="ContentType">Its Content-Type.</param>
public sealed record SoapHttpResponse(int Status, byte[] Body, string ContentType);

/// <summary>
/// Country A's IHE responding gateway: reads XCPD, XCA query/retrieve and XDR requests, hands the
/// WS-Security assertions to the same <see cref="HomeCountryService"/> (and so the same access gate,
/// back end and events) as the FHIR path, transforms the FHIR answers into eHDSI CDA and HL7 V3 /
/// ebXML responses, and records an ATNA audit of every transaction. Malformed requests get SOAP faults.
/// </summary>
public sealed class IheRespondingGateway
{
    private readonly string _country;
    private readonly HomeCountryService _home;
    private readonly CdaTransformer _transformer;
    private readonly AtnaAuditor _auditor;

    /// <summary>Creates the gateway of <paramref name="country"/>. Requires all arguments.</summary>
    /// <param name="country">This node's country.</param>
    /// <param name="home">The FHIR-path service (gate, back end, events).</param>
    /// <param name="transformer">The CDA transformer.</param>
    /// <param name="auditor">Where ATNA audits go.</param>
    public IheRespondingGateway(string country, HomeCountryService home, CdaTransformer transformer, AtnaAuditor auditor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(country);
        ArgumentNullException.ThrowIfNull(home);
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(auditor);
        _country = country.ToUpperInvariant();
        _home = home;
        _transformer = transformer;
        _auditor = auditor;
    }

    /// <summary>Serves one request to <paramref name="endpoint"/> (an <see cref="IheEndpoints"/> path, Konfido's or OpenNCP's). Never throws for bad input: faults are responses.</summary>
    /// <param name="endpoint">The endpoint path.</param>
    /// <param name="caller">The verified mutual-TLS caller (assertions are read from the SOAP header).</param>
    /// <param name="body">The HTTP body.</param>
    /// <param name="contentType">Its Content-Type.</param>
    /// <param name="endpointUrl">This endpoint's URL, for the audit.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task<SoapHttpResponse> HandleAsync(string endpoint, FederationCall caller, byte[] body, string? contentType, string endpointUrl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(body);
        var transaction = endpoint switch
        {
            IheEndpoints.Xcpd or IheEndpoints.OpenNcpXcpd => IheTransaction.CrossGatewayPatientDiscovery,
            IheEndpoints.XcaQuery or IheEndpoints.OpenNcpXca => IheTransaction.CrossGatewayQuery,
            IheEndpoints.XcaRetrieve => IheTransaction.CrossGatewayRetrieve,
            IheEndpoints.Xdr or IheEndpoints.OpenNcpXdr => IheTransaction.ProvideAndRegister,
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "not an IHE endpoint"),
        };
        SoapMessage? message = null;
        var audit = new AtnaAudit
        {
            Transaction = transaction,
            Side = AtnaSide.Responding,
            Success = false,
            Source = caller.Caller.Country,
            SourceIp = caller.SourceIp,
            Destination = endpointUrl,
            AuditSource = _country,
        };
        try
        {
            var package = Mtom.Read(body, contentType);
            message = SoapEnvelope.Read(package.Envelope);
            if (endpoint == IheEndpoints.OpenNcpXca && message.Action == IheNames.XcaRetrieveAction)
            {
                // OpenNCP serves query and retrieve on one XCA service; the action tells them apart.
                transaction = IheTransaction.CrossGatewayRetrieve;
                audit = audit with { Transaction = transaction };
            }

            var expected = transaction switch
            {
                IheTransaction.CrossGatewayPatientDiscovery => IheNames.XcpdAction,
                IheTransaction.CrossGatewayQuery => IheNames.XcaQueryAction,
                IheTransaction.CrossGatewayRetrieve => IheNames.XcaRetrieveAction,
                _ => IheNames.XdrAction,
            };
            if (message.Action != expected)
            {
                throw SoapFaultException.Sender("wsa:ActionNotSupported", $"this endpoint serves {expected}, not {message.Action}");
            }

            var claims = AssertionClaims.Read(message.Security.HcpAssertion, message.Security.TrcAssertion);
            audit = audit with { MessageId = message.MessageId, HumanRequestor = claims.Subject, HumanRole = claims.Role, PurposeOfUse = claims.PurposeOfUse };
            var call = caller with { HcpAssertion = message.Security.HcpAssertion, TrcAssertion = message.Security.TrcAssertion };
            var (response, responseAction, attachments, outcome) = transaction switch
            {
                IheTransaction.CrossGatewayPatientDiscovery => await DiscoverAsync(call, message, cancellationToken).ConfigureAwait(false),
                IheTransaction.CrossGatewayQuery => await QueryAsync(call, message, cancellationToken).ConfigureAwait(false),
                IheTransaction.CrossGatewayRetrieve => await RetrieveAsync(call, message, claims, cancellationToken).ConfigureAwait(false),
                _ => await SubmitAsync(call, message, package, cancellationToken).ConfigureAwait(false),
            };
            audit = audit with { Success = outcome.Success, FailureReason = outcome.Reason, PatientCx = outcome.PatientCx, DocumentUniqueIds = outcome.Documents };
            await _auditor.RecordAsync(audit, caller.Caller.Country, _country, cancellationToken).ConfigureAwait(false);
            var envelope = SoapEnvelope.Create(responseAction, response, relatesTo: message.MessageId);
            if (attachments.Count > 0)
            {
                var (mtom, type) = Mtom.Write(envelope, attachments, responseAction);
                return new SoapHttpResponse(200, mtom, type);
            }

            return new SoapHttpResponse(200, SafeXml.ToUtf8(envelope), $"{SoapEnvelope.MediaType}; charset=utf-8");
        }
        catch (SoapFaultException fault)
        {
            await _auditor.RecordAsync(audit with { Success = false, FailureReason = $"SOAP fault {fault.Subcode}: {fault.Message}" }, caller.Caller.Country, _country, cancellationToken).ConfigureAwait(false);
            return new SoapHttpResponse(fault.HttpStatus, SafeXml.ToUtf8(fault.ToEnvelope(message?.MessageId)), $"{SoapEnvelope.MediaType}; charset=utf-8");
        }
        catch (CdaFormatException ex)
        {
            var fault = SoapFaultException.Sender("XDSRegistryMetadataError", "the document is not an eHDSI CDA Konfido can read: " + ex.Message);
            await _auditor.RecordAsync(audit with { Success = false, FailureReason = fault.Message }, caller.Caller.Country, _country, cancellationToken).ConfigureAwait(false);
            return new SoapHttpResponse(fault.HttpStatus, SafeXml.ToUtf8(fault.ToEnvelope(message?.MessageId)), $"{SoapEnvelope.MediaType}; charset=utf-8");
        }
    }

    private sealed record Outcome(bool Success, string? Reason, string? PatientCx, IReadOnlyList<string> Documents);

    private async Task<(XElement, string, IReadOnlyList<MtomAttachment>, Outcome)> DiscoverAsync(FederationCall call, SoapMessage message, CancellationToken cancellationToken)
    {
        var query = Xcpd.ReadRequest(message.Payload);
        var cx = query.IdExtension is null ? null : RegistryObjects.PatientCx(query.IdExtension, query.IdRoot ?? string.Empty);
        var answer = await _home.DiscoverAsync(call, new PatientQuery(query.IdRoot is null ? null : "urn:oid:" + query.IdRoot, query.IdExtension, query.Family, query.Given, query.BirthDate), cancellationToken).ConfigureAwait(false);
        var sender = IheCommunity.CommunityOid(_country);
        var receiver = IheCommunity.CommunityOid(call.Caller.Country);
        if (answer.Status != HttpStatusCode.OK)
        {
            var reason = FhirOutcomes.TryReadDiagnostics(answer.Body) ?? answer.Status.ToString();
            return (Xcpd.CreateResponse(new XcpdResult("AE", [], reason, IheErrors.FromStatus(answer.Status)), sender, receiver, query), IheNames.XcpdResponseAction, [], new Outcome(false, reason, cx, []));
        }

        var bundle = FhirJson.Parse<Bundle>(answer.Body);
        var patients = bundle.Entry.Select(e => e.Resource).OfType<Patient>().SelectMany(ToXcpd).ToList();
        var result = new XcpdResult(patients.Count > 0 ? "OK" : "NF", patients);
        return (Xcpd.CreateResponse(result, sender, receiver, query), IheNames.XcpdResponseAction, [], new Outcome(true, null, cx ?? patients.Select(p => RegistryObjects.PatientCx(p.IdExtension, p.IdRoot)).FirstOrDefault(), []));
    }

    private IEnumerable<XcpdPatient> ToXcpd(Patient patient)
    {
        var name = patient.Name.FirstOrDefault();
        var gender = patient.Gender is { } g ? _transformer.Maps.Key("gender", Hl7.Fhir.Utility.EnumUtility.GetLiteral(g)!) : null;
        DateOnly? birth = DateOnly.TryParse(patient.BirthDate, System.Globalization.CultureInfo.InvariantCulture, out var b) ? b : null;
        foreach (var identifier in patient.Identifier)
        {
            if (identifier.System is { } system && identifier.Value is { } value && _transformer.Maps.SystemOid(system) is { } oid)
            {
                yield return new XcpdPatient(oid, value, name?.Family, name?.Given.OfType<string>().ToList() ?? [], gender, birth, patient.Address.FirstOrDefault()?.Country);
            }
        }
    }

    private async Task<(XElement, string, IReadOnlyList<MtomAttachment>, Outcome)> QueryAsync(FederationCall call, SoapMessage message, CancellationToken cancellationToken)
    {
        var query = Xca.ReadQuery(message.Payload);
        var cx = RegistryObjects.PatientCx(query.PatientValue, query.PatientOid);
        var entries = new List<DocumentEntry>();
        foreach (var documentClass in query.Classes)
        {
            var (status, body) = await FetchAsync(call, documentClass, query.PatientValue, cancellationToken).ConfigureAwait(false);
            if (status == HttpStatusCode.NotFound)
            {
                continue;
            }

            if (status != HttpStatusCode.OK)
            {
                var reason = FhirOutcomes.TryReadDiagnostics(body) ?? status.ToString();
                return (Xca.CreateQueryResponse(RegistryResult.Fail(IheErrors.FromStatus(status), reason), []), IheNames.XcaQueryResponseAction, [], new Outcome(false, reason, cx, []));
            }

            entries.AddRange(Describe(documentClass, query.PatientValue, cx, body));
        }

        return (Xca.CreateQueryResponse(RegistryResult.Ok, entries), IheNames.XcaQueryResponseAction, [], new Outcome(true, null, cx, entries.Select(e => e.UniqueId).ToList()));
    }

    private async Task<(XElement, string, IReadOnlyList<MtomAttachment>, Outcome)> RetrieveAsync(FederationCall call, SoapMessage message, AssertionClaims claims, CancellationToken cancellationToken)
    {
        var requests = Xca.ReadRetrieve(message.Payload);
        // A retrieve names documents, not the patient: the TRC does; the gate then checks that TRC, and only that patient's documents are served.
        var patient = claims.Patient;
        if (patient is null)
        {
            var none = RegistryResult.Fail(IheErrors.InsufficientRights, "a cross-gateway retrieve needs a TRC assertion naming the patient");
            var (payload, attachments) = Xca.CreateRetrieveResponse(none, []);
            return (payload, IheNames.XcaRetrieveResponseAction, attachments, new Outcome(false, none.Errors[0].CodeContext, null, []));
        }

        string oid;
        try
        {
            oid = IheCommunity.PatientOid(null, _country);
        }
        catch (ExchangeException)
        {
            oid = IheCommunity.CommunityOid(_country);
        }

        var cx = RegistryObjects.PatientCx(patient, oid);
        var documents = new List<RetrievedDocument>();
        var errors = new List<RegistryError>();
        var fetched = new Dictionary<IheDocumentClass, (HttpStatusCode Status, byte[] Body)>();
        foreach (var request in requests)
        {
            var documentClass = request.DocumentUniqueId == IheCommunity.DocumentId(_country, IheDocumentClass.PatientSummary, patient) ? IheDocumentClass.PatientSummary : IheDocumentClass.EPrescription;
            if (!fetched.TryGetValue(documentClass, out var answer))
            {
                answer = await FetchAsync(call, documentClass, patient, cancellationToken).ConfigureAwait(false);
                fetched[documentClass] = answer;
            }

            if (answer.Status != HttpStatusCode.OK)
            {
                errors.Add(new RegistryError(IheErrors.FromStatus(answer.Status), FhirOutcomes.TryReadDiagnostics(answer.Body) ?? answer.Status.ToString(), request.DocumentUniqueId));
                continue;
            }

            var content = Render(documentClass, patient, request.DocumentUniqueId, answer.Body);
            if (content is null)
            {
                errors.Add(new RegistryError("XDSDocumentUniqueIdError", $"no document {request.DocumentUniqueId} for this patient", request.DocumentUniqueId));
                continue;
            }

            documents.Add(new RetrievedDocument(request with { HomeCommunityId = IheCommunity.HomeCommunityId(_country), RepositoryUniqueId = IheCommunity.RepositoryId(_country) }, "text/xml", content));
        }

        var result = errors.Count == 0 ? RegistryResult.Ok : new RegistryResult(false, errors);
        var (response, parts) = Xca.CreateRetrieveResponse(result, documents);
        return (response, IheNames.XcaRetrieveResponseAction, parts,
            new Outcome(errors.Count == 0, errors.Count == 0 ? null : string.Join("; ", errors.Select(e => e.CodeContext)), cx, documents.Select(d => d.Request.DocumentUniqueId).ToList()));
    }

    private async Task<(XElement, string, IReadOnlyList<MtomAttachment>, Outcome)> SubmitAsync(FederationCall call, SoapMessage message, SoapPackage package, CancellationToken cancellationToken)
    {
        var (entry, content) = Xdr.ReadRequest(message.Payload, package);
        if (entry.DocumentClass != IheDocumentClass.EDispensation)
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", "only eDispensation documents (60593-1) are accepted by XDR here");
        }

        var cda = SafeXml.TryLoad(content, out var error) ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", "the eDispensation is not acceptable XML: " + error);
        var dispense = _transformer.DispensationToFhir(cda).Value;
        var answer = await _home.DispenseAsync(call, FhirJson.Serialize(dispense), cancellationToken).ConfigureAwait(false);
        var ok = answer.Status is HttpStatusCode.Created or HttpStatusCode.OK;
        var reason = ok ? null : FhirOutcomes.TryReadDiagnostics(answer.Body) ?? answer.Status.ToString();
        var result = ok ? RegistryResult.Ok : RegistryResult.Fail(IheErrors.FromStatus(answer.Status), reason!);
        return (RegistryObjects.RegistryResponse(result), IheNames.XdrResponseAction, [], new Outcome(ok, reason, entry.PatientId, [entry.UniqueId]));
    }

    private async Task<(HttpStatusCode Status, byte[] Body)> FetchAsync(FederationCall call, IheDocumentClass documentClass, string patient, CancellationToken cancellationToken)
    {
        var answer = documentClass == IheDocumentClass.PatientSummary
            ? await _home.GetPatientSummaryAsync(call, patient, cancellationToken).ConfigureAwait(false)
            : await _home.GetPrescriptionsAsync(call, patient, cancellationToken).ConfigureAwait(false);
        return (answer.Status, answer.Body);
    }

    private IEnumerable<DocumentEntry> Describe(IheDocumentClass documentClass, string patient, string cx, byte[] body)
    {
        var home = IheCommunity.HomeCommunityId(_country);
        var repository = IheCommunity.RepositoryId(_country);
        if (documentClass == IheDocumentClass.PatientSummary)
        {
            yield return new DocumentEntry(IheCommunity.DocumentId(_country, documentClass, patient), repository, home, cx, documentClass, "Patient Summary", DateTimeOffset.UtcNow);
            yield break;
        }

        foreach (var rx in FhirJson.Parse<Bundle>(body).Entry.Select(e => e.Resource).OfType<MedicationRequest>().Where(r => r.Status == MedicationRequest.MedicationrequestStatus.Active))
        {
            yield return new DocumentEntry(IheCommunity.DocumentId(_country, documentClass, patient, rx.Id), repository, home, cx, documentClass,
                "ePrescription " + ((rx.Medication as CodeableConcept)?.Text ?? rx.Id), DateTimeOffset.UtcNow);
        }
    }

    private byte[]? Render(IheDocumentClass documentClass, string patient, string documentId, byte[] body)
    {
        if (documentClass == IheDocumentClass.PatientSummary)
        {
            return SafeXml.ToUtf8(_transformer.PatientSummaryToCda(FhirJson.Parse<Bundle>(body)).Value);
        }

        var rx = FhirJson.Parse<Bundle>(body).Entry.Select(e => e.Resource).OfType<MedicationRequest>()
            .FirstOrDefault(r => IheCommunity.DocumentId(_country, documentClass, patient, r.Id) == documentId);
        return rx is null ? null : SafeXml.ToUtf8(_transformer.PrescriptionToCda([rx], _country).Value);
    }
}
