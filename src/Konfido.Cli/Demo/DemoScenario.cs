using System.Diagnostics;
using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Konfido.Exchange;
using Konfido.Node;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Cli.Demo;

/// <summary>One step of the demo and how it went.</summary>
/// <param name="Name">The contract's step name (e.g. <c>patient-discovery</c>).</param>
/// <param name="Ok">Whether the step achieved what it demonstrates.</param>
/// <param name="Detail">What happened, for a person.</param>
internal sealed record DemoStepResult(string Name, bool Ok, string Detail);

/// <summary>The patient the story is about, and where they live.</summary>
/// <param name="HomeCountry">The patient's country (A).</param>
/// <param name="IdentifierSystem">The national identifier system.</param>
/// <param name="IdentifierValue">The national identifier.</param>
/// <param name="DisplayName">For the narrative.</param>
internal sealed record DemoPatient(string HomeCountry, string IdentifierSystem, string IdentifierValue, string DisplayName);

/// <summary>
/// The cross-border story on a running <see cref="LocalFederation"/> of DK, ES and IT: a Danish
/// patient with COPD falls ill in Barcelona. A Spanish doctor finds the patient in Denmark and
/// retrieves the Patient Summary; an Italian pharmacy later dispenses the patient's Danish
/// ePrescription, exactly once. Every step goes through the local API of the professional's node,
/// over mutual TLS to the home node, with the home node's signature verified twice (by the node and
/// here, end to end). Each step reports honestly; none is skipped or faked.
/// </summary>
internal sealed class DemoScenario(LocalFederation federation, DemoPatient patient, TextWriter progress) : IDisposable
{
    private readonly List<DemoStepResult> _results = [];
    private string? _identifierToken;
    private HttpClient? _doctor;
    private HttpClient? _pharmacist;

    public void Dispose()
    {
        _doctor?.Dispose();
        _pharmacist?.Dispose();
    }

    public async Task<IReadOnlyList<DemoStepResult>> RunAsync(CancellationToken cancellationToken)
    {
        await StepAsync("eid-login", LoginAsync, cancellationToken).ConfigureAwait(false);
        await StepAsync("patient-discovery", DiscoverAsync, cancellationToken).ConfigureAwait(false);
        if (federation[patient.HomeCountry].Policy is not null)
        {
            await StepAsync("consent-check", ConsentCheckAsync, cancellationToken).ConfigureAwait(false);
        }

        await StepAsync("ips-retrieve", RetrieveSummaryAsync, cancellationToken).ConfigureAwait(false);
        await StepAsync("eprescription-dispense", DispenseAsync, cancellationToken).ConfigureAwait(false);
        if (federation.Nodes.Values.All(n => n.Components.Ledger?.Policy is not null))
        {
            await StepAsync("ledger-publish", PublishLedgersAsync, cancellationToken).ConfigureAwait(false);
        }

        if (federation.Nodes.Values.All(n => n.Siem is not null))
        {
            await StepAsync("siem-alerts", SiemAlertsAsync, cancellationToken).ConfigureAwait(false);
        }

        await StepAsync("puf-device-auth", AuthenticateDeviceAsync, cancellationToken).ConfigureAwait(false);
        await StepAsync("he-analytics", HeAnalyticsAsync, cancellationToken).ConfigureAwait(false);
        if (federation[patient.HomeCountry].Policy is not null && federation.Nodes.Values.All(n => n.Components.Ledger?.Policy is not null))
        {
            await StepAsync("access-report", AccessReportAsync, cancellationToken).ConfigureAwait(false);
        }

        return _results;
    }

    private async Task StepAsync(string name, Func<CancellationToken, Task<(bool Ok, string Detail)>> step, CancellationToken cancellationToken)
    {
        var number = _results.Count + 1;
        await progress.WriteLineAsync($"[{number}] {name} ...").ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        (bool Ok, string Detail) outcome;
        try
        {
            outcome = await step(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or ExchangeException or FhirFormatException or InvalidOperationException or TaskCanceledException)
        {
            outcome = (false, $"{ex.GetType().Name}: {ex.Message}");
        }

        _results.Add(new DemoStepResult(name, outcome.Ok, outcome.Detail));
        await progress.WriteLineAsync($"[{number}] {name}: {(outcome.Ok ? "ok" : "FAILED")} ({watch.ElapsedMilliseconds} ms) - {outcome.Detail}").ConfigureAwait(false);
    }

    /// <summary>
    /// The Spanish doctor and the Italian pharmacist log in with eIDAS at their own node (signed,
    /// encrypted SAML from the embedded test eIDAS node); each node issues the professional's HCP
    /// identity assertion, which goes with every cross-border request. An anonymous request is refused.
    /// </summary>
    private async Task<(bool, string)> LoginAsync(CancellationToken cancellationToken)
    {
        _doctor = await federation.LoginAsync("ES", DemoProfessionals.SpanishDoctor, cancellationToken: cancellationToken).ConfigureAwait(false);
        _pharmacist = await federation.LoginAsync("IT", DemoProfessionals.ItalianPharmacist, cancellationToken: cancellationToken).ConfigureAwait(false);
        var parts = new List<string>();
        foreach (var (country, client) in new[] { ("ES", _doctor), ("IT", _pharmacist) })
        {
            using var session = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("eid/session", cancellationToken).ConfigureAwait(false));
            var p = session.RootElement.GetProperty("professional");
            parts.Add($"{p.GetProperty("name").GetString()} ({p.GetProperty("role").GetString()}, ISCO {p.GetProperty("isco").GetString()}, {p.GetProperty("organisation").GetString()}) " +
                $"logged in at {country} with eIDAS LoA {p.GetProperty("loa").GetString()}; HCP assertion {p.GetProperty("hcpAssertion").GetString()} issued");
        }

        using var anonymous = federation.LocalClient("ES");
        using var refused = await anonymous.GetAsync($"api/{patient.HomeCountry}/Patient/$summary?identifier={Uri.EscapeDataString(patient.IdentifierValue)}", cancellationToken).ConfigureAwait(false);
        if (refused.StatusCode != HttpStatusCode.Unauthorized)
        {
            return (false, $"an anonymous request answered {(int)refused.StatusCode} instead of 401");
        }

        parts.Add("an anonymous request was refused (401)");
        return (true, string.Join("; ", parts));
    }

    /// <summary>A Spanish doctor looks up the Danish patient by national identifier.</summary>
    private async Task<(bool, string)> DiscoverAsync(CancellationToken cancellationToken)
    {
        if (_doctor is null)
        {
            return (false, "no professional is logged in");
        }

        var spain = _doctor;
        var token = FederationProtocol.JoinToken(patient.IdentifierSystem, patient.IdentifierValue);
        var (status, body) = await GetVerifiedAsync(spain, $"api/{patient.HomeCountry}/Patient?identifier={Uri.EscapeDataString(token)}", cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            return (false, $"ES -> {patient.HomeCountry} discovery answered {(int)status}: {Diagnostics(body)}");
        }

        var bundle = FhirJson.Parse<Bundle>(body);
        var found = bundle.Entry.Select(e => e.Resource).OfType<Patient>().ToArray();
        if (found.Length != 1)
        {
            return (false, $"expected exactly one match for {patient.IdentifierValue}, got {found.Length}");
        }

        _identifierToken = token;
        var name = found[0].Name.FirstOrDefault();
        return (true, $"the ES doctor found {string.Join(' ', name?.Given ?? [])} {name?.Family} ({patient.IdentifierValue}) in {patient.HomeCountry} over mutual TLS; response signed by {patient.HomeCountry}, verified");
    }

    /// <summary>
    /// The patient, logged in with their own eID at home, consents to sharing for treatment with Spain
    /// and Italy; the doctor's retrieval is permitted. The patient withdraws; the next retrieval is
    /// denied by the home country's policy. The doctor then treats an unconscious Danish patient who
    /// never recorded a consent, in an emergency: permitted by Denmark's break-the-glass rule, flagged
    /// and queued for review. Finally the first patient consents again, for the rest of the story.
    /// </summary>
    private async Task<(bool, string)> ConsentCheckAsync(CancellationToken cancellationToken)
    {
        if (_identifierToken is null || _doctor is null)
        {
            return (false, "no patient was discovered");
        }

        var home = patient.HomeCountry;
        using var citizen = await federation.LoginAsync(home, $"{home}/{home}/{patient.IdentifierValue}", cancellationToken: cancellationToken).ConfigureAwait(false);
        var url = $"api/{home}/Patient/$summary?identifier={Uri.EscapeDataString(_identifierToken)}";
        async Task<HttpStatusCode> GrantAsync()
        {
            using var body = new StringContent("""{"effect":"permit","purposes":["TREATMENT"],"countries":["ES","IT"]}""", Encoding.UTF8, "application/json");
            using var granted = await citizen.PostAsync("patient/consent", body, cancellationToken).ConfigureAwait(false);
            return granted.StatusCode;
        }

        async Task<(HttpStatusCode Status, string Reason)> RetrieveAsync(string purpose, string? otherPatient = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, otherPatient is null ? url
                : $"api/{home}/Patient/$summary?identifier={Uri.EscapeDataString(FederationProtocol.JoinToken(patient.IdentifierSystem, otherPatient))}");
            request.Headers.Add("X-Konfido-Purpose-Of-Use", purpose);
            using var response = await _doctor.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return (response.StatusCode, response.IsSuccessStatusCode ? string.Empty : Diagnostics(body));
        }

        if (await GrantAsync().ConfigureAwait(false) != HttpStatusCode.Created)
        {
            return (false, "the patient's consent was not recorded");
        }

        var permitted = await RetrieveAsync("TREATMENT").ConfigureAwait(false);
        using (var withdrawn = await citizen.PostAsync("patient/consent/withdraw", null, cancellationToken).ConfigureAwait(false))
        {
            if (!withdrawn.IsSuccessStatusCode)
            {
                return (false, $"withdrawing consent answered {(int)withdrawn.StatusCode}");
            }
        }

        var denied = await RetrieveAsync("TREATMENT").ConfigureAwait(false);
        // An unconscious patient brought to the emergency room who never recorded any consent.
        var unconscious = Records.SyntheticPatients.For(home)[1].Patient;
        var emergency = await RetrieveAsync("EMERGENCY", unconscious.NationalId).ConfigureAwait(false);
        var pending = await federation[home].Policy!.Reviews.PendingAsync(cancellationToken).ConfigureAwait(false);
        var regranted = await GrantAsync().ConfigureAwait(false);
        var ok = permitted.Status == HttpStatusCode.OK && denied.Status == HttpStatusCode.Forbidden && emergency.Status == HttpStatusCode.OK
            && pending.Count >= 1 && regranted == HttpStatusCode.Created;
        return (ok, $"{patient.DisplayName} consented with their eID at {home} (TREATMENT, ES+IT): retrieval {(int)permitted.Status}; " +
            $"after withdrawal: {(int)denied.Status} ({denied.Reason}); EMERGENCY access to {unconscious.NationalId}, who never consented: {(int)emergency.Status}{(emergency.Reason.Length > 0 ? $" ({emergency.Reason})" : "")}, break-the-glass flagged, " +
            $"{pending.Count} access(es) queued for review at {home}; consent granted again ({(int)regranted})");
    }

    /// <summary>
    /// GDPR Art. 15: the patient, logged in with their eID at home, asks who accessed their data. The
    /// home node gathers the entries about the patient's pseudonym from every country's ledger, each
    /// with its inclusion proof against a cosigned checkpoint; the patient re-verifies the report
    /// offline with nothing but the trust list's keys.
    /// </summary>
    private async Task<(bool, string)> AccessReportAsync(CancellationToken cancellationToken)
    {
        var home = patient.HomeCountry;
        using var citizen = await federation.LoginAsync(home, $"{home}/{home}/{patient.IdentifierValue}", cancellationToken: cancellationToken).ConfigureAwait(false);
        using var response = await citizen.GetAsync("patient/access-report", cancellationToken).ConfigureAwait(false);
        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return (false, $"the access report answered {(int)response.StatusCode}: {FhirOutcomes.TryReadDiagnostics(json)}");
        }

        var report = Konfido.Policy.Gdpr.AccessReport.FromJson(json);
        if (report is null)
        {
            return (false, "the access report does not parse");
        }

        // Offline: only the signed trust list (verified with the operator key) and the report.
        var trustList = NodeLauncher.LoadTrustList(NodeSettings.Load(federation.Layout.ConfigFiles[home]));
        var failures = AccessReports.Verify(report, trustList);
        var entries = report.Countries.SelectMany(c => c.Entries).Select(e => e.Entry).ToArray();
        var byCountry = string.Join(", ", report.Countries.Select(c => $"{c.Country}: {c.Entries.Count}"));
        var sample = entries.FirstOrDefault(e => e.What == "ips-retrieve" && e.Outcome.StartsWith("success", StringComparison.Ordinal));
        var ok = entries.Length > 0 && report.AllProofsVerified && failures.Count == 0 && sample is not null
            && report.Logs.Count == federation.Nodes.Count;
        return (ok, $"{report.TotalAccesses} accesses to {patient.DisplayName}'s data from {report.Logs.Count} ledgers ({byCountry}); " +
            $"e.g. {sample?.What} by {sample?.Who} (role {sample?.Role}, {sample?.Organisation}, {sample?.Country}, {sample?.Purpose}) at {sample?.When:u}; " +
            (failures.Count == 0 ? "every entry's inclusion proof re-verified offline against its cosigned checkpoint" : $"{failures.Count} proofs FAILED offline: {failures[0].Reason}"));
    }

    /// <summary>
    /// Two attacks in Spain, each detected by the Spanish node's SIEM (bundled Sigma correlation
    /// rules on the node's own events): someone posts forged eIDAS responses for the doctor's
    /// account (brute force), and the doctor's session looks up every Danish patient (mass lookup).
    /// </summary>
    private async Task<(bool, string)> SiemAlertsAsync(CancellationToken cancellationToken)
    {
        var spainNode = federation["ES"];
        var eid = spainNode.Eid!;
        using var attacker = federation.LocalClient("ES");
        var forger = Konfido.Eid.Saml.TestEidasIdentityProvider.CreateEphemeral(Core.CountryCode.Parse("ES"));
        var victim = DemoProfessionals.For("ES").First(p => p.PersonIdentifier == DemoProfessionals.SpanishDoctor).Person;
        var refused = 0;
        for (var i = 0; i < 6; i++)
        {
            var request = eid.ServiceProvider.CreateAuthnRequest(eid.IdpSsoUrl);
            var forged = forger.Respond(request, victim, eid.ServiceProvider.EncryptionCertificate);
            using var form = new FormUrlEncodedContent([new("SAMLResponse", Konfido.Eid.Saml.TestEidasIdentityProvider.ToBase64(forged))]);
            using var answer = await attacker.PostAsync("saml/acs", form, cancellationToken).ConfigureAwait(false);
            refused += answer.StatusCode == HttpStatusCode.Unauthorized ? 1 : 0;
        }

        if (_doctor is null)
        {
            return (false, "no professional is logged in");
        }

        var looked = 0;
        foreach (var file in Records.SyntheticPatients.For(patient.HomeCountry))
        {
            var token = FederationProtocol.JoinToken(patient.IdentifierSystem, file.Patient.NationalId);
            using var response = await _doctor.GetAsync($"api/{patient.HomeCountry}/Patient?identifier={Uri.EscapeDataString(token)}", cancellationToken).ConfigureAwait(false);
            looked += response.IsSuccessStatusCode ? 1 : 0;
        }

        await spainNode.Siem!.FlushAsync(cancellationToken).ConfigureAwait(false);
        var alerts = await spainNode.Siem.AlertsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var bruteForce = alerts.FirstOrDefault(a => a.Title.Contains("Brute-force", StringComparison.OrdinalIgnoreCase));
        var massLookup = alerts.FirstOrDefault(a => a.Title.Contains("many patients", StringComparison.OrdinalIgnoreCase));
        string Describe(Konfido.Siem.Alerts.Alert? a) => a is null ? "NOT detected" : $"'{a.Title}' ({a.Severity.ToString().ToLowerInvariant()}, {a.Evidence.Count} events of evidence)";
        var log = spainNode.Components.Ledger!.Log;
        var inLedger = 0;
        for (var i = log.Head.Size - 1; i >= 0 && i >= log.Head.Size - 200; i--)
        {
            var entry = Encoding.UTF8.GetString(await log.ReadEntryAsync(i, cancellationToken).ConfigureAwait(false));
            inLedger += entry.Contains("\"category\":\"siem\"", StringComparison.Ordinal)
                && (entry.Contains(bruteForce?.Id ?? "-", StringComparison.Ordinal) || entry.Contains(massLookup?.Id ?? "-", StringComparison.Ordinal)) ? 1 : 0;
        }

        // Shared with the other countries (alerts, never raw events), over mutual TLS.
        var sharedWith = new List<string>();
        foreach (var other in federation.Nodes.Values.Where(n => n.Country != "ES"))
        {
            var received = await other.Siem!.AlertsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            if (received.Any(a => a.Node == "ES" && a.RuleId == bruteForce?.RuleId) && received.Any(a => a.Node == "ES" && a.RuleId == massLookup?.RuleId))
            {
                sharedWith.Add(other.Country);
            }
        }

        // GDPR Art. 33: the mass lookup is classified as a personal-data breach; a case opens with its 72-hour clock.
        var cases = spainNode.Policy?.Breaches is { } breaches ? await breaches.OpenCasesAsync(cancellationToken).ConfigureAwait(false) : [];
        var breach = cases.FirstOrDefault(c => c.IncidentId == massLookup?.Id);
        var breachText = breach is null
            ? "NO breach case opened"
            : $"breach case opened at ES for the mass lookup: {breach.AffectedSubjects.Count} data subjects (from the ledger), notification due {breach.NotificationDeadline:u}";

        return (bruteForce is not null && massLookup is not null && inLedger >= 2 && sharedWith.Count == federation.Nodes.Count - 1 && breach is not null,
            $"{refused} forged eIDAS logins for {victim.PersonIdentifier} refused, ES SIEM alert {Describe(bruteForce)}; " +
            $"{looked} patient lookups by one ES doctor, ES SIEM alert {Describe(massLookup)}; {inLedger} alert entries in the ES audit ledger; both alerts shared with {(sharedWith.Count == 0 ? "NO other country" : string.Join('+', sharedWith))}; {breachText}");
    }

    /// <summary>
    /// A Danish patient's wearable encrypts heart-rate readings under the patient's key; Denmark's
    /// analytics service computes mean, variance and standard deviation with the compiled program and
    /// no secret key; the patient decrypts and compares with the clear computation; a ciphertext
    /// under foreign parameters is refused.
    /// </summary>
    private async Task<(bool, string)> HeAnalyticsAsync(CancellationToken cancellationToken)
    {
        var home = federation[patient.HomeCountry];
        var result = await Konfido.He.Compiler.Service.HeAnalyticsScenario.RunAsync(home.Analytics, home.Events, home.Country, cancellationToken).ConfigureAwait(false);
        return (result.Ok, result.Detail);
    }

    /// <summary>The Spanish doctor retrieves the Patient Summary (IPS) and checks it.</summary>
    private async Task<(bool, string)> RetrieveSummaryAsync(CancellationToken cancellationToken)
    {
        if (_identifierToken is null || _doctor is null)
        {
            return (false, "no patient was discovered");
        }

        // The doctor's workstation brings its own key: the summary, sealed by the home country for Spain's custody,
        // is opened and checked only inside Spain's custody boundary and re-sealed for this key.
        using var workstationKey = System.Security.Cryptography.ECDiffieHellman.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/{patient.HomeCountry}/Patient/$summary?identifier={Uri.EscapeDataString(_identifierToken)}");
        request.Headers.Add(SealedPayloads.RecipientKeyHeader, SealedPayloads.ClientKeyHeaderValue(workstationKey));
        using var response = await _doctor.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (false, $"IPS retrieval answered {(int)response.StatusCode}: {Diagnostics(System.Text.Encoding.UTF8.GetBytes(answer))}");
        }

        if (response.Content.Headers.ContentType?.MediaType != Custody.PayloadEnvelope.MediaType)
        {
            return (false, "the IPS reached the doctor unsealed");
        }

        var home = federation[patient.HomeCountry].Components.TrustList().Find(patient.HomeCountry)!;
        var (body, _) = SealedPayloads.OpenForClient(answer, workstationKey, home); // checks the home country's signature inside

        var validation = DemoIps.Validate(body);
        var bundle = FhirJson.Parse<Bundle>(body);
        var composition = bundle.Entry.Select(e => e.Resource).OfType<Composition>().FirstOrDefault();
        var sections = composition is null ? "no composition" : string.Join(", ", composition.Section.Select(s => $"{s.Title}: {s.Entry.Count}"));
        return validation.Valid
            ? (true, $"IPS document ({body.Length} bytes) signed by {patient.HomeCountry}, sealed end to end (ECDH-ES/A256GCM) for ES's custody boundary and re-sealed there for the doctor's key, valid IPS; {sections}")
            : (false, $"the IPS is not valid: {validation.FirstProblem}");
    }

    /// <summary>An Italian pharmacy dispenses one of the patient's Danish ePrescriptions, exactly once.</summary>
    private async Task<(bool, string)> DispenseAsync(CancellationToken cancellationToken)
    {
        if (_identifierToken is null || _pharmacist is null)
        {
            return (false, "no patient was discovered or no pharmacist is logged in");
        }

        var italy = _pharmacist;
        var (status, body) = await GetVerifiedAsync(italy, $"api/{patient.HomeCountry}/MedicationRequest?patient.identifier={Uri.EscapeDataString(_identifierToken)}", cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            return (false, $"ePrescription list answered {(int)status}: {Diagnostics(body)}");
        }

        var prescription = FhirJson.Parse<Bundle>(body).Entry.Select(e => e.Resource).OfType<MedicationRequest>()
            .FirstOrDefault(r => r.Status == MedicationRequest.MedicationrequestStatus.Active);
        if (prescription is null)
        {
            return (false, $"the patient has no active ePrescription left in {patient.HomeCountry}");
        }

        var medication = prescription.Medication as CodeableConcept;
        var quantity = prescription.DispenseRequest?.Quantity?.Value is decimal q && q > 0 ? (int?)decimal.ToInt32(q) : null;
        var dispense = Records.EDispensation.Create(prescription.Id ?? string.Empty, patient.IdentifierValue, patient.IdentifierSystem, "IT",
            "Farmacia Centrale, Roma", DateTimeOffset.UtcNow, quantity, prescription.DispenseRequest?.Quantity?.Unit);
        dispense.Medication ??= prescription.Medication;
        var json = FhirJson.Serialize(dispense);
        var first = await PostVerifiedAsync(italy, $"api/{patient.HomeCountry}/MedicationDispense", json, cancellationToken).ConfigureAwait(false);
        var second = await PostVerifiedAsync(italy, $"api/{patient.HomeCountry}/MedicationDispense", json, cancellationToken).ConfigureAwait(false);
        var drug = medication?.Coding.FirstOrDefault() is { } c ? $"{c.Display} ({c.Code})" : prescription.Id;
        if (first.Status != HttpStatusCode.Created)
        {
            return (false, $"dispensing {drug} answered {(int)first.Status}: {Diagnostics(first.Body)}");
        }

        return second.Status == HttpStatusCode.Conflict
            ? (true, $"IT pharmacy dispensed {drug} on {patient.HomeCountry} prescription {prescription.Id}; a second submission was refused (409), dispensed exactly once" +
                (federation["IT"].Components.TrustList().Find("IT") is { } it && Konfido.Ihe.Gateway.IheInitiatingGateway.IsIhe(it)
                    ? "; over IHE SOAP (XCA query and retrieve, XDR, eHDSI CDA transformed to and from FHIR): IT runs in OpenNCP mode"
                    : string.Empty))
            : (false, $"a second dispensation of {prescription.Id} answered {(int)second.Status} instead of 409");
    }

    /// <summary>
    /// Each country publishes a checkpoint of its audit log, cosigned by the other two countries'
    /// witnesses over mutual TLS; then an auditor checks, offline, that Denmark's record of the
    /// Spanish retrieval is in Denmark's published log (an inclusion-proof bundle).
    /// </summary>
    private async Task<(bool, string)> PublishLedgersAsync(CancellationToken cancellationToken)
    {
        var parts = new List<string>();
        var allPublished = true;
        foreach (var node in federation.Nodes.Values)
        {
            var ledger = node.Components.Ledger!;
            var result = await ledger.Publisher!.PublishAsync(cancellationToken).ConfigureAwait(false);
            var checkpoint = Konfido.Ledger.Notes.Checkpoint.TryParse(result.Checkpoint.Text, out var parsed, out _) ? parsed : null;
            allPublished &= result.Published;
            parts.Add($"{node.Country}: {checkpoint?.Size ?? ledger.Log.Head.Size} entries, cosigned by {string.Join('+', result.Quorum.Cosigners.Select(c => c[(c.LastIndexOf('/') + 1)..]))}" +
                (result.Published ? "" : $" NOT published ({string.Join("; ", result.Refusals)})"));
        }

        // Every node gossips its cosigned checkpoint to the others: one history per log, or a split-view alarm.
        var splitViews = 0;
        foreach (var node in federation.Nodes.Values)
        {
            var gossip = await node.Components.Ledger!.GossipAsync(cancellationToken).ConfigureAwait(false);
            splitViews += gossip.SplitViews;
            allPublished &= gossip.Failed.Count == 0;
        }

        parts.Add(splitViews == 0 ? "checkpoints gossiped to every country, no split view" : $"{splitViews} SPLIT VIEW(S) detected");

        // The auditor's offline check: Denmark's entry for the retrieval, its inclusion proof, the cosigned checkpoint.
        var home = federation[patient.HomeCountry].Components.Ledger!;
        var published = home.Publisher!.Latest!;
        var size = home.Log.Head.Size;
        long? index = null;
        for (var i = size - 1; i >= 0 && index is null; i--)
        {
            var entry = System.Text.Encoding.UTF8.GetString(await home.Log.ReadEntryAsync(i, cancellationToken).ConfigureAwait(false));
            if (entry.Contains("ips-retrieve", StringComparison.Ordinal))
            {
                index = i;
            }
        }

        if (index is null)
        {
            return (false, $"no ips-retrieve entry in the {patient.HomeCountry} log; {string.Join("; ", parts)}");
        }

        Konfido.Ledger.Notes.Checkpoint.TryParse(published.Checkpoint.Text, out var cp, out _);
        var proof = await home.Log.ProveInclusionAsync(index.Value, cp!.Size, cancellationToken).ConfigureAwait(false);
        var bundle = new Konfido.Ledger.Witnessing.ProofBundle(published.Checkpoint.ToString(), index.Value,
            await home.Log.ReadEntryAsync(index.Value, cancellationToken).ConfigureAwait(false), proof);
        var roundTripped = Konfido.Ledger.Witnessing.ProofBundle.TryParse(bundle.ToJson(), out var offline, out var parseError) ? offline : null;
        if (roundTripped is null)
        {
            return (false, $"the proof bundle does not parse: {parseError}");
        }

        var verification = Konfido.Ledger.Witnessing.BundleVerification.Verify(roundTripped, home.Signer.Verifier, home.Policy!);
        var pseudonymised = !System.Text.Encoding.UTF8.GetString(roundTripped.Entry).Contains(patient.IdentifierValue, StringComparison.Ordinal);
        var ok = allPublished && splitViews == 0 && verification.IsValid && pseudonymised;
        return (ok, $"{string.Join("; ", parts)}; offline proof bundle for {patient.HomeCountry} entry #{index} (ips-retrieve by ES) " +
            (verification.IsValid ? "verified" : $"FAILED: {verification.Reason}") +
            (pseudonymised ? ", patient identifier pseudonymised" : ", patient identifier IN CLEAR"));
    }

    /// <summary>
    /// The patient's glucose meter (a simulated photonic PUF) enrols with the Danish node, then
    /// authenticates with a reverse fuzzy extractor and agrees a session key; a cloned device
    /// claiming the same identity is refused. The node's PUF events go through its event path
    /// (audit ledger included).
    /// </summary>
    private async Task<(bool, string)> AuthenticateDeviceAsync(CancellationToken cancellationToken)
    {
        var settings = Konfido.Puf.Protocol.PufProtocolSettings.Create(new Konfido.Puf.Protocol.PufProtocolParameters { ChallengePoolSize = 4 });
        var referenceKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        try
        {
            var verifier = new Konfido.Puf.Protocol.PufVerifier(settings, new Konfido.Puf.Protocol.InMemoryPufEnrolmentStore(),
                new Konfido.Puf.Protocol.AesGcmReferenceProtector(referenceKey), federation[patient.HomeCountry].Events, patient.HomeCountry);
            var outcome = await Konfido.Puf.Protocol.DeviceAuthenticationScenario.RunAsync(verifier, settings, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (outcome.Ok, outcome.Detail);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(referenceKey);
        }
    }

    private async Task<(HttpStatusCode Status, byte[] Body)> GetVerifiedAsync(HttpClient client, string url, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(url, cancellationToken).ConfigureAwait(false);
        return await VerifyAsync(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(HttpStatusCode Status, byte[] Body)> PostVerifiedAsync(HttpClient client, string url, byte[] json, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(json);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(FhirJson.MediaType);
        using var response = await client.PostAsync(url, content, cancellationToken).ConfigureAwait(false);
        return await VerifyAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the home country's signature end to end, with its key from the trust list.</summary>
    private async Task<(HttpStatusCode, byte[])> VerifyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var jws = response.Headers.TryGetValues(FederationProtocol.SignatureHeader, out var values) ? values.First() : null;
        var signer = DetachedJws.ReadKeyId(jws) ?? throw new InvalidOperationException("the response carries no signature");
        var member = federation[patient.HomeCountry].Components.TrustList().Find(signer)
            ?? throw new InvalidOperationException($"the response is signed by '{signer}', who is not on the trust list");
        using var key = member.ImportSigningKey();
        var check = DetachedJws.Verify(jws, body, key);
        return check.IsValid ? (response.StatusCode, body) : throw new InvalidOperationException($"end-to-end signature check failed: {check.Reason}");
    }

    private static string Diagnostics(byte[] body)
    {
        if (FhirOutcomes.TryReadDiagnostics(body) is { } diagnostics)
        {
            return diagnostics;
        }

        var text = Encoding.UTF8.GetString(body);
        return text.Length > 200 ? text[..200] : text;
    }
}
