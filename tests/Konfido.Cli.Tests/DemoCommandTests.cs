using System.Text.Json.Nodes;

namespace Konfido.Cli.Tests;

public sealed class DemoCommandTests
{
    [Fact]
    public async Task The_demo_runs_the_cross_border_steps_in_contract_order_and_all_succeed()
    {
        var result = await CliRun.RunAsync("demo", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var document = JsonNode.Parse(result.Stdout)!; // exactly one JSON document on stdout
        Assert.True(document["ok"]!.GetValue<bool>());
        var steps = document["steps"]!.AsArray();
        var names = steps.Select(s => s!["name"]!.GetValue<string>()).ToArray();
        string[] contractOrder =
        [
            "eid-login", "patient-discovery", "consent-check", "ips-retrieve", "eprescription-dispense",
            "ledger-publish", "siem-alerts", "puf-device-auth", "he-analytics", "access-report",
        ];
        Assert.Equal(contractOrder.Where(names.Contains), names); // a subset, in the contract's order
        Assert.Equal("eid-login", names[0]); // the professional logs in before anything crosses a border
        Assert.Contains("patient-discovery", names);
        Assert.Contains("ips-retrieve", names);
        Assert.Contains("eprescription-dispense", names);
        Assert.All(steps, s => Assert.True(s!["ok"]!.GetValue<bool>(), s["detail"]!.GetValue<string>()));
        // Italy runs in OpenNCP mode: the Italian pharmacy's list and dispensation went over the IHE SOAP profiles.
        Assert.Contains("over IHE SOAP", steps.Single(s => s!["name"]!.GetValue<string>() == "eprescription-dispense")!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        // The summary crossed Spain's node sealed: opened and checked only in its custody boundary, re-sealed for the doctor's key.
        Assert.Contains("sealed end to end", steps.Single(s => s!["name"]!.GetValue<string>() == "ips-retrieve")!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("[1] eid-login", result.Stderr); // progress goes to stderr
    }

    [Fact]
    public async Task A_kept_data_folder_holds_the_federation_and_a_second_run_reuses_the_stores()
    {
        using var data = new Konfido.Testing.TemporaryDirectory("konfido-demo-data");

        var first = await CliRun.RunAsync("demo", "--json", "--data", data.Path);
        var second = await CliRun.RunAsync("demo", "--json", "--data", data.Path);

        Assert.Equal(0, first.ExitCode);
        Assert.True(File.Exists(Path.Combine(data.Path, "trustlist.json")));
        Assert.True(File.Exists(Path.Combine(data.Path, "dk", "records.db")));
        // The second run dispenses another of the patient's prescriptions: the first one stays dispensed.
        Assert.Equal(0, second.ExitCode);
        Assert.NotEqual(Dispensed(first.Stdout), Dispensed(second.Stdout));
    }

    [Fact]
    public async Task A_bad_port_base_is_a_usage_error()
    {
        var result = await CliRun.RunAsync("demo", "--port-base", "80");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--port-base", result.Stderr);
    }

    private static string Dispensed(string json)
    {
        var detail = JsonNode.Parse(json)!["steps"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "eprescription-dispense")!["detail"]!.GetValue<string>();
        return detail[detail.IndexOf("prescription ", StringComparison.Ordinal)..];
    }
}
