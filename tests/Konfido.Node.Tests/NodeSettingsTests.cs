using Konfido.Testing;

namespace Konfido.Node.Tests;

public sealed class NodeSettingsTests
{
    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("{\"country\":\"DNK\"}", "'country'")]
    [InlineData("{\"country\":\"DK\",\"federationListen\":\"nowhere\"}", "'federationListen'")]
    [InlineData("{\"country\":\"DK\",\"federationListen\":\"127.0.0.1:1\",\"localListen\":\"127.0.0.1:2\",\"dataDirectory\":\"d\"}", "'tls.pfx'")]
    public void Bad_configuration_names_the_file_and_field(string json, string expected)
    {
        using var directory = new TemporaryDirectory();
        var path = directory.File("node.json");
        File.WriteAllText(path, json);

        var error = Assert.Throws<NodeConfigurationException>(() => NodeSettings.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_bootstrapped_configuration_loads_and_its_trust_list_verifies()
    {
        using var directory = new TemporaryDirectory();
        var ports = FederationBootstrap.FreeLoopbackPorts(2);
        var layout = FederationBootstrap.Create(directory.Path, [new NodePlan("DK", "Denmark", ports[0], ports[1])]);

        var settings = NodeSettings.Load(layout.ConfigFiles["DK"]);
        Assert.Equal("DK", settings.Country);
        Assert.Equal("DK", NodeLauncher.LoadTrustList(settings).Find("dk")!.Country);
    }

    [Theory]
    [InlineData("\"backend\": \"hsm\"", "'custody.backend' must be 'software' or 'tpm'")]
    [InlineData("\"backend\": \"tpm\", \"tpm\": \"127.0.0.1:1\"", "custody (tpm,")]
    [InlineData("\"backend\": \"tpm\", \"tpm\": \"nowhere\"", "'custody.tpm' nowhere")]
    public void A_custody_that_cannot_be_opened_stops_the_node_with_a_clear_error(string custody, string expected)
    {
        using var directory = new TemporaryDirectory();
        var ports = FederationBootstrap.FreeLoopbackPorts(2);
        var layout = FederationBootstrap.Create(directory.Path, [new NodePlan("DK", "Denmark", ports[0], ports[1])]);
        var config = layout.ConfigFiles["DK"];
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        json["custody"] = System.Text.Json.Nodes.JsonNode.Parse($"{{ \"directory\": \"dk/tpm-custody\", {custody} }}");
        File.WriteAllText(config, json.ToJsonString());

        var error = Assert.Throws<NodeConfigurationException>(() => NodeLauncher.Load(NodeSettings.Load(config), (_, c) => new ScriptedBackend(c), new Core.InMemorySecurityEventSink()));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tampered_trust_list_stops_the_node_from_loading()
    {
        using var directory = new TemporaryDirectory();
        var ports = FederationBootstrap.FreeLoopbackPorts(2);
        var layout = FederationBootstrap.Create(directory.Path, [new NodePlan("DK", "Denmark", ports[0], ports[1])]);
        var text = File.ReadAllText(layout.TrustListPath);
        File.WriteAllText(layout.TrustListPath, text.Replace("\"signature\": \"", "\"signature\": \"AA", StringComparison.Ordinal));

        var error = Assert.Throws<NodeConfigurationException>(() => NodeLauncher.LoadTrustList(NodeSettings.Load(layout.ConfigFiles["DK"])));
        Assert.Contains("signature", error.Message);
    }
}
