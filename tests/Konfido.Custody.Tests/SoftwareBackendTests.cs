using System.Security.Cryptography;
using Konfido.Testing;

namespace Konfido.Custody.Tests;

/// <summary>What only the software backend does: the machine key file, and sealing it to a TPM.</summary>
public sealed class SoftwareBackendTests
{
    [Fact]
    public void A_blob_sealed_under_another_machine_key_is_refused()
    {
        using var a = new CustodyScope("software");
        using var b = new CustodyScope("software");
        var blob = a.Custody.Seal("x"u8);
        Assert.Equal(CustodyFailure.Tampered, b.Custody.Unseal(blob).Failure);
    }

    [Fact]
    public void A_machine_key_file_readable_by_others_is_refused()
    {
        Assert.False(OperatingSystem.IsWindows(), "POSIX file modes are checked on Linux and macOS only.");
        using var directory = new TemporaryDirectory();
        var path = directory.File("machine.key");
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(32));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var ex = Assert.Throws<InvalidOperationException>(() => KeyCustody.OpenSoftware(new SoftwareCustodyOptions
        {
            Directory = directory.Path,
            Measurement = CustodyFactory.Measurement,
            MachineKeyFile = path,
        }));
        Assert.Contains("0600", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_altered_key_record_does_not_authenticate()
    {
        using var scope = new CustodyScope("software");
        var id = CustodyKeyId.Parse("ledger");
        scope.Custody.CreateKey(id, CustodyKeyKind.Ed25519Signing);
        var file = Directory.GetFiles(Path.Combine(scope.Directory, "keys")).Single();
        // Relabel the record as another key: the material's associated data no longer matches.
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"ed25519\"", "\"hmac-sha256\"", StringComparison.Ordinal));
        Assert.Throws<CryptographicException>(() => scope.Custody.ComputeHmac(id, "x"u8));
    }

    [Fact]
    public void The_machine_key_can_be_sealed_by_the_tpm()
    {
        using var directory = new TemporaryDirectory();
        var options = new SoftwareCustodyOptions
        {
            Directory = directory.Path,
            Measurement = CustodyFactory.Measurement,
            SealMachineKeyTo = CustodyFactory.TpmEndpoint,
        };
        byte[] blob;
        using (var custody = KeyCustody.OpenSoftware(options))
        {
            Assert.Equal("software", custody.Backend);
            blob = custody.Seal("sealed under a TPM-held machine key"u8);
        }

        Assert.False(File.Exists(directory.File("machine.key")));
        var stored = File.ReadAllBytes(directory.File("machine.key.tpm"));
        Assert.True(stored.Length > 32); // a TPM object, not a bare key

        using var reopened = KeyCustody.OpenSoftware(options);
        Assert.Equal("sealed under a TPM-held machine key"u8.ToArray(), reopened.Unseal(blob).Value);
    }

    [Fact]
    public void Options_are_validated_with_a_reason()
    {
        var ex = Assert.Throws<ArgumentException>(() => KeyCustody.OpenSoftware(new SoftwareCustodyOptions { Directory = " ", Measurement = CustodyFactory.Measurement }));
        Assert.Contains("Directory", ex.Message, StringComparison.Ordinal);
        using var directory = new TemporaryDirectory();
        var pcr = Assert.Throws<ArgumentException>(() => KeyCustody.OpenTpm(new TpmCustodyOptions
        {
            Directory = directory.Path,
            Measurement = CustodyFactory.Measurement,
            Tpm = CustodyFactory.TpmEndpoint,
            MeasurementPcr = 7,
        }));
        Assert.Contains("16 or 23", pcr.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_tpm_is_reported_as_unavailable()
    {
        using var directory = new TemporaryDirectory();
        Assert.Throws<Tpm.TpmUnavailableException>(() => KeyCustody.OpenTpm(new TpmCustodyOptions
        {
            Directory = directory.Path,
            Measurement = CustodyFactory.Measurement,
            Tpm = Tpm.TpmEndpoint.Parse("127.0.0.1:1"),
        }));
    }
}
