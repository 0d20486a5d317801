using Konfido.Core;
using Konfido.Policy.Gdpr;
using Konfido.Testing;

namespace Konfido.Policy.Tests;

public sealed class BreachWorkflowTests : IDisposable
{
    private const string Configuration = """
        {
          "controller": "Sundhedsdatastyrelsen (DK NCP)",
          "dataProtectionOfficer": { "name": "DPO DK NCP", "contact": "dpo@ncp.dk, +45 00 00 00 00" },
          "supervisoryAuthority": "Datatilsynet",
          "rules": [
            { "id": "exfiltration", "rulePattern": "konfido.exfiltration.*", "minimumSeverity": "Medium", "nature": "Confidentiality",
              "requiresAffectedSubjects": true, "dataCategories": ["patient summaries"],
              "likelyConsequences": "Disclosure of health data to unauthorised parties.", "measures": "Certificate revoked; affected patients informed." },
            { "id": "ledger-split", "rulePattern": "konfido.ledger.split-view", "minimumSeverity": "High", "nature": "Integrity",
              "requiresAffectedSubjects": false, "dataCategories": [], "likelyConsequences": "Audit trail may be unreliable.", "measures": "Witnesses alerted." }
          ]
        }
        """;

    private readonly TemporaryDirectory _dir = new("konfido-breach");
    private readonly InMemorySecurityEventSink _events = new();
    private readonly BreachWorkflow _workflow;

    public BreachWorkflowTests()
    {
        var (config, errors) = BreachConfiguration.FromJson(Configuration);
        Assert.Empty(errors);
        _workflow = new BreachWorkflow(config!, new SqliteBreachCaseStore($"Data Source={_dir.File("breach.db")}"), _events, "DK");
    }

    private static SiemIncident Incident(string id = "inc-1", string rule = "konfido.exfiltration.bulk-ips", IncidentSeverity severity = IncidentSeverity.High, params string[] subjects) =>
        new(id, rule, severity, Fixtures.Now, subjects.Length == 0 ? ["pseud-b", "pseud-a", "pseud-b"] : subjects, "bulk retrieval of patient summaries by one HCP");

    [Fact]
    public async Task Breach_opens_a_case_due_72_hours_after_detection_with_subjects_and_draft()
    {
        var (classification, breachCase) = await _workflow.OpenAsync(Incident());
        Assert.True(classification.IsPersonalDataBreach);
        Assert.NotNull(breachCase);
        Assert.Equal(Fixtures.Now.AddHours(72), breachCase.NotificationDeadline);
        Assert.Equal(["pseud-a", "pseud-b"], breachCase.AffectedSubjects);
        Assert.Equal(BreachNature.Confidentiality, breachCase.Nature);
        var draft = breachCase.DraftNotification;
        Assert.Contains("To: Datatilsynet", draft, StringComparison.Ordinal);
        Assert.Contains("(a) Nature of the breach", draft, StringComparison.Ordinal);
        Assert.Contains("Approximate number of data subjects concerned: 2", draft, StringComparison.Ordinal);
        Assert.Contains("(b) Contact point", draft, StringComparison.Ordinal);
        Assert.Contains("dpo@ncp.dk", draft, StringComparison.Ordinal);
        Assert.Contains("(c) Likely consequences", draft, StringComparison.Ordinal);
        Assert.Contains("(d) Measures taken or proposed", draft, StringComparison.Ordinal);
        Assert.Contains("due by 2026-11-26 12:00 UTC", draft, StringComparison.Ordinal);
        Assert.Single(_events.Events, e => e.Action == "breach-case-opened");

        var (_, again) = await _workflow.OpenAsync(Incident());
        Assert.Equal(breachCase.Id, again!.Id);
    }

    [Fact]
    public async Task Overdue_cases_are_detected_after_the_deadline_only()
    {
        var (_, breachCase) = await _workflow.OpenAsync(Incident());
        Assert.Empty(await _workflow.OverdueAsync(Fixtures.Now.AddHours(71)));
        Assert.Empty(await _workflow.OverdueAsync(Fixtures.Now.AddHours(72)));
        Assert.Equal(breachCase!.Id, Assert.Single(await _workflow.OverdueAsync(Fixtures.Now.AddHours(72).AddSeconds(1))).Id);
    }

    [Fact]
    public async Task Notification_closes_the_deadline_and_a_late_one_needs_reasons()
    {
        var (_, onTime) = await _workflow.OpenAsync(Incident("inc-1"));
        var (notified, failure) = await _workflow.MarkNotifiedAsync(onTime!.Id, Fixtures.Now.AddHours(40));
        Assert.Null(failure);
        Assert.Equal(BreachCaseStatus.Notified, notified!.Status);
        Assert.Empty(await _workflow.OverdueAsync(Fixtures.Now.AddDays(10)));

        var (_, late) = await _workflow.OpenAsync(Incident("inc-2"));
        var refused = await _workflow.MarkNotifiedAsync(late!.Id, Fixtures.Now.AddHours(80));
        Assert.Contains("reasons for the delay", refused.Failure, StringComparison.Ordinal);
        var accepted = await _workflow.MarkNotifiedAsync(late.Id, Fixtures.Now.AddHours(80), "forensics needed to identify affected patients");
        Assert.Equal("forensics needed to identify affected patients", accepted.Case!.DelayReasons);
        Assert.Equal(EventOutcome.Failure, _events.Events.Last(e => e.Action == "breach-notified").Outcome);
    }

    [Fact]
    public void Incidents_that_are_not_personal_data_breaches_are_classified_with_the_reason()
    {
        Assert.Contains("no classification rule", _workflow.Classify(Incident(rule: "konfido.puf.auth-failure-burst")).Reason, StringComparison.Ordinal);
        Assert.Contains("below", _workflow.Classify(Incident(severity: IncidentSeverity.Low)).Reason, StringComparison.Ordinal);
        Assert.Contains("no data subject", _workflow.Classify(new SiemIncident("i", "konfido.exfiltration.x", IncidentSeverity.High, Fixtures.Now, [], "d")).Reason, StringComparison.Ordinal);
        Assert.True(_workflow.Classify(new SiemIncident("i", "konfido.ledger.split-view", IncidentSeverity.Critical, Fixtures.Now, [], "d")).IsPersonalDataBreach);
    }

    [Fact]
    public async Task Cases_are_persisted()
    {
        var (_, breachCase) = await _workflow.OpenAsync(Incident());
        var reopened = new SqliteBreachCaseStore($"Data Source={_dir.File("breach.db")}");
        var stored = await reopened.GetAsync(breachCase!.Id);
        Assert.Equal(breachCase.NotificationDeadline, stored!.NotificationDeadline);
        Assert.Equal(breachCase.DraftNotification, stored.DraftNotification);
        Assert.Equal(breachCase.AffectedSubjects, stored.AffectedSubjects);
    }

    [Fact]
    public void Bad_configuration_is_rejected_with_reasons()
    {
        var (config, errors) = BreachConfiguration.FromJson("""{"controller":"","dataProtectionOfficer":{"name":"x","contact":"y"},"supervisoryAuthority":"a","rules":[{"id":"r","rulePattern":"a"},{"id":"r","rulePattern":"b"}]}""");
        Assert.Null(config);
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public async Task Affected_subjects_from_the_ledger_are_merged_into_the_case()
    {
        var (config, _) = BreachConfiguration.FromJson(Configuration);
        var workflow = new BreachWorkflow(config!, new SqliteBreachCaseStore($"Data Source={_dir.File("breach2.db")}"), _events, "DK", new LedgerSubjects());
        var (_, breachCase) = await workflow.OpenAsync(Incident());
        Assert.Equal(["pseud-a", "pseud-b", "pseud-c"], breachCase!.AffectedSubjects);
        Assert.Contains("data subjects concerned: 3", breachCase.DraftNotification, StringComparison.Ordinal);
    }

    private sealed class LedgerSubjects : IAffectedSubjectFinder
    {
        public Task<IReadOnlyList<string>> FindAsync(SiemIncident incident, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<string>>(["pseud-c", "pseud-a"]);
    }

    public void Dispose() => _dir.Dispose();
}
