using Hl7.Fhir.Model;
using Konfido.Exchange;

namespace Konfido.Node.Tests;

/// <summary>Reads a node's error answers (signed FHIR OperationOutcomes).</summary>
internal static class Outcomes
{
    /// <summary>The first issue's diagnostics of <paramref name="response"/>'s OperationOutcome.</summary>
    public static async Task<string> DiagnosticsAsync(HttpResponseMessage response) =>
        FhirJson.Parse<OperationOutcome>(await response.Content.ReadAsByteArrayAsync()).Issue[0].Diagnostics ?? string.Empty;
}
