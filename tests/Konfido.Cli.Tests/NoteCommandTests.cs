using System.Text.Json;
using Konfido.Testing;

namespace Konfido.Cli.Tests;

public sealed class NoteCommandTests
{
    // golang.org/x/mod/sumdb/note: the PeterNeumann example (note.go documentation, note_test.go).
    private const string VerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string SignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string Text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string Signed = Text + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    private const string OtherKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

    [Fact]
    public async Task Verify_accepts_the_published_note_and_rejects_tampering_and_other_keys()
    {
        using var dir = new TemporaryDirectory();
        await File.WriteAllTextAsync(dir.File("note.txt"), Signed);
        await File.WriteAllTextAsync(dir.File("tampered.txt"), Signed.Replace("problem,", "problem;", StringComparison.Ordinal));
        await File.WriteAllTextAsync(dir.File("malformed.txt"), Text);
        Assert.Equal(0, (await CliRun.RunAsync("note", "verify", "--key", VerifierKey, "--note", dir.File("note.txt"))).ExitCode);
        Assert.Equal(1, (await CliRun.RunAsync("note", "verify", "--key", VerifierKey, "--note", dir.File("tampered.txt"))).ExitCode);
        Assert.Equal(1, (await CliRun.RunAsync("note", "verify", "--key", OtherKey, "--note", dir.File("note.txt"))).ExitCode);
        var malformed = await CliRun.RunAsync("note", "verify", "--key", VerifierKey, "--note", dir.File("malformed.txt"));
        Assert.Equal(2, malformed.ExitCode);
        Assert.Single(malformed.Stderr.TrimEnd().Split('\n'));
        Assert.Equal(2, (await CliRun.RunAsync("note", "verify", "--key", "PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "--note", dir.File("note.txt"))).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync("note", "verify", "--key", VerifierKey, "--note", dir.File("absent.txt"))).ExitCode);
        var json = await CliRun.RunAsync("note", "verify", "--key", VerifierKey, "--note", dir.File("note.txt"), "--json");
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.True(doc.RootElement.GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task Sign_reproduces_the_published_note_and_adds_a_second_signature()
    {
        using var dir = new TemporaryDirectory();
        await File.WriteAllTextAsync(dir.File("text.txt"), Text);
        var signed = await CliRun.RunAsync("note", "sign", "--key", SignerKey, "--note", dir.File("text.txt"));
        Assert.Equal(0, signed.ExitCode);
        Assert.Equal(Signed, signed.Stdout);

        var keygen = await CliRun.RunAsync("note", "keygen", "--name", "ledger.dk.konfido.example", "--json");
        Assert.Equal(0, keygen.ExitCode);
        using var keys = JsonDocument.Parse(keygen.Stdout);
        var skey = keys.RootElement.GetProperty("signer_key").GetString()!;
        var vkey = keys.RootElement.GetProperty("verifier_key").GetString()!;
        await File.WriteAllTextAsync(dir.File("signed.txt"), Signed);
        var twice = await CliRun.RunAsync("note", "sign", "--key", skey, "--note", dir.File("signed.txt"));
        Assert.Equal(0, twice.ExitCode);
        await File.WriteAllTextAsync(dir.File("twice.txt"), twice.Stdout);
        Assert.Equal(0, (await CliRun.RunAsync("note", "verify", "--key", vkey, "--note", dir.File("twice.txt"))).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("note", "verify", "--key", VerifierKey, "--note", dir.File("twice.txt"))).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync("note", "sign", "--key", VerifierKey, "--note", dir.File("text.txt"))).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync("note", "keygen", "--name", "has space")).ExitCode);
    }
}
