using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Konfido.Core;
using Konfido.Eid;
using Konfido.Eid.Saml;
using Konfido.Testing;

namespace Konfido.Cli.Tests;

public sealed class SamlCommandFiles : IDisposable
{
    public const string Audience = "https://dk.konfido.test/saml/metadata";
    public const string Password = "p12-secret";

    public SamlCommandFiles()
    {
        Idp = TestEidasIdentityProvider.CreateEphemeral(CountryCode.Parse("ES"));
        var sp = DemoCertificates.CreateRsa("SP encryption");
        System.IO.File.WriteAllText(Dir.File("trust.pem"), Idp.SigningCertificate.ExportCertificatePem());
        System.IO.File.WriteAllText(Dir.File("other.pem"), DemoCertificates.CreateEcdsaP256("other").ExportCertificatePem());
        System.IO.File.WriteAllBytes(Dir.File("sp.p12"), sp.Export(X509ContentType.Pkcs12, Password));
        var options = new TestResponseOptions(Person, Audience, "https://dk.konfido.test/saml/acs") { IssueInstant = Issued };
        System.IO.File.WriteAllText(Dir.File("plain.xml"), Idp.IssueResponse(options));
        System.IO.File.WriteAllText(Dir.File("encrypted.b64"), TestEidasIdentityProvider.ToBase64(Idp.IssueResponse(options with { EncryptTo = sp, SignResponse = true })));
        System.IO.File.WriteAllText(Dir.File("garbage.txt"), "%%% not saml %%%");
    }

    public static EidasPerson Person { get; } = new("ES/DK/12345678Z", "García", "Lucía", new DateOnly(1971, 3, 14));

    public static DateTimeOffset Issued { get; } = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public static string At => "2026-11-23T12:01:00Z";

    public TemporaryDirectory Dir { get; } = new("konfido-saml");

    public TestEidasIdentityProvider Idp { get; }

    public string File(string name) => Dir.File(name);

    public void Dispose() => Dir.Dispose();
}

public sealed class SamlCommandTests(SamlCommandFiles files) : IClassFixture<SamlCommandFiles>
{
    [Fact]
    public async Task Valid_plain_response_prints_the_contract_json()
    {
        var result = await CliRun.RunAsync("saml", "verify", "--response", files.File("plain.xml"), "--trust", files.File("trust.pem"),
            "--now", SamlCommandFiles.At, "--audience", SamlCommandFiles.Audience, "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("valid").GetBoolean());
        Assert.Equal(0, root.GetProperty("reasons").GetArrayLength());
        Assert.Equal(files.Idp.EntityId, root.GetProperty("issuer").GetString());
        Assert.Equal("http://eidas.europa.eu/LoA/substantial", root.GetProperty("loa").GetString());
        var attributes = root.GetProperty("attributes");
        Assert.Equal("ES/DK/12345678Z", attributes.GetProperty("PersonIdentifier").GetString());
        Assert.Equal("García", attributes.GetProperty("CurrentFamilyName").GetString());
        Assert.Equal("Lucía", attributes.GetProperty("CurrentGivenName").GetString());
        Assert.Equal("1971-03-14", attributes.GetProperty("DateOfBirth").GetString());
    }

    [Fact]
    public async Task Encrypted_base64_response_is_decrypted_with_the_p12()
    {
        var result = await CliRun.RunAsync("saml", "verify", "--response", files.File("encrypted.b64"), "--trust", files.File("trust.pem"),
            "--decrypt-key", files.File("sp.p12"), "--password", SamlCommandFiles.Password, "--now", SamlCommandFiles.At, "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("ES/DK/12345678Z", json.RootElement.GetProperty("attributes").GetProperty("PersonIdentifier").GetString());
    }

    [Fact]
    public async Task Encrypted_response_without_key_is_invalid_with_a_reason()
    {
        var result = await CliRun.RunAsync("saml", "verify", "--response", files.File("encrypted.b64"), "--trust", files.File("trust.pem"),
            "--now", SamlCommandFiles.At, "--json");

        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Contains("no decryption key", json.RootElement.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("other.pem", SamlCommandFiles.Audience, "2026-11-23T12:01:00Z", "not trusted")]
    [InlineData("trust.pem", "https://evil.test/sp", "2026-11-23T12:01:00Z", "wrong audience")]
    [InlineData("trust.pem", SamlCommandFiles.Audience, "2026-11-23T13:00:00Z", "expired")]
    public async Task Invalid_response_exits_1_with_the_reason(string trust, string audience, string now, string reason)
    {
        var result = await CliRun.RunAsync("saml", "verify", "--response", files.File("plain.xml"), "--trust", files.File(trust),
            "--now", now, "--audience", audience, "--json");

        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Contains(json.RootElement.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrong_recipient_is_invalid()
    {
        var result = await CliRun.RunAsync("saml", "verify", "--response", files.File("plain.xml"), "--trust", files.File("trust.pem"),
            "--now", SamlCommandFiles.At, "--recipient", "https://evil.test/acs", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("wrong recipient", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Human_output_names_the_verdict()
    {
        var result = await CliRun.RunAsync("saml", "verify", "--response", files.File("plain.xml"), "--trust", files.File("trust.pem"), "--now", SamlCommandFiles.At);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("valid", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage.txt", "trust.pem", null)]
    [InlineData("missing.xml", "trust.pem", null)]
    [InlineData("plain.xml", "garbage.txt", null)]
    [InlineData("plain.xml", "trust.pem", "wrong-password")]
    public async Task Unreadable_input_exits_2_with_one_line(string response, string trust, string? password)
    {
        var args = new List<string> { "saml", "verify", "--response", files.File(response), "--trust", files.File(trust), "--json" };
        if (password is not null)
        {
            args.AddRange(["--decrypt-key", files.File("sp.p12"), "--password", password]);
        }

        var result = await CliRun.RunAsync([.. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
    }
}
