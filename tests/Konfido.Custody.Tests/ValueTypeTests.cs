using Konfido.Custody.Attestation;
using Konfido.Custody.Tpm;

namespace Konfido.Custody.Tests;

public sealed class ValueTypeTests
{
    [Theory]
    [InlineData("ledger/checkpoint")]
    [InlineData("patient:7f3a_01.x-y")]
    public void Valid_key_ids_parse(string text) => Assert.Equal(text, CustodyKeyId.Parse(text).Value);

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a b", "' '")]
    [InlineData("é", "'é'")]
    public void Invalid_key_ids_are_refused_with_a_reason(string text, string reasonPart)
    {
        Assert.False(CustodyKeyId.TryParse(text, out _, out var reason));
        Assert.Contains(reasonPart, reason, StringComparison.Ordinal);
        Assert.False(CustodyKeyId.TryParse(new string('a', 129), out _, out _));
    }

    [Theory]
    [InlineData("127.0.0.1:2321", "127.0.0.1", 2321, null)]
    [InlineData("[::1]:2321", "::1", 2321, null)]
    [InlineData("/dev/tpmrm0", null, 0, "/dev/tpmrm0")]
    public void Tpm_endpoints_parse(string text, string? host, int port, string? device)
    {
        var endpoint = TpmEndpoint.Parse(text);
        Assert.Equal((host, port, device), (endpoint.Host, endpoint.Port, endpoint.DevicePath));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("host:0")]
    [InlineData("host:99999")]
    [InlineData(":2321")]
    public void Bad_tpm_endpoints_are_refused(string text) => Assert.False(TpmEndpoint.TryParse(text, out _, out _));

    [Fact]
    public void Measurements_depend_on_every_component_and_the_configuration_but_not_on_order()
    {
        var a = NodeMeasurement.FromComponents([new("A.dll", [1]), new("B.dll", [2])], "x"u8);
        var reordered = NodeMeasurement.FromComponents([new("B.dll", [2]), new("A.dll", [1])], "x"u8);
        var otherBuild = NodeMeasurement.FromComponents([new("A.dll", [1]), new("B.dll", [3])], "x"u8);
        var otherConfig = NodeMeasurement.FromComponents([new("A.dll", [1]), new("B.dll", [2])], "y"u8);
        Assert.Equal(a, reordered);
        Assert.NotEqual(a, otherBuild);
        Assert.NotEqual(a, otherConfig);
        Assert.Equal(32, a.Digest.Length);
    }

    [Fact]
    public void Directory_measurement_covers_the_matching_files_only()
    {
        using var directory = new Konfido.Testing.TemporaryDirectory();
        File.WriteAllBytes(directory.File("Konfido.A.dll"), [1]);
        File.WriteAllBytes(directory.File("Konfido.B.dll"), [2]);
        File.WriteAllBytes(directory.File("Other.dll"), [3]);
        var measured = NodeMeasurement.FromDirectory(directory.Path, "Konfido*.dll", "c"u8);
        Assert.Equal(NodeMeasurement.FromComponents([new("Konfido.A.dll", [1]), new("Konfido.B.dll", [2])], "c"u8), measured);
        File.WriteAllBytes(directory.File("Konfido.B.dll"), [9]);
        Assert.NotEqual(measured, NodeMeasurement.FromDirectory(directory.Path, "Konfido*.dll", "c"u8));
    }

    [Fact]
    public void Assembly_measurement_hashes_the_loaded_files()
    {
        var assemblies = new[] { typeof(KeyCustody).Assembly, typeof(Core.SecurityEvent).Assembly };
        var fromAssemblies = NodeMeasurement.FromAssemblies(assemblies, "cfg"u8);
        var fromFiles = NodeMeasurement.FromComponents(
            assemblies.Select(a => new KeyValuePair<string, byte[]>(a.GetName().Name!, File.ReadAllBytes(a.Location))), "cfg"u8);
        Assert.Equal(fromFiles, fromAssemblies);
    }
}
