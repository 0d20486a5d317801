using System.Net;
using System.Xml.Linq;
using Hl7.Fhir.Model;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Ihe.Atna;
using Konfido.Ihe.Cda;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;
using Konfido.Records;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Ihe.Gateway;

/// <summary>
/// Country B's IHE initiating gateway: turns a local professional's FHIR request into XCPD, XCA or XDR
/// SOAP calls to a peer that speaks the IHE profiles (trust-list protocol <c>ihe</c>), carrying the
/// professional's HCP and TRC assertions in WS-Security, and turns the peer's CDA answers back into
/// FHIR. The answer handed to the local client is signed by this node (the peer signs nothing at the
/// FHIR level). Each transaction emits the usual exchange event and an ATNA audit.
/// </summary>
public sealed class IheInitiatingGateway
{
    private readonly NodeCredentials _credentials;
    private readonly Func<TrustList> _trustList;
    private readonly ISecurityEventSink _events;
    private readonly CdaTransformer _transformer;
    private readonly IheSoapClient _client;
    private readonly AtnaAuditor _auditor;

    /// <summary>Creates the gateway. Requires all arguments.</summary>
    /// <param name="credentials">This node's credentials (TLS client certificate, signing key, country).</param>
    /// <param name="trustList">The trust list (read on every call).</param>
    /// <param name="events">The node's event path.</param>
    /// <param name="transformer">The CDA transformer.</param>
    /// <param name="client">The SOAP transport.</param>
    public IheInitiatingGateway(NodeCredentials credentials, Func<TrustList> trustList, ISecurityEventSink events, CdaTransformer transformer, IheSoapClient client)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(trustList);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(client);
        _credentials = credentials;
        _trustList = trustList;
        _events = events;
        _transformer = transformer;
        _client = client;
        _auditor = new AtnaAuditor(events, credentials.Country);
    }

    /// <summary>True if calls to <paramref name="country"/> go over IHE SOAP: the peer or this node is flagged <c>ihe</c> in the trust list.</summary>
    /// <param name="country">The patient's home country.</param>
    public bool Serves(string country)
    {
        var list = _trustList();
        return IsIhe(list.Find(country)) || IsIhe(list.Find(_credentials.Country));
    }

    /// <summary>True if <paramref name="member"/> speaks the IHE profiles.</summary>
    /// <param name="member">A trust-list member, or null.</param>
    public static bool IsIhe(FederationMember? member) => IheEndpoints.IsIhe(member?.Protocol);

    /// <summary>XCPD patient discovery; the answer is a FHIR searchset Bundle of Patients.</summary>
    /// <param name="homeCountry">The patient's country.</param>
    /// <param name="query">The criteria.</param>
    /// <param name="requester">The professional, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<PeerResponse> DiscoverAsync(string homeCountry, PatientQuery query, IRequester? requester, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var member = Member(homeCountry);
        var xcpd = new XcpdQuery(query.IdentifierValue is null ? null : IheCommunity.PatientOid(query.IdentifierSystem, member.Country), query.IdentifierValue,
            query.FamilyName, query.GivenName, query.BirthDate);
        if (!xcpd.HasCriteria)
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "required", "patient discovery needs an identifier or demographics (family, given, birthdate)");
        }

        var cx = xcpd.IdExtension is null ? null : RegistryObjects.PatientCx(xcpd.IdExtension, xcpd.IdRoot!);
        var payload = Xcpd.CreateRequest(xcpd, IheCommunity.CommunityOid(_credentials.Country), IheCommunity.CommunityOid(member.Country));
        return await RunAsync(member, IheTransaction.CrossGatewayPatientDiscovery, "patient-discovery", query.IdentifierValue, cx, requester, async () =>
        {
            var (_, message) = await SendAsync(member, IheNames.XcpdAction, payload, [], query.IdentifierValue, requester, cancellationToken).ConfigureAwait(false);
            var result = Xcpd.ReadResponse(message.Payload);
            if (result.Code == "AE")
            {
                return Failure(IheErrors.ToStatus(result.ErrorCode), result.Reason ?? "the peer refused the patient discovery", []);
            }

            var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = result.Patients.Count, Timestamp = DateTimeOffset.UtcNow };
            foreach (var patient in result.Patients)
            {
                var resource = new Patient
                {
                    Id = Guid.NewGuid().ToString("D"),
                    Identifier = [new Identifier("urn:oid:" + patient.IdRoot, patient.IdExtension)],
                    Name = [new HumanName { Family = patient.Family, Given = patient.Given }],
                    Gender = patient.Gender is null ? null : Hl7.Fhir.Utility.EnumUtility.ParseLiteral<AdministrativeGender>(_transformer.Maps.Value("gender", patient.Gender) ?? "unknown"),
                    BirthDate = patient.BirthDate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                };
                if (patient.Country is not null)
                {
                    resource.Address.Add(new Address { Country = patient.Country });
                }

                bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + resource.Id, Resource = resource, Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match } });
            }

            return (HttpStatusCode.OK, (Resource)bundle, (IReadOnlyList<string>)[], (TransformationReport?)null);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>XCA query and retrieve of the Patient Summary, transformed to an IPS Bundle.</summary>
    /// <param name="homeCountry">The patient's country.</param>
    /// <param name="identifierSystem">The identifier system, or null for the country's national identifier.</param>
    /// <param name="nationalId">The patient's identifier.</param>
    /// <param name="requester">The professional, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<PeerResponse> GetPatientSummaryAsync(string homeCountry, string? identifierSystem, string nationalId, IRequester? requester, CancellationToken cancellationToken = default) =>
        RetrieveAsync(homeCountry, identifierSystem, nationalId, IheDocumentClass.PatientSummary, "ips-retrieve", requester, cancellationToken);

    /// <summary>XCA query and retrieve of the ePrescriptions, transformed to a searchset Bundle of MedicationRequests.</summary>
    /// <param name="homeCountry">The patient's country.</param>
    /// <param name="identifierSystem">The identifier system, or null for the country's national identifier.</param>
    /// <param name="nationalId">The patient's identifier.</param>
    /// <param name="requester">The professional, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<PeerResponse> GetPrescriptionsAsync(string homeCountry, string? identifierSystem, string nationalId, IRequester? requester, CancellationToken cancellationToken = default) =>
        RetrieveAsync(homeCountry, identifierSystem, nationalId, IheDocumentClass.EPrescription, "eprescription-list", requester, cancellationToken);

    /// <summary>XDR submission of an eDispensation (FHIR JSON MedicationDispense), transformed to eHDSI CDA; 201 with the submitted dispense on success.</summary>
    /// <param name="homeCountry">The patient's country.</param>
    /// <param name="medicationDispenseJson">The MedicationDispense.</param>
    /// <param name="requester">The professional, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="FhirFormatException">The body is not a MedicationDispense.</exception>
    public async Task<PeerResponse> DispenseAsync(string homeCountry, byte[] medicationDispenseJson, IRequester? requester, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(medicationDispenseJson);
        var member = Member(homeCountry);
        var dispense = FhirJson.Parse<MedicationDispense>(medicationDispenseJson);
        var patient = dispense.Subject?.Identifier?.Value ?? throw new ExchangeException(HttpStatusCode.BadRequest, "required", "the MedicationDispense has no subject identifier");
        var cx = RegistryObjects.PatientCx(patient, IheCommunity.PatientOid(dispense.Subject.Identifier.System, member.Country));
        var (cda, report) = _transformer.DispensationToCda(dispense, _credentials.Country);
        var content = SafeXml.ToUtf8(cda);
        var entry = new DocumentEntry(Hl7DataOid(), IheCommunity.RepositoryId(_credentials.Country), IheCommunity.HomeCommunityId(_credentials.Country), cx,
            IheDocumentClass.EDispensation, "eDispensation", DateTimeOffset.UtcNow);
        var (payload, attachments) = Xdr.CreateRequest(entry, content, IheCommunity.CommunityOid(_credentials.Country));
        return await RunAsync(member, IheTransaction.ProvideAndRegister, "edispensation", patient, cx, requester, async () =>
        {
            var (_, message) = await SendAsync(member, IheNames.XdrAction, payload, attachments, patient, requester, cancellationToken).ConfigureAwait(false);
            if (message.Payload.Name != IheNames.Rs + "RegistryResponse")
            {
                throw new ExchangeException(HttpStatusCode.BadGateway, "structure", $"the {member.Country} node answered XDR with {message.Payload.Name.LocalName}");
            }

            var result = RegistryObjects.ReadResult(message.Payload);
            return result.Success
                ? (HttpStatusCode.Created, (Resource)dispense, (IReadOnlyList<string>)[entry.UniqueId], report)
                : Failure(IheErrors.ToStatus(result.Errors.FirstOrDefault()?.ErrorCode), string.Join("; ", result.Errors.Select(e => e.CodeContext)), [entry.UniqueId]);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static string Hl7DataOid() => Hl7Data.DerivedOid("konfido:edispensation:" + Guid.NewGuid().ToString("N"));

    private async Task<PeerResponse> RetrieveAsync(string homeCountry, string? identifierSystem, string nationalId, IheDocumentClass documentClass, string action, IRequester? requester, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(nationalId))
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "required", "the patient identifier is missing");
        }

        var member = Member(homeCountry);
        var oid = IheCommunity.PatientOid(identifierSystem, member.Country);
        var cx = RegistryObjects.PatientCx(nationalId, oid);
        return await RunAsync(member, IheTransaction.CrossGatewayRetrieve, action, nationalId, cx, requester, async () =>
        {
            var (_, queried) = await SendAsync(member, IheNames.XcaQueryAction, Xca.CreateQuery(nationalId, oid, documentClass), [], nationalId, requester, cancellationToken).ConfigureAwait(false);
            var (queryResult, entries) = Xca.ReadQueryResponse(queried.Payload);
            await _auditor.RecordAsync(Audit(member, IheTransaction.CrossGatewayQuery, queryResult.Success, queryResult.Success ? null : Reason(queryResult), cx, requester, queried.RelatesTo, []),
                _credentials.Country, member.Country, cancellationToken).ConfigureAwait(false);
            if (!queryResult.Success)
            {
                return Failure(IheErrors.ToStatus(queryResult.Errors.FirstOrDefault()?.ErrorCode), Reason(queryResult), []);
            }

            var wanted = entries.Where(e => e.DocumentClass == documentClass).ToList();
            if (wanted.Count == 0)
            {
                return documentClass == IheDocumentClass.PatientSummary
                    ? Failure(HttpStatusCode.NotFound, "the peer holds no patient summary for this patient", [])
                    : (HttpStatusCode.OK, new Bundle { Type = Bundle.BundleType.Searchset, Total = 0, Timestamp = DateTimeOffset.UtcNow }, [], null);
            }

            if (documentClass == IheDocumentClass.PatientSummary)
            {
                wanted = [wanted[0]];
            }

            var requests = wanted.Select(e => new DocumentRequest(e.HomeCommunityId, e.RepositoryUniqueId, e.UniqueId)).ToList();
            var (package, retrieved) = await SendAsync(member, IheNames.XcaRetrieveAction, Xca.CreateRetrieve(requests), [], nationalId, requester, cancellationToken).ConfigureAwait(false);
            var (result, documents) = Xca.ReadRetrieveResponse(retrieved.Payload, package);
            if (documents.Count == 0)
            {
                return Failure(IheErrors.ToStatus(result.Errors.FirstOrDefault()?.ErrorCode), Reason(result), []);
            }

            var ids = documents.Select(d => d.Request.DocumentUniqueId).ToList();
            var cdas = documents.Select(d => SafeXml.TryLoad(d.Content, out var error) ?? throw new ExchangeException(HttpStatusCode.BadGateway, "structure", "the peer's document is not XML: " + error)).ToList();
            if (documentClass == IheDocumentClass.PatientSummary)
            {
                var (bundle, report) = Transform(() => _transformer.PatientSummaryToFhir(cdas[0]));
                return (HttpStatusCode.OK, (Resource)bundle, ids, report);
            }

            var searchset = new Bundle { Type = Bundle.BundleType.Searchset, Timestamp = DateTimeOffset.UtcNow };
            var combined = new TransformationReport();
            foreach (var cda in cdas)
            {
                var (prescriptions, report) = Transform(() => _transformer.PrescriptionToFhir(cda));
                combined.Merge(report);
                foreach (var rx in prescriptions)
                {
                    searchset.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid().ToString("D"), Resource = rx, Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match } });
                }
            }

            searchset.Total = searchset.Entry.Count;
            return (HttpStatusCode.OK, searchset, ids, combined);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static T Transform<T>(Func<T> transform)
    {
        try
        {
            return transform();
        }
        catch (CdaFormatException ex)
        {
            throw new ExchangeException(HttpStatusCode.BadGateway, "structure", "the peer's CDA document cannot be transformed: " + ex.Message);
        }
    }

    private static string Reason(RegistryResult result) => result.Errors.Count == 0 ? "the peer reported a failure" : string.Join("; ", result.Errors.Select(e => e.CodeContext));

    private static (HttpStatusCode, Resource, IReadOnlyList<string>, TransformationReport?) Failure(HttpStatusCode status, string reason, IReadOnlyList<string> documents) =>
        (status, FhirOutcomes.Error(IheErrors.IssueType(status), reason), documents, null);

    private FederationMember Member(string country)
    {
        if (!CountryCode.TryParse(country, out var code))
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"'{country}' is not a two-letter country code");
        }

        return _trustList().Find(code.Value) ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", $"country '{code.Value}' is not in the federation trust list");
    }

    private async Task<(SoapPackage, SoapMessage)> SendAsync(FederationMember member, string action, XElement payload, IReadOnlyList<MtomAttachment> attachments,
        string? patientId, IRequester? requester, CancellationToken cancellationToken)
    {
        XElement? security = null;
        var headers = requester?.AssertionHeaders(member.Country, patientId) ?? [];
        var hcp = headers.FirstOrDefault(h => h.Key == FederationProtocol.HcpAssertionHeader).Value;
        if (hcp is not null)
        {
            security = SecurityHeader.Create(hcp, headers.FirstOrDefault(h => h.Key == FederationProtocol.TrcAssertionHeader).Value);
        }

        var path = IheEndpoints.PathFor(member.Protocol, action);
        var to = new Uri(member.Endpoint, path).AbsoluteUri;
        return await _client.SendAsync(member, path, SoapEnvelope.Create(action, payload, to: to, security: security), attachments, action, cancellationToken).ConfigureAwait(false);
    }

    private async Task<PeerResponse> RunAsync(FederationMember member, IheTransaction transaction, string action, string? patientId, string? cx, IRequester? requester,
        Func<Task<(HttpStatusCode Status, Resource Body, IReadOnlyList<string> Documents, TransformationReport? Report)>> run, CancellationToken cancellationToken)
    {
        (HttpStatusCode Status, Resource Body, IReadOnlyList<string> Documents, TransformationReport? Report) result;
        try
        {
            result = await run().ConfigureAwait(false);
        }
        catch (SoapFaultException fault)
        {
            var status = IheErrors.ToStatus(fault.Subcode);
            result = (status, FhirOutcomes.Error(IheErrors.IssueType(status), $"the {member.Country} node answered a SOAP fault ({fault.Subcode}): {fault.Message}"), [], null);
        }
        catch (ExchangeException ex)
        {
            await EmitAsync(member, transaction, action, patientId, cx, requester, false, ex.Message, [], null, cancellationToken).ConfigureAwait(false);
            throw;
        }

        var ok = (int)result.Status is >= 200 and < 300;
        var reason = ok ? null : FhirOutcomes.TryReadDiagnostics(FhirJson.Serialize(result.Body)) ?? $"the {member.Country} node answered {(int)result.Status}";
        await EmitAsync(member, transaction, action, patientId, cx, requester, ok, reason, result.Documents, result.Report, cancellationToken).ConfigureAwait(false);
        var body = FhirJson.Serialize(result.Body);
        return new PeerResponse(result.Status, body, _credentials.Country, DetachedJws.Sign(body, _credentials.SigningKey, _credentials.Country));
    }

    private async Task EmitAsync(FederationMember member, IheTransaction transaction, string action, string? patientId, string? cx, IRequester? requester, bool ok, string? reason,
        IReadOnlyList<string> documents, TransformationReport? report, CancellationToken cancellationToken)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal) { ["side"] = "requesting", ["protocol"] = "ihe" };
        if (report is not null)
        {
            attributes["cda.unmapped"] = report.Issues.Count(i => i.Kind == TransformationIssueKind.Unmapped).ToString(System.Globalization.CultureInfo.InvariantCulture);
            attributes["cda.lossy"] = report.Issues.Count(i => i.Kind == TransformationIssueKind.Lossy).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await _events.PublishAsync(new SecurityEvent
        {
            Node = _credentials.Country,
            Category = EventCategories.Exchange,
            Action = action,
            Outcome = ok ? EventOutcome.Success : EventOutcome.Failure,
            Actor = requester?.Actor,
            ActorRole = requester?.ActorRole,
            Organisation = requester?.Organisation,
            PurposeOfUse = requester?.PurposeOfUse,
            PatientId = patientId,
            SourceCountry = _credentials.Country,
            TargetCountry = member.Country,
            Reason = reason,
            Attributes = attributes,
        }, cancellationToken).ConfigureAwait(false);
        await _auditor.RecordAsync(Audit(member, transaction, ok, reason, cx, requester, null, documents), _credentials.Country, member.Country, cancellationToken).ConfigureAwait(false);
    }

    private AtnaAudit Audit(FederationMember member, IheTransaction transaction, bool ok, string? reason, string? cx, IRequester? requester, string? messageId, IReadOnlyList<string> documents) => new()
    {
        Transaction = transaction,
        Side = AtnaSide.Initiating,
        Success = ok,
        FailureReason = reason,
        Source = _credentials.Country,
        Destination = new Uri(member.Endpoint, IheEndpoints.PathFor(member.Protocol, transaction switch
        {
            IheTransaction.CrossGatewayPatientDiscovery => IheNames.XcpdAction,
            IheTransaction.CrossGatewayQuery => IheNames.XcaQueryAction,
            IheTransaction.CrossGatewayRetrieve => IheNames.XcaRetrieveAction,
            _ => IheNames.XdrAction,
        })).AbsoluteUri,
        HumanRequestor = requester?.Actor,
        HumanRole = requester?.ActorRole,
        PurposeOfUse = requester?.PurposeOfUse,
        PatientCx = cx,
        DocumentUniqueIds = documents,
        MessageId = messageId,
        AuditSource = _credentials.Country,
    };
}
