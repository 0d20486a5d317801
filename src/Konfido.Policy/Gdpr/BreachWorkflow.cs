using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Konfido.Core;
using Konfido.Policy.Storage;

namespace Konfido.Policy.Gdpr;

/// <summary>SIEM incident severities, weakest first.</summary>
public enum IncidentSeverity
{
    /// <summary>Low.</summary>
    Low,

    /// <summary>Medium.</summary>
    Medium,

    /// <summary>High.</summary>
    High,

    /// <summary>Critical.</summary>
    Critical,
}

/// <summary>Which security property of personal data a breach affects (ENISA/EDPB terminology).</summary>
public enum BreachNature
{
    /// <summary>Unauthorised disclosure of, or access to, personal data.</summary>
    Confidentiality,

    /// <summary>Unauthorised alteration of personal data.</summary>
    Integrity,

    /// <summary>Loss of access to, or destruction of, personal data.</summary>
    Availability,
}

/// <summary>An incident raised by the SIEM, as the breach workflow receives it.</summary>
/// <param name="Id">The incident's id (a case is opened at most once per incident).</param>
/// <param name="Rule">The detection rule that raised it (e.g. a Sigma rule id).</param>
/// <param name="Severity">Its severity.</param>
/// <param name="DetectedAt">When it was detected: the controller's "awareness" for the 72-hour clock.</param>
/// <param name="AffectedSubjects">Affected patients (pseudonyms or identifiers).</param>
/// <param name="Description">What happened.</param>
public sealed record SiemIncident(string Id, string Rule, IncidentSeverity Severity, DateTimeOffset DetectedAt, IReadOnlyList<string> AffectedSubjects, string Description);

/// <summary>A configured rule that classifies SIEM incidents as personal-data breaches.</summary>
/// <param name="Id">The classification rule's id.</param>
/// <param name="RulePattern">Matches the incident's rule: an exact id, or a prefix ending in <c>*</c>, or <c>*</c>.</param>
/// <param name="MinimumSeverity">The lowest severity that counts.</param>
/// <param name="Nature">The breach nature when it matches.</param>
/// <param name="RequiresAffectedSubjects">Whether it only counts when the incident names affected data subjects.</param>
/// <param name="DataCategories">The categories of personal data concerned (Art. 33(3)(a)).</param>
/// <param name="LikelyConsequences">The likely consequences (Art. 33(3)(c)).</param>
/// <param name="Measures">Measures taken or proposed (Art. 33(3)(d)).</param>
public sealed record BreachClassificationRule(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("rulePattern")] string RulePattern,
    [property: JsonPropertyName("minimumSeverity")] IncidentSeverity MinimumSeverity,
    [property: JsonPropertyName("nature")] BreachNature Nature,
    [property: JsonPropertyName("requiresAffectedSubjects")] bool RequiresAffectedSubjects,
    [property: JsonPropertyName("dataCategories")] IReadOnlyList<string> DataCategories,
    [property: JsonPropertyName("likelyConsequences")] string LikelyConsequences,
    [property: JsonPropertyName("measures")] string Measures)
{
    /// <summary>True if the rule's pattern matches <paramref name="rule"/>.</summary>
    public bool Matches(string rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return RulePattern.EndsWith('*')
            ? rule.StartsWith(RulePattern[..^1], StringComparison.Ordinal)
            : string.Equals(RulePattern, rule, StringComparison.Ordinal);
    }
}

/// <summary>The breach workflow's configuration (part of the node's JSON settings).</summary>
/// <param name="Controller">The controller's name.</param>
/// <param name="DataProtectionOfficer">The DPO's name and contact (Art. 33(3)(b)).</param>
/// <param name="SupervisoryAuthority">The lead supervisory authority.</param>
/// <param name="Rules">The classification rules, first match wins.</param>
public sealed record BreachConfiguration(
    [property: JsonPropertyName("controller")] string Controller,
    [property: JsonPropertyName("dataProtectionOfficer")] ProcessingParty DataProtectionOfficer,
    [property: JsonPropertyName("supervisoryAuthority")] string SupervisoryAuthority,
    [property: JsonPropertyName("rules")] IReadOnlyList<BreachClassificationRule> Rules)
{
    /// <summary>Reads the configuration from JSON; null with errors if it is not valid.</summary>
    public static (BreachConfiguration? Configuration, IReadOnlyList<string> Errors) FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        BreachConfiguration? config;
        try
        {
            config = JsonSerializer.Deserialize(json, GdprJsonContext.Default.BreachConfiguration);
        }
        catch (JsonException ex)
        {
            return (null, [$"not valid breach-configuration JSON: {ex.Message}"]);
        }

        var errors = new List<string>();
        if (config is null)
        {
            return (null, ["the configuration is JSON null"]);
        }

        if (string.IsNullOrWhiteSpace(config.Controller))
        {
            errors.Add("controller is missing");
        }

        if (string.IsNullOrWhiteSpace(config.DataProtectionOfficer?.Contact))
        {
            errors.Add("dataProtectionOfficer.contact is missing");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in config.Rules ?? [])
        {
            if (string.IsNullOrWhiteSpace(rule?.Id) || string.IsNullOrWhiteSpace(rule.RulePattern))
            {
                errors.Add("a classification rule lacks an id or rulePattern");
            }
            else if (!ids.Add(rule.Id))
            {
                errors.Add($"duplicate classification rule id '{rule.Id}'");
            }
        }

        return errors.Count > 0 ? (null, errors) : (config, []);
    }
}

/// <summary>Whether an incident is a personal-data breach, and by which rule.</summary>
/// <param name="IsPersonalDataBreach">True if a classification rule matched.</param>
/// <param name="Rule">The matching rule, if any.</param>
/// <param name="Reason">Why (or why not).</param>
public sealed record BreachClassification(bool IsPersonalDataBreach, BreachClassificationRule? Rule, string Reason);

/// <summary>The state of a breach case.</summary>
public enum BreachCaseStatus
{
    /// <summary>Open: the supervisory authority has not been notified yet.</summary>
    Open,

    /// <summary>The supervisory authority was notified.</summary>
    Notified,
}

/// <summary>A personal-data breach case with its Art. 33 deadline.</summary>
public sealed record BreachCase
{
    /// <summary>The case id.</summary>
    public required string Id { get; init; }

    /// <summary>The SIEM incident that opened it.</summary>
    public required string IncidentId { get; init; }

    /// <summary>The detection rule of the incident.</summary>
    public required string IncidentRule { get; init; }

    /// <summary>The classification rule that made it a breach.</summary>
    public required string ClassificationRule { get; init; }

    /// <summary>The nature of the breach.</summary>
    public required BreachNature Nature { get; init; }

    /// <summary>The incident severity.</summary>
    public required IncidentSeverity Severity { get; init; }

    /// <summary>When the breach was detected (the controller became aware).</summary>
    public required DateTimeOffset DetectedAt { get; init; }

    /// <summary>Detection + 72 hours (Art. 33(1)).</summary>
    public required DateTimeOffset NotificationDeadline { get; init; }

    /// <summary>The affected data subjects (pseudonyms or identifiers).</summary>
    public required IReadOnlyList<string> AffectedSubjects { get; init; }

    /// <summary>Open or notified.</summary>
    public BreachCaseStatus Status { get; init; }

    /// <summary>When the authority was notified.</summary>
    public DateTimeOffset? NotifiedAt { get; init; }

    /// <summary>The reasons for a notification later than the deadline (Art. 33(1)), if late.</summary>
    public string? DelayReasons { get; init; }

    /// <summary>The draft notification to the supervisory authority (Art. 33(3) contents).</summary>
    public required string DraftNotification { get; init; }

    /// <summary>True if still open after the deadline at <paramref name="now"/>.</summary>
    public bool IsOverdue(DateTimeOffset now) => Status == BreachCaseStatus.Open && now > NotificationDeadline;
}

/// <summary>
/// Finds the data subjects an incident affected beyond those the SIEM named, e.g. from the audit
/// ledger (every patient whose data the offending actor accessed in the incident window).
/// </summary>
public interface IAffectedSubjectFinder
{
    /// <summary>The affected subjects (pseudonyms or identifiers) the ledger knows for <paramref name="incident"/>.</summary>
    Task<IReadOnlyList<string>> FindAsync(SiemIncident incident, CancellationToken cancellationToken = default);
}

/// <summary>Where breach cases are persisted.</summary>
public interface IBreachCaseStore
{
    /// <summary>Inserts or replaces a case.</summary>
    ValueTask SaveAsync(BreachCase breachCase, CancellationToken cancellationToken = default);

    /// <summary>The case with id <paramref name="id"/>, or null.</summary>
    ValueTask<BreachCase?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The case opened for incident <paramref name="incidentId"/>, or null.</summary>
    ValueTask<BreachCase?> FindByIncidentAsync(string incidentId, CancellationToken cancellationToken = default);

    /// <summary>Every case, by detection time.</summary>
    ValueTask<IReadOnlyList<BreachCase>> AllAsync(CancellationToken cancellationToken = default);
}

/// <summary>A SQLite <see cref="IBreachCaseStore"/> (one JSON row per case).</summary>
public sealed class SqliteBreachCaseStore : IBreachCaseStore
{
    private readonly SqliteDatabase _db;

    /// <summary>Opens (creating if needed) the store. Requires a SQLite connection string.</summary>
    public SqliteBreachCaseStore(string connectionString) =>
        _db = new SqliteDatabase(connectionString, """
            CREATE TABLE IF NOT EXISTS breach_case (
              id TEXT PRIMARY KEY,
              incident_id TEXT NOT NULL UNIQUE,
              detected_at TEXT NOT NULL,
              json TEXT NOT NULL);
            """);

    /// <inheritdoc />
    public async ValueTask SaveAsync(BreachCase breachCase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(breachCase);
        await _db.ExecuteAsync("INSERT OR REPLACE INTO breach_case (id, incident_id, detected_at, json) VALUES ($id, $incident, $at, $json)",
            new Dictionary<string, object?>
            {
                ["$id"] = breachCase.Id,
                ["$incident"] = breachCase.IncidentId,
                ["$at"] = breachCase.DetectedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                ["$json"] = JsonSerializer.Serialize(breachCase, GdprJsonContext.Default.BreachCase),
            }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<BreachCase?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await QueryAsync("SELECT json FROM breach_case WHERE id = $p", id, cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async ValueTask<BreachCase?> FindByIncidentAsync(string incidentId, CancellationToken cancellationToken = default) =>
        (await QueryAsync("SELECT json FROM breach_case WHERE incident_id = $p", incidentId, cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<BreachCase>> AllAsync(CancellationToken cancellationToken = default) =>
        await QueryAsync("SELECT json FROM breach_case ORDER BY detected_at, id", null, cancellationToken).ConfigureAwait(false);

    private Task<IReadOnlyList<BreachCase>> QueryAsync(string sql, string? parameter, CancellationToken cancellationToken) =>
        _db.QueryAsync(sql, parameter is null ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["$p"] = parameter },
            r => JsonSerializer.Deserialize(r.GetString(0), GdprJsonContext.Default.BreachCase) ?? throw new InvalidDataException("a stored breach case is JSON null"),
            cancellationToken);
}

/// <summary>
/// The GDPR Art. 33 workflow: classifies SIEM incidents, opens a case for each personal-data
/// breach with the 72-hour notification deadline counted from detection, the affected data
/// subjects and a draft notification carrying the Art. 33(3) contents; tracks notification and
/// reports overdue cases. Emits <c>breach-case-opened</c>, <c>breach-notified</c> events.
/// </summary>
public sealed class BreachWorkflow
{
    /// <summary>The Art. 33(1) notification period.</summary>
    public static readonly TimeSpan NotificationPeriod = TimeSpan.FromHours(72);

    private readonly BreachConfiguration _configuration;
    private readonly IBreachCaseStore _store;
    private readonly ISecurityEventSink _events;
    private readonly string _node;
    private readonly IAffectedSubjectFinder? _subjects;

    /// <summary>Creates the workflow. Requires all arguments but <paramref name="subjects"/>.</summary>
    /// <param name="configuration">Classification rules and notification contacts.</param>
    /// <param name="store">Where cases are kept.</param>
    /// <param name="events">Receives case events.</param>
    /// <param name="node">This node's country, for events.</param>
    /// <param name="subjects">Finds further affected subjects (the ledger), if given.</param>
    public BreachWorkflow(BreachConfiguration configuration, IBreachCaseStore store, ISecurityEventSink events, string node, IAffectedSubjectFinder? subjects = null)
    {
        _subjects = subjects;
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        _configuration = configuration;
        _store = store;
        _events = events;
        _node = node;
    }

    /// <summary>Classifies an incident with the configured rules (first match wins).</summary>
    public BreachClassification Classify(SiemIncident incident)
    {
        ArgumentNullException.ThrowIfNull(incident);
        foreach (var rule in _configuration.Rules)
        {
            if (!rule.Matches(incident.Rule))
            {
                continue;
            }

            if (incident.Severity < rule.MinimumSeverity)
            {
                return new BreachClassification(false, null, $"rule {rule.Id} matches but severity {incident.Severity} is below {rule.MinimumSeverity}");
            }

            if (rule.RequiresAffectedSubjects && incident.AffectedSubjects.Count == 0)
            {
                return new BreachClassification(false, null, $"rule {rule.Id} matches but no data subject is affected");
            }

            return new BreachClassification(true, rule, $"rule {rule.Id}: {rule.Nature.ToString().ToLowerInvariant()} breach of personal data");
        }

        return new BreachClassification(false, null, $"no classification rule matches incident rule '{incident.Rule}'");
    }

    /// <summary>
    /// Classifies the incident and, if it is a personal-data breach, opens (once per incident) a
    /// case due at detection + 72 h. Returns the classification and the case (null if none).
    /// </summary>
    public async Task<(BreachClassification Classification, BreachCase? Case)> OpenAsync(SiemIncident incident, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(incident);
        var classification = Classify(incident);
        if (!classification.IsPersonalDataBreach)
        {
            return (classification, null);
        }

        if (await _store.FindByIncidentAsync(incident.Id, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return (classification, existing);
        }

        var rule = classification.Rule!;
        IEnumerable<string> named = incident.AffectedSubjects;
        if (_subjects is not null)
        {
            named = named.Concat(await _subjects.FindAsync(incident, cancellationToken).ConfigureAwait(false));
        }

        var subjects = named.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var breachCase = new BreachCase
        {
            Id = $"breach-{Guid.NewGuid():N}",
            IncidentId = incident.Id,
            IncidentRule = incident.Rule,
            ClassificationRule = rule.Id,
            Nature = rule.Nature,
            Severity = incident.Severity,
            DetectedAt = incident.DetectedAt,
            NotificationDeadline = incident.DetectedAt + NotificationPeriod,
            AffectedSubjects = subjects,
            Status = BreachCaseStatus.Open,
            DraftNotification = DraftNotification(incident, rule, subjects.Length),
        };
        await _store.SaveAsync(breachCase, cancellationToken).ConfigureAwait(false);
        await EmitAsync("breach-case-opened", breachCase, EventOutcome.Unknown, null, cancellationToken).ConfigureAwait(false);
        return (classification, breachCase);
    }

    /// <summary>
    /// Records that the supervisory authority was notified. A notification after the deadline
    /// needs <paramref name="delayReasons"/> (Art. 33(1)); without them it is refused.
    /// </summary>
    public async Task<(BreachCase? Case, string? Failure)> MarkNotifiedAsync(string caseId, DateTimeOffset notifiedAt, string? delayReasons = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caseId);
        var breachCase = await _store.GetAsync(caseId, cancellationToken).ConfigureAwait(false);
        if (breachCase is null)
        {
            return (null, $"no breach case '{caseId}'");
        }

        if (breachCase.Status == BreachCaseStatus.Notified)
        {
            return (null, $"case '{caseId}' was already notified at {breachCase.NotifiedAt:O}");
        }

        var late = notifiedAt > breachCase.NotificationDeadline;
        if (late && string.IsNullOrWhiteSpace(delayReasons))
        {
            return (null, "the notification is later than 72 hours after detection: Art. 33(1) requires the reasons for the delay");
        }

        var updated = breachCase with { Status = BreachCaseStatus.Notified, NotifiedAt = notifiedAt, DelayReasons = late ? delayReasons : null };
        await _store.SaveAsync(updated, cancellationToken).ConfigureAwait(false);
        await EmitAsync("breach-notified", updated, late ? EventOutcome.Failure : EventOutcome.Success, late ? $"notified late: {delayReasons}" : null, cancellationToken).ConfigureAwait(false);
        return (updated, null);
    }

    /// <summary>The cases still open after their deadline at <paramref name="now"/>, oldest deadline first.</summary>
    public async Task<IReadOnlyList<BreachCase>> OverdueAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var all = await _store.AllAsync(cancellationToken).ConfigureAwait(false);
        return all.Where(c => c.IsOverdue(now)).OrderBy(c => c.NotificationDeadline).ToArray();
    }

    /// <summary>The open cases.</summary>
    public async Task<IReadOnlyList<BreachCase>> OpenCasesAsync(CancellationToken cancellationToken = default) =>
        (await _store.AllAsync(cancellationToken).ConfigureAwait(false)).Where(c => c.Status == BreachCaseStatus.Open).ToArray();

    private string DraftNotification(SiemIncident incident, BreachClassificationRule rule, int subjects)
    {
        var deadline = incident.DetectedAt + NotificationPeriod;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"To: {_configuration.SupervisoryAuthority}").AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"From: {_configuration.Controller}").AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"Subject: Notification of a personal data breach (GDPR Art. 33) — incident {incident.Id}").AppendLine().AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"The breach was detected on {incident.DetectedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC; this notification is due by {deadline.UtcDateTime:yyyy-MM-dd HH:mm} UTC.").AppendLine().AppendLine();
        text.AppendLine("(a) Nature of the breach:");
        text.Append(CultureInfo.InvariantCulture, $"    {rule.Nature} breach ({Describe(rule.Nature)}), detected by rule '{incident.Rule}' with severity {incident.Severity}: {incident.Description}").AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"    Categories of data subjects: patients of the cross-border eHealth service. Approximate number of data subjects concerned: {subjects}.").AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"    Categories of personal data: {(rule.DataCategories.Count == 0 ? "to be determined" : string.Join(", ", rule.DataCategories))} (health data, GDPR Art. 9). Approximate number of records concerned: at least {subjects} patient records.").AppendLine();
        text.AppendLine("(b) Contact point for more information:");
        text.Append(CultureInfo.InvariantCulture, $"    Data protection officer: {_configuration.DataProtectionOfficer.Name}, {_configuration.DataProtectionOfficer.Contact}").AppendLine();
        text.AppendLine("(c) Likely consequences:");
        text.Append(CultureInfo.InvariantCulture, $"    {rule.LikelyConsequences}").AppendLine();
        text.AppendLine("(d) Measures taken or proposed, including to mitigate possible adverse effects:");
        text.Append(CultureInfo.InvariantCulture, $"    {rule.Measures}").AppendLine().AppendLine();
        text.AppendLine("Where not all information is available yet, it will be provided in phases without undue further delay (Art. 33(4)).");
        return text.ToString();
    }

    private static string Describe(BreachNature nature) => nature switch
    {
        BreachNature.Confidentiality => "unauthorised disclosure of or access to personal data",
        BreachNature.Integrity => "unauthorised alteration of personal data",
        _ => "loss of access to or destruction of personal data",
    };

    private ValueTask EmitAsync(string action, BreachCase breachCase, EventOutcome outcome, string? reason, CancellationToken cancellationToken) =>
        _events.PublishAsync(new SecurityEvent
        {
            Node = _node,
            Category = EventCategories.Policy,
            Action = action,
            Outcome = outcome,
            Reason = reason,
            Attributes = new Dictionary<string, string>
            {
                ["breach.case"] = breachCase.Id,
                ["breach.incident"] = breachCase.IncidentId,
                ["breach.nature"] = breachCase.Nature.ToString().ToLowerInvariant(),
                ["breach.deadline"] = breachCase.NotificationDeadline.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                ["breach.subjects"] = breachCase.AffectedSubjects.Count.ToString(CultureInfo.InvariantCulture),
            },
        }, cancellationToken);
}
