using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Konfido.Fhir;
using Konfido.Ihe;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;
using Konfido.Testing;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Cli.Tests;

public sealed class IheCommandTests : IDisposable
{
    private readonly TemporaryDirectory _dir = new("konfido-ihe-cli");

    public void Dispose() => _dir.Dispose();

    private static Bundle Ips() => PatientSummaryBuilder.Build(
        new PatientSummaryInput(
            new PatientRecord("120356-1237", "urn:oid:1.2.208.176.1.2", "Jensen", ["Lars"], new DateOnly(1956, 3, 12), "male", "DK"),
            [new ConditionRecord("Chronic obstructive pulmonary disease", "13645005", "J44.9")],
            [new AllergyRecord("Penicillin allergy", "91936005", "medication", "high")],
            [new MedicationRecord("R03AK06", "salmeterol and fluticasone", "1 inhalation twice daily")],
            new AuthorRecord("Sundhedsdatastyrelsen", "DK")),
        DateTimeOffset.UtcNow);

    private string Write(string name, string content)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task An_ips_goes_to_cda_and_back_with_complete_reports()
    {
        var toCda = await CliRun.RunAsync("ihe", "transform", Write("ips.json", Ips().ToJson()), "--to", "cda", "--json");
        Assert.Equal(0, toCda.ExitCode);
        using var cdaJson = JsonDocument.Parse(toCda.Stdout);
        Assert.Equal("PatientSummary", cdaJson.RootElement.GetProperty("documentClass").GetString());
        Assert.True(cdaJson.RootElement.GetProperty("report").GetProperty("complete").GetBoolean());
        var cda = cdaJson.RootElement.GetProperty("result").GetString()!;
        Assert.Contains("60591-5", cda, StringComparison.Ordinal);

        var toFhir = await CliRun.RunAsync("ihe", "transform", Write("ps.xml", cda), "--to", "fhir", "--json");
        Assert.Equal(0, toFhir.ExitCode);
        using var fhirJson = JsonDocument.Parse(toFhir.Stdout);
        Assert.Equal("Bundle", fhirJson.RootElement.GetProperty("result").GetProperty("resourceType").GetString());
        Assert.Equal(3, fhirJson.RootElement.GetProperty("report").GetProperty("mapped").GetInt32());
    }

    [Fact]
    public async Task Without_json_the_document_goes_to_stdout_and_the_report_to_stderr()
    {
        var result = await CliRun.RunAsync("ihe", "transform", Write("ips.json", Ips().ToJson()), "--to", "cda");
        Assert.Equal(0, result.ExitCode);
        Assert.NotNull(SafeXml.TryLoad(result.Stdout, out _));
        Assert.Contains("PatientSummary -> cda", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strict_fails_when_something_was_not_mapped()
    {
        var ips = Ips();
        var history = new FamilyMemberHistory { Id = Guid.NewGuid().ToString("D"), Status = FamilyMemberHistory.FamilyHistoryStatus.Completed };
        ips.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + history.Id, Resource = history });
        ips.Entry.Select(e => e.Resource).OfType<Composition>().Single().Section[0].Entry.Add(new ResourceReference("urn:uuid:" + history.Id));
        var path = Write("ips.json", ips.ToJson());
        Assert.Equal(0, (await CliRun.RunAsync("ihe", "transform", path, "--to", "cda")).ExitCode);
        var strict = await CliRun.RunAsync("ihe", "transform", path, "--to", "cda", "--strict", "--json");
        Assert.Equal(1, strict.ExitCode);
        using var json = JsonDocument.Parse(strict.Stdout);
        Assert.Contains(json.RootElement.GetProperty("report").GetProperty("issues").EnumerateArray(),
            i => i.GetProperty("kind").GetString() == "unmapped" && i.GetProperty("message").GetString()!.Contains("FamilyMemberHistory", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("not xml", "fhir")]
    [InlineData("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><code code=\"1-1\"/></ClinicalDocument>", "fhir")]
    [InlineData("{\"resourceType\":\"Patient\"}", "cda")]
    [InlineData("{}", "pdf")]
    public async Task Bad_input_exits_2_with_one_line(string content, string to)
    {
        var result = await CliRun.RunAsync("ihe", "transform", Write("bad.txt", content), "--to", to);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_prescription_needs_a_country()
    {
        var rx = new MedicationRequest
        {
            Id = "rx-1",
            Status = MedicationRequest.MedicationrequestStatus.Active,
            Intent = MedicationRequest.MedicationRequestIntent.Order,
            Medication = new CodeableConcept("http://www.whocc.no/atc", "R03AC12", "Salmeterol"),
            Subject = new ResourceReference { Identifier = new Identifier("urn:oid:1.2.208.176.1.2", "120356-1237") },
        };
        var path = Write("rx.json", rx.ToJson());
        Assert.Equal(2, (await CliRun.RunAsync("ihe", "transform", path, "--to", "cda")).ExitCode);
        var result = await CliRun.RunAsync("ihe", "transform", path, "--to", "cda", "--country", "DK", "--json");
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("EPrescription", json.RootElement.GetProperty("documentClass").GetString());
    }

    [Fact]
    public async Task Validate_checks_messages_against_the_schemas()
    {
        var valid = SoapEnvelope.Create(IheNames.XcaQueryAction, Xca.CreateQuery("120356-1237", "1.2.208.176.1.2", IheDocumentClass.PatientSummary));
        Assert.Equal(0, (await CliRun.RunAsync("ihe", "validate", Write("q.xml", valid.ToString()))).ExitCode);
        var broken = Xca.CreateRetrieve([new DocumentRequest(null, "1.2", "1.2.3")]);
        broken.Descendants(IheNames.Xdsb + "RepositoryUniqueId").Single().Remove();
        var result = await CliRun.RunAsync("ihe", "validate", Write("r.xml", broken.ToString()), "--json");
        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
    }
}
