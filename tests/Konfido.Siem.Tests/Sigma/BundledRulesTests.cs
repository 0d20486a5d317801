using Konfido.Core;
using Konfido.Siem.Events;
using Konfido.Siem.Parsing;

namespace Konfido.Siem.Tests.Sigma;

/// <summary>Each bundled eHealth rule fires on its scenario (built from SecurityEvents) and stays quiet on normal traffic.</summary>
public sealed class BundledRulesTests
{
    private static readonly PatientPseudonymiser Pseudonymiser = new(new byte[32]);
    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 10, 0, 0, TimeSpan.Zero);

    private static SecurityEvent Ev(string category, string action, EventOutcome outcome = EventOutcome.Success, string? actor = "dr.a@es",
        int second = 0, string? reason = null, string? purpose = null, string? patient = null, string? ip = null,
        Dictionary<string, string>? labels = null, DateTimeOffset? at = null) => new()
        {
            Timestamp = (at ?? T0).AddSeconds(second),
            Node = "DK",
            Category = category,
            Action = action,
            Outcome = outcome,
            Actor = actor,
            Reason = reason,
            PurposeOfUse = purpose,
            PatientId = patient,
            SourceIp = ip,
            SourceCountry = "ES",
            Attributes = labels ?? [],
        };

    private static (List<string> Rules, List<string> Correlations) Run(params SecurityEvent[] events)
    {
        var engine = new DetectionEngine(BundledRules.Load());
        var rules = new List<string>();
        var correlations = new List<string>();
        foreach (var e in events)
        {
            var result = engine.Process(SecurityEventNormaliser.Normalise(e, Pseudonymiser));
            rules.AddRange(result.Matches.Select(m => m.Rule.Title));
            correlations.AddRange(result.Correlations.Select(c => c.Rule.Title));
        }

        correlations.AddRange(engine.Flush().Select(c => c.Rule.Title));
        return (rules, correlations);
    }

    [Fact]
    public void Every_bundled_rule_loads()
    {
        var set = BundledRules.Load();
        Assert.All(set.Report, r => Assert.True(r.Loaded, $"{r.File}: {r.Reason}"));
        Assert.True(set.Rules.Count >= 12);
        Assert.True(set.Correlations.Count >= 6);
        Assert.All(set.Rules, r => Assert.Equal("konfido", r.LogSource.Product));
    }

    [Fact]
    public void Node_faults_and_refused_sealed_payloads()
    {
        Assert.Contains("Audit ledger cannot record", Run(Ev("node", "ledger-write-failed", EventOutcome.Failure, actor: null, reason: "database or disk is full")).Rules);
        Assert.DoesNotContain("Audit ledger cannot record", Run(Ev("node", "ledger-write-resumed", actor: null)).Rules);
        Assert.Contains("Node restarted after an unclean stop", Run(Ev("node", "node-start", EventOutcome.Failure, actor: null)).Rules);
        Assert.DoesNotContain("Node restarted after an unclean stop", Run(Ev("node", "node-start", actor: null)).Rules);
        Assert.Contains("Sealed clinical payload refused", Run(Ev("exchange", "sealed-answer-refused", EventOutcome.Failure, actor: null)).Rules);
        Assert.Contains("Sealed clinical payload refused", Run(Ev("exchange", "sealed-request-refused", EventOutcome.Failure, actor: null)).Rules);
        Assert.DoesNotContain("Sealed clinical payload refused", Run(Ev("exchange", "ips-retrieve")).Rules);
    }

    [Fact]
    public void Brute_force_and_spraying()
    {
        var brute = Run(Enumerable.Range(0, 5).Select(i => Ev("identity", "eid-login", EventOutcome.Failure, "victim@dk", i * 30, ip: "203.0.113.1")).ToArray());
        Assert.Contains("Brute-force eID logins against one account", brute.Correlations);
        var slow = Run(Enumerable.Range(0, 5).Select(i => Ev("identity", "eid-login", EventOutcome.Failure, "victim@dk", i * 120, ip: "203.0.113.1")).ToArray());
        Assert.DoesNotContain("Brute-force eID logins against one account", slow.Correlations);
        var spray = Run(Enumerable.Range(0, 5).Select(i => Ev("identity", "eid-login", EventOutcome.Failure, $"user{i}@dk", i, ip: "203.0.113.2")).ToArray());
        Assert.Contains("Password spraying over eID from one address", spray.Correlations);
        Assert.Empty(Run(Ev("identity", "eid-login")).Correlations);
    }

    [Fact]
    public void Mass_patient_lookup()
    {
        var many = Run(Enumerable.Range(0, 20).Select(i => Ev("exchange", "patient-discovery", patient: $"P{i}", second: i)).ToArray());
        Assert.Contains("One professional querying many patients", many.Correlations);
        var same = Run(Enumerable.Range(0, 30).Select(i => Ev("exchange", "ips-retrieve", patient: "P1", second: i)).ToArray());
        Assert.DoesNotContain("One professional querying many patients", same.Correlations);
    }

    [Fact]
    public void After_hours_mass_retrieval()
    {
        var night = new DateTimeOffset(2026, 4, 1, 23, 0, 0, TimeSpan.Zero);
        var late = Run(Enumerable.Range(0, 10).Select(i => Ev("exchange", "ips-retrieve", patient: $"P{i % 3}", second: i * 60, at: night)).ToArray());
        Assert.Contains("After-hours mass retrieval of patient data", late.Correlations);
        var day = Run(Enumerable.Range(0, 10).Select(i => Ev("exchange", "ips-retrieve", patient: $"P{i % 3}", second: i * 60)).ToArray());
        Assert.DoesNotContain("After-hours mass retrieval of patient data", day.Correlations);
    }

    [Fact]
    public void Treatment_relationship_and_break_the_glass()
    {
        Assert.Contains("Access outside a treatment relationship",
            Run(Ev("policy", "access-decision", EventOutcome.Failure, reason: "no treatment relationship confirmation")).Rules);
        Assert.Contains("Access outside a treatment relationship",
            Run(Ev("exchange", "ips-retrieve", labels: new() { ["trc"] = "missing" })).Rules);
        Assert.DoesNotContain("Access outside a treatment relationship",
            Run(Ev("exchange", "ips-retrieve", labels: new() { ["trc"] = "valid" })).Rules);
        Assert.Contains("Break-the-glass emergency access", Run(Ev("exchange", "ips-retrieve", purpose: "EMERGENCY")).Rules);
        Assert.DoesNotContain("Break-the-glass emergency access", Run(Ev("exchange", "ips-retrieve", purpose: "TREATMENT")).Rules);
    }

    [Fact]
    public void Puf_failure_bursts_and_cloning()
    {
        var burst = Run(Enumerable.Range(0, 5).Select(i => Ev("device", "puf-authenticate", EventOutcome.Failure, "device-17", i * 10)).ToArray());
        Assert.Contains("Burst of PUF authentication failures", burst.Correlations);
        Assert.Contains("PUF response matches another device (cloning)",
            Run(Ev("device", "puf-authenticate", EventOutcome.Failure, "device-17", labels: new() { ["matched_device"] = "device-03" })).Rules);
        Assert.DoesNotContain("PUF response matches another device (cloning)",
            Run(Ev("device", "puf-authenticate", EventOutcome.Success, "device-17", labels: new() { ["matched_device"] = "device-17" })).Rules);
        var twoPlaces = Run(
            Ev("device", "puf-authenticate", actor: "device-17", ip: "10.0.0.1"),
            Ev("device", "puf-authenticate", actor: "device-17", ip: "10.9.9.9", second: 20));
        Assert.Contains("One PUF device authenticating from several addresses at once", twoPlaces.Correlations);
    }

    [Fact]
    public void He_decryption_principals_and_downgrades()
    {
        Assert.Contains("HE decryption requested by an unexpected principal", Run(Ev("he", "he-decrypt", actor: "analyst@es")).Rules);
        Assert.DoesNotContain("HE decryption requested by an unexpected principal", Run(Ev("he", "he-decrypt", actor: "he-key-holder")).Rules);
        Assert.Contains("HE parameter downgrade", Run(Ev("he", "he-parameters", labels: new() { ["security_bits"] = "80" })).Rules);
        Assert.DoesNotContain("HE parameter downgrade", Run(Ev("he", "he-parameters", labels: new() { ["security_bits"] = "128" })).Rules);
    }

    [Fact]
    public void Ledger_split_view_witness_refusal_and_trust_failures()
    {
        Assert.Contains("Audit ledger split view detected", Run(Ev("ledger", "split-view-detected", actor: "witness-it")).Rules);
        Assert.Contains("Audit ledger split view detected", Run(Ev("ledger", "consistency-check", EventOutcome.Failure)).Rules);
        Assert.Contains("Witness refused to cosign a checkpoint", Run(Ev("ledger", "witness-cosign", EventOutcome.Failure, "witness-es")).Rules);
        Assert.DoesNotContain("Witness refused to cosign a checkpoint", Run(Ev("ledger", "witness-cosign", EventOutcome.Success)).Rules);
        Assert.Contains("Trust-list or certificate failure", Run(Ev("exchange", "tls-handshake", EventOutcome.Failure, reason: "unknown issuer")).Rules);
        Assert.Contains("Trust-list or certificate failure", Run(Ev("exchange", "patient-discovery", EventOutcome.Failure, reason: "peer certificate not on the trust list")).Rules);
    }

    [Fact]
    public void Normal_traffic_raises_nothing_above_informational()
    {
        var events = new List<SecurityEvent>();
        for (var i = 0; i < 50; i++)
        {
            events.Add(Ev("identity", "eid-login", actor: $"dr{i % 7}@es", second: i * 30));
            events.Add(Ev("exchange", "ips-retrieve", actor: $"dr{i % 7}@es", patient: $"P{i % 5}", second: i * 30 + 1, purpose: "TREATMENT"));
        }

        var (rules, correlations) = Run([.. events]);
        Assert.Empty(correlations);
        Assert.Empty(rules);
    }
}
