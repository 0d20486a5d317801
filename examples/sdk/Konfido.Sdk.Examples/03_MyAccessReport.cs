using Konfido.Sdk.Proofs;

namespace Konfido.Sdk.Examples;

/// <summary>What example 03 did.</summary>
/// <param name="Report">The report as received.</param>
/// <param name="Verification">The offline verification.</param>
public sealed record AccessReportResult(AccessReport Report, AccessReportVerification Verification);

/// <summary>
/// Example 03: who accessed my data? The patient logs in with eID at home and fetches the access report; the
/// app checks every entry's proof itself, offline, with the ledger keys of the signed federation trust list
/// (verified with the federation operator's key, which the app ships): the log's signature, the other
/// countries' witness cosignatures and the Merkle inclusion of the entry.
/// </summary>
public static class MyAccessReportExample
{
    /// <summary>Runs the example. Requires settings with the signed trust list and the operator key.</summary>
    /// <param name="settings">Where the node is.</param>
    /// <param name="output">Where the narrative goes.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public static async Task<AccessReportResult> RunAsync(ExampleSettings settings, TextWriter output, CancellationToken cancellationToken = default)
    {
        var trust = LedgerTrust.FromSignedTrustList(
            settings.SignedTrustList ?? throw new ArgumentException("example 03 needs the signed trust list", nameof(settings)),
            settings.OperatorPublicKeyPem ?? throw new ArgumentException("example 03 needs the operator's public key", nameof(settings)),
            DateTimeOffset.UtcNow);
        using var client = settings.Connect();
        var token = await client.LoginWithTestEidasAsync(settings.PatientPerson, cancellationToken: cancellationToken);
        var report = await client.Patient(token).GetAccessReportAsync(cancellationToken);
        var verification = AccessReportVerifier.Verify(report, trust);
        foreach (var entry in verification.Entries)
        {
            var a = entry.Access;
            await output.WriteLineAsync($"{a.When:u} {a.What} by {a.Who} ({a.Role}, {a.Organisation}, {a.Country}, {a.Purpose}): {a.Outcome} [{(entry.Result.IsValid ? "proof ok" : entry.Result.Failure + ": " + entry.Result.Reason)}]");
        }

        await output.WriteLineAsync($"{report.Accesses.Count} accesses from {report.Logs.Count} ledgers; every proof verified offline: {verification.AllValid}");
        return new AccessReportResult(report, verification);
    }
}
