using Konfido.Siem.Events;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Tests.Sigma;

/// <summary>Small helpers: compile one rule from YAML and evaluate it on JSON events.</summary>
internal static class SigmaTestKit
{
    public static SigmaRuleSet Load(string yaml, SigmaConfiguration? configuration = null) =>
        SigmaRuleSet.FromTexts([new KeyValuePair<string, string>("test.yml", yaml)], configuration);

    public static SigmaRule Rule(string yaml, SigmaConfiguration? configuration = null)
    {
        var set = Load(yaml, configuration);
        var failure = set.Report.FirstOrDefault(r => !r.Loaded);
        Assert.True(failure is null, failure?.Reason);
        return Assert.Single(set.Rules);
    }

    /// <summary>A rule with the given detection body (indented by four spaces) and condition.</summary>
    public static SigmaRule Detection(string body, string condition = "selection", SigmaConfiguration? configuration = null) =>
        Rule($"""
              title: test
              id: 00000000-0000-0000-0000-000000000001
              logsource:
                product: test
              detection:
              {Indent(body)}
                condition: {condition}
              """, configuration);

    public static string LoadFailure(string yaml)
    {
        var set = Load(yaml);
        var failure = set.Report.FirstOrDefault(r => !r.Loaded);
        Assert.NotNull(failure);
        return failure.Reason!;
    }

    public static bool Matches(this SigmaRule rule, string json) => rule.Matches(EventObject.ParseJson(json));

    private static string Indent(string body) =>
        string.Join('\n', body.Split('\n').Select(l => "  " + l));
}
