using System.Text.Json;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Konfido.Fhir;
using Konfido.Testing;

namespace Konfido.Cli.Tests;

public sealed class FhirCommandTests : IDisposable
{
    private readonly TemporaryDirectory _dir = new("konfido-fhir-cli");

    public void Dispose() => _dir.Dispose();

    private static Bundle Ips() => PatientSummaryBuilder.Build(
        new PatientSummaryInput(
            new PatientRecord("120356-1237", "urn:oid:1.2.208.176.1.2", "Jensen", ["Lars"], new DateOnly(1956, 3, 12), "male", "DK"),
            [new ConditionRecord("Chronic obstructive pulmonary disease", "13645005", "J44.9")],
            [],
            [new MedicationRecord("R03AK06", "salmeterol and fluticasone", "1 inhalation twice daily")],
            new AuthorRecord("Sundhedsdatastyrelsen", "DK")),
        DateTimeOffset.UtcNow);

    private string Write(string name, string content)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, content);
        return path;
    }

    [Theory]
    [InlineData("json")]
    [InlineData("xml")]
    public async Task Valid_ips_exits_0_with_valid_true_and_no_issues(string format)
    {
        var path = Write("ips." + format, format == "json" ? Ips().ToJson() : Ips().ToXml());
        var result = await CliRun.RunAsync("fhir", "validate", path, "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.True(doc.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(0, doc.RootElement.GetProperty("issues").GetArrayLength());
        Assert.True(doc.RootElement.GetProperty("ips").GetBoolean());
    }

    [Fact]
    public async Task Invalid_ips_exits_1_with_each_issue_as_severity_code_location_message()
    {
        var bundle = Ips();
        bundle.Timestamp = null;
        ((Composition)bundle.Entry[0].Resource!).Section.RemoveAt(1);
        var result = await CliRun.RunAsync("fhir", "validate", Write("bad.json", bundle.ToJson()), "--json");
        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.False(doc.RootElement.GetProperty("valid").GetBoolean());
        var issues = doc.RootElement.GetProperty("issues").EnumerateArray().ToList();
        Assert.Contains(issues, i => i.GetProperty("code").GetString() == "required" && i.GetProperty("location").GetString() == "Bundle.timestamp"
            && i.GetProperty("severity").GetString() == "error" && i.GetProperty("message").GetString()!.Length > 0);
        Assert.Contains(issues, i => i.GetProperty("location").GetString() == "Bundle.entry[0].resource.section"
            && i.GetProperty("message").GetString()!.Contains(IpsCodes.AllergiesSection, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Human_output_goes_to_stderr_and_names_the_issues()
    {
        var bundle = Ips();
        bundle.Type = Bundle.BundleType.Collection;
        var result = await CliRun.RunAsync("fhir", "validate", Write("bad.xml", bundle.ToXml()));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Contains("INVALID", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Bundle.type", result.Stderr, StringComparison.Ordinal);

        var ok = await CliRun.RunAsync("fhir", "validate", Write("ok.json", Ips().ToJson()));
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("valid International Patient Summary", ok.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resource_that_breaks_fhir_r4_exits_1()
    {
        var result = await CliRun.RunAsync("fhir", "validate", Write("p.json", "{\"resourceType\":\"Patient\",\"gender\":\"robot\"}"), "--json");
        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Contains(doc.RootElement.GetProperty("issues").EnumerateArray(), i => i.GetProperty("location").GetString() == "Patient.gender");
    }

    [Fact]
    public async Task A_non_ips_resource_is_valid()
    {
        var result = await CliRun.RunAsync("fhir", "validate", Write("p.json", new Patient { Id = "p1" }.ToJson()), "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.False(doc.RootElement.GetProperty("ips").GetBoolean());
    }

    [Theory]
    [InlineData("plain text, not FHIR")]
    [InlineData("{\"resourceType\": ")]
    [InlineData("<Bundle xmlns=\"http://hl7.org/fhir\">")]
    [InlineData("{\"resourceType\":\"NotAThing\"}")]
    public async Task Content_that_is_not_a_fhir_resource_exits_2_with_one_stderr_line(string content)
    {
        var path = Write("junk.txt", content);
        var result = await CliRun.RunAsync("fhir", "validate", path, "--json");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Contains(path, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_file_exits_2()
    {
        var result = await CliRun.RunAsync("fhir", "validate", _dir.File("nope.json"), "--json");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Contains("nope.json", result.Stderr, StringComparison.Ordinal);
    }
}
