using Konfido.Policy.Gdpr;
using Konfido.Policy.Rules;

namespace Konfido.Policy.Tests;

public sealed class ProcessingRecordTests
{
    private const string Configuration = """
        {
          "controller": { "name": "Sundhedsdatastyrelsen (DK NCP)", "contact": "Ørestads Boulevard 5, Copenhagen" },
          "dataProtectionOfficer": { "name": "DPO DK NCP", "contact": "dpo@ncp.dk" },
          "activities": [
            {
              "name": "Cross-border exchange of patient summaries and ePrescriptions",
              "purposes": ["Treatment of patients abroad (GDPR Art. 9(2)(h))"],
              "legalBasis": "Art. 6(1)(c) and 9(2)(h) GDPR; Directive 2011/24/EU Art. 14",
              "dataSubjects": ["Patients insured in Denmark"],
              "personalData": ["Identification data", "Patient summary (health data)", "Prescriptions"],
              "recipients": [],
              "transfers": [],
              "retention": [],
              "securityMeasures": ["Mutual TLS between national contact points", "Audit ledger cosigned by the other countries"]
            }
          ]
        }
        """;

    [Fact]
    public void Record_is_generated_from_configuration_and_the_policy()
    {
        var (config, errors) = ProcessingRecordConfiguration.FromJson(Configuration);
        Assert.Empty(errors);
        var record = ProcessingRecord.Generate(config!, ExamplePolicies.Load(Fixtures.DK), Fixtures.Now);
        var activity = Assert.Single(record.Activities);
        Assert.Equal(2, activity.Recipients.Count);
        Assert.Contains(activity.Recipients, r => r.Contains("ES", StringComparison.Ordinal));
        Assert.Contains(activity.Recipients, r => r.Contains("IT", StringComparison.Ordinal));
        Assert.Contains(activity.Retention, r => r.StartsWith("prescriptions: 5 years", StringComparison.Ordinal));

        var json = record.ToJson();
        Assert.Contains("\"dataProtectionOfficer\"", json, StringComparison.Ordinal);
        Assert.Contains("\"policyVersion\": \"2026.1\"", json, StringComparison.Ordinal);

        var markdown = record.ToMarkdown();
        Assert.StartsWith("# Record of processing activities (GDPR Art. 30(1))", markdown, StringComparison.Ordinal);
        foreach (var heading in new[] { "### Purposes", "### Categories of data subjects", "### Categories of personal data", "### Recipients", "### Transfers to third countries", "### Retention", "### Technical and organisational security measures" })
        {
            Assert.Contains(heading, markdown, StringComparison.Ordinal);
        }

        Assert.Contains("- Mutual TLS between national contact points", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Incomplete_configuration_lists_every_problem()
    {
        var (config, errors) = ProcessingRecordConfiguration.FromJson("""{"controller":{"name":"","contact":"x"},"dataProtectionOfficer":{"name":"d","contact":""},"activities":[]}""");
        Assert.Null(config);
        Assert.Equal(3, errors.Count);
        Assert.Single(ProcessingRecordConfiguration.FromJson("[1,2").Errors);
    }
}
