namespace Konfido.Sdk.Examples;

/// <summary>What example 04 did.</summary>
/// <param name="GrantedId">The consent granted.</param>
/// <param name="ActivePermitsAfterGrant">Active permits after the grant.</param>
/// <param name="Withdrawn">The consents withdrawn.</param>
/// <param name="ActivePermitsAfterWithdrawal">Active permits after the withdrawal (a withdrawal records an active refusal instead).</param>
public sealed record ConsentResult(string GrantedId, int ActivePermitsAfterGrant, IReadOnlyList<string> Withdrawn, int ActivePermitsAfterWithdrawal);

/// <summary>
/// Example 04: the patient manages their consent to cross-border sharing: grants it for treatment in Spain
/// and Italy, lists it, and withdraws it (from then on the home country refuses professionals abroad,
/// except in an emergency under the country's break-the-glass rule).
/// </summary>
public static class ConsentExample
{
    /// <summary>Runs the example; with <paramref name="withdraw"/> false the consent stays granted.</summary>
    /// <param name="settings">Where the node is.</param>
    /// <param name="output">Where the narrative goes.</param>
    /// <param name="withdraw">Whether to withdraw at the end.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public static async Task<ConsentResult> RunAsync(ExampleSettings settings, TextWriter output, bool withdraw = true, CancellationToken cancellationToken = default)
    {
        using var client = settings.Connect();
        var patient = client.Patient(await client.LoginWithTestEidasAsync(settings.PatientPerson, cancellationToken: cancellationToken));
        var id = await patient.GrantConsentAsync(new ConsentRequest("permit", ["TREATMENT"], ["ES", "IT"]), cancellationToken);
        var active = (await patient.GetConsentsAsync(cancellationToken)).Count(c => c.Active && c.Effect == "permit");
        await output.WriteLineAsync($"consent {id} granted (TREATMENT, ES+IT); {active} active");
        IReadOnlyList<string> withdrawn = [];
        if (withdraw)
        {
            withdrawn = await patient.WithdrawConsentAsync(cancellationToken);
            await output.WriteLineAsync($"withdrawn: {string.Join(", ", withdrawn)}");
        }

        var after = (await patient.GetConsentsAsync(cancellationToken)).Count(c => c.Active && c.Effect == "permit");
        return new ConsentResult(id, active, withdrawn, after);
    }
}
