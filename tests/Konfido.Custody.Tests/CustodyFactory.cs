using Konfido.Custody.Attestation;
using Konfido.Custody.Tpm;
using Konfido.Testing;

namespace Konfido.Custody.Tests;

/// <summary>Opens custody backends for tests: software in a temp directory, TPM against KONFIDO_TEST_TPM.</summary>
public static class CustodyFactory
{
    public const string TpmVariable = "KONFIDO_TEST_TPM";

    public static NodeMeasurement Measurement { get; } =
        NodeMeasurement.FromComponents([new("Konfido.Node.dll", [1, 2, 3])], "country: DK"u8);

    public static NodeMeasurement OtherMeasurement { get; } =
        NodeMeasurement.FromComponents([new("Konfido.Node.dll", [1, 2, 3])], "country: DK\ndebug: true"u8);

    /// <summary>The software TPM the test command started. Fails (never skips) when it is not configured.</summary>
    public static TpmEndpoint TpmEndpoint
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(TpmVariable);
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new InvalidOperationException(
                    $"{TpmVariable} is not set: run the tests with ./test.sh (scripts/test-setup.d/20-swtpm.sh installs and starts swtpm), " +
                    $"or source that script, or point {TpmVariable} at a TPM 2.0 socket (host:port).");
            }

            return TpmEndpoint.Parse(value);
        }
    }

    public static KeyCustody Open(string backend, string directory, NodeMeasurement? measurement = null) => backend switch
    {
        "software" => KeyCustody.OpenSoftware(new SoftwareCustodyOptions { Directory = directory, Measurement = measurement ?? Measurement }),
        "tpm" => KeyCustody.OpenTpm(new TpmCustodyOptions { Directory = directory, Measurement = measurement ?? Measurement, Tpm = TpmEndpoint }),
        _ => throw new ArgumentOutOfRangeException(nameof(backend)),
    };

    public static TheoryData<string> Backends => new("software", "tpm");
}

/// <summary>A custody in a fresh temporary directory, disposed with it.</summary>
public sealed class CustodyScope : IDisposable
{
    private readonly TemporaryDirectory _directory = new("konfido-custody");

    public CustodyScope(string backend, NodeMeasurement? measurement = null)
    {
        BackendName = backend;
        Custody = CustodyFactory.Open(backend, _directory.Path, measurement);
    }

    public string BackendName { get; }

    public KeyCustody Custody { get; private set; }

    public string Directory => _directory.Path;

    public KeyCustody Reopen(NodeMeasurement? measurement = null)
    {
        Custody.Dispose();
        return Custody = CustodyFactory.Open(BackendName, _directory.Path, measurement);
    }

    public void Dispose()
    {
        Custody.Dispose();
        _directory.Dispose();
    }
}
