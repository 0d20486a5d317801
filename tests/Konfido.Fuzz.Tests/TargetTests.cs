using System.Text;
using Konfido.Fuzzing;
using Xunit.Abstractions;

namespace Konfido.Fuzz.Tests;

/// <summary>Every registered parser, fuzzed for a bounded number of inputs with a fixed seed: no crash.</summary>
public sealed class TargetTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names => [.. FuzzTargets.CreateAll().Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Target_survives_bounded_fuzzing_without_a_crash(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var report = new FuzzEngine(new FuzzOptions { Seed = 1, MaxInputs = 2_000, Duration = TimeSpan.FromSeconds(2) }).Run(target);

        output.WriteLine($"{name}: {report.InputsTried} inputs ({report.InputsPerSecond:0}/s), {report.Accepted} accepted, {report.Rejected} rejected, {report.Crashes} crashes, corpus {report.CorpusSize}");
        Assert.True(report.InputsTried >= 50, $"{name}: only {report.InputsTried} inputs");
        Assert.Equal(report.InputsTried, report.Accepted + report.Rejected + report.Crashes);
        Assert.True(report.Crashes == 0, $"{name}: {report.Crashes} crashes:\n" + string.Join("\n", report.UniqueCrashes.Select(c =>
            $"{c.Signature} x{c.Count}: {c.Message}\n  minimised ({c.Minimised.Length} bytes): {Printable(c.Minimised)}\n{c.StackTrace}")));
        Assert.True(report.Rejected > 0, $"{name}: no mutated input was ever rejected: the target does not see its inputs");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Target_accepts_its_own_seeds(string name)
    {
        var target = FuzzTargets.Find(name)!;
        Assert.NotEmpty(target.Seeds);
        var accepted = target.Seeds.Count(s => target.Run(s).Outcome == FuzzOutcome.Accepted);
        Assert.True(accepted > 0, $"{name}: none of its {target.Seeds.Count} seeds is accepted");
    }

    [Fact]
    public void The_registry_covers_every_parser_once()
    {
        var names = FuzzTargets.CreateAll().Select(t => t.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        string[] required = ["fhir-ips", "fhir-medication", "saml-response", "siem-syslog", "siem-atna", "siem-cef", "sigma-rules", "signed-note", "checkpoint", "note-keys", "he-objects", "he-bundle", "he-program", "puf-helper-data", "policy-yaml", "trust-list"];
        Assert.All(required, r => Assert.Contains(r, names));
        Assert.All(FuzzTargets.CreateAll(), t => Assert.False(string.IsNullOrWhiteSpace(t.Description)));
        Assert.Null(FuzzTargets.Find("no-such-target"));
    }

    private static string Printable(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes.Length > 600 ? bytes[..600] : bytes);
        return text.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
    }
}
