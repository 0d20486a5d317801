using Konfido.Cli.Demo;
using Konfido.Fhir;
using Konfido.Node;
using Konfido.Records;

namespace Konfido.Cli;

/// <summary>How the CLI opens national back ends, and who the demo is about.</summary>
internal static class NodeBackends
{
    /// <summary>The reference story's patient: a Danish patient with COPD, treated in Spain.</summary>
    public static DemoPatient DemoPatient { get; } = new("DK", DanishCpr.System, SyntheticPatients.DemoDanishCopdPatient, "Danish COPD patient");

    /// <summary>Opens (creating and seeding with synthetic patients if empty) the back end a node is configured with.</summary>
    public static INationalBackend Open(StorageSettings storage, string country)
    {
        try
        {
            return NationalBackendFactory.OpenAsync(storage.Provider, storage.ConnectionString, country).GetAwaiter().GetResult();
        }
        catch (ArgumentException ex)
        {
            throw new NodeConfigurationException($"storage for {country}: {ex.Message}", ex);
        }
    }
}

/// <summary>IPS checks for the demo.</summary>
internal static class DemoIps
{
    /// <summary>Validates a Patient Summary body with the contract's IPS rules.</summary>
    public static (bool Valid, string? FirstProblem) Validate(byte[] body)
    {
        var result = IpsValidator.Validate(System.Text.Encoding.UTF8.GetString(body));
        var problem = result.Issues.FirstOrDefault(i => i.IsError);
        return (result.IsValid && result.IsPatientSummary, problem is null ? (result.IsPatientSummary ? null : "not an IPS") : $"{problem.Location}: {problem.Message}");
    }
}
