using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Konfido.Sdk;

/// <summary>The patient's International Patient Summary (FHIR R4 document Bundle) from their home node.</summary>
/// <param name="Json">The Bundle as FHIR JSON.</param>
/// <param name="BundleId">The Bundle's id, if any.</param>
/// <param name="Sections">The Composition's section titles, in order.</param>
public sealed record PatientSummary(string Json, string? BundleId, IReadOnlyList<string> Sections);

/// <summary>One of the patient's consents to cross-border sharing.</summary>
/// <param name="Id">The consent's id.</param>
/// <param name="Active">Whether it is in force.</param>
/// <param name="Effect"><c>permit</c> or <c>deny</c>.</param>
/// <param name="Purposes">The purposes of use it covers (empty: all).</param>
/// <param name="Countries">The countries it covers (empty: all).</param>
/// <param name="ValidFrom">When it starts, if bounded.</param>
/// <param name="ValidUntil">When it ends, if bounded.</param>
public sealed record Consent(string Id, bool Active, string Effect, IReadOnlyList<string> Purposes, IReadOnlyList<string> Countries, DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil);

/// <summary>A consent the patient gives (or a refusal, with <see cref="Effect"/> <c>deny</c>).</summary>
/// <param name="Effect"><c>permit</c> or <c>deny</c>.</param>
/// <param name="Purposes">Purposes of use (<c>TREATMENT</c>, <c>EMERGENCY</c>); empty for all.</param>
/// <param name="Countries">Country codes; empty for all.</param>
/// <param name="ValidFrom">When it starts (now if null).</param>
/// <param name="ValidUntil">When it ends (open if null).</param>
public sealed record ConsentRequest(string Effect, IReadOnlyList<string> Purposes, IReadOnlyList<string> Countries, DateTimeOffset? ValidFrom = null, DateTimeOffset? ValidUntil = null);

/// <summary>
/// A patient's own data at their home node, with their eID session: the summary, consent, and the access
/// report (GDPR Art. 15) whose proofs the app verifies itself with <see cref="AccessReportVerifier"/>.
/// </summary>
public sealed class PatientClient
{
    private readonly KonfidoClient _client;
    private readonly string _token;

    internal PatientClient(KonfidoClient client, string token)
    {
        _client = client;
        _token = token;
    }

    /// <summary>The patient's own International Patient Summary from the home node's records.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<PatientSummary> GetSummaryAsync(CancellationToken cancellationToken = default)
    {
        var json = await _client.SendAsync(HttpMethod.Get, "patient/summary", null, _token, cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (!root.TryGetProperty("resourceType", out var type) || type.GetString() != "Bundle")
            {
                throw new KonfidoApiException(HttpStatusCode.OK, "structure", "the patient summary is not a FHIR Bundle");
            }

            var sections = new List<string>();
            if (root.TryGetProperty("entry", out var entries) && entries.ValueKind == JsonValueKind.Array && entries.GetArrayLength() > 0
                && entries[0].TryGetProperty("resource", out var composition) && composition.TryGetProperty("section", out var list))
            {
                sections.AddRange(list.EnumerateArray().Select(s => s.TryGetProperty("title", out var t) ? t.GetString() ?? string.Empty : string.Empty));
            }

            return new PatientSummary(json, root.TryGetProperty("id", out var id) ? id.GetString() : null, sections);
        }
        catch (JsonException ex)
        {
            throw new KonfidoApiException(HttpStatusCode.OK, "structure", $"the patient summary is not JSON: {ex.Message}");
        }
    }

    /// <summary>The patient's consents, active and past.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IReadOnlyList<Consent>> GetConsentsAsync(CancellationToken cancellationToken = default)
    {
        var list = await _client.GetJsonAsync("patient/consent", _token, WireJson.Default.ConsentListDto, cancellationToken).ConfigureAwait(false);
        return [.. list.Consents.Select(c => new Consent(c.Id, c.Active, c.Effect, c.Purposes ?? [], c.Countries ?? [], Time(c.ValidFrom), Time(c.ValidUntil)))];
    }

    /// <summary>Records a consent (or a refusal); returns its id. The node answers 400 (thrown) with every problem.</summary>
    /// <param name="request">The consent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<string> GrantConsentAsync(ConsentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Effect is not ("permit" or "deny"))
        {
            throw new ArgumentException("the effect is 'permit' or 'deny'", nameof(request));
        }

        var result = await _client.PostJsonAsync("patient/consent", new GrantDto(request.Effect, [.. request.Purposes], [.. request.Countries], request.ValidFrom, request.ValidUntil),
            WireJson.Default.GrantDto, WireJson.Default.GrantResultDto, _token, cancellationToken).ConfigureAwait(false);
        return result.Id;
    }

    /// <summary>Withdraws every active consent; returns the ids withdrawn (none if there was no active consent).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IReadOnlyList<string>> WithdrawConsentAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var text = await _client.SendAsync(HttpMethod.Post, "patient/consent/withdraw", null, _token, cancellationToken).ConfigureAwait(false);
            return KonfidoClient.Deserialize(text, WireJson.Default.WithdrawResultDto, "withdraw").Withdrawn;
        }
        catch (KonfidoApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return [];
        }
    }

    /// <summary>
    /// Who accessed my data: every access recorded in every federation ledger, each with its proof. The node
    /// checked the proofs; check them again yourself with <see cref="AccessReportVerifier.Verify"/> and keys you trust.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<AccessReport> GetAccessReportAsync(CancellationToken cancellationToken = default)
    {
        var json = await _client.SendAsync(HttpMethod.Get, "patient/access-report", null, _token, cancellationToken).ConfigureAwait(false);
        return AccessReport.Parse(json);
    }

    private static DateTimeOffset? Time(string? text) =>
        text is null ? null : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
