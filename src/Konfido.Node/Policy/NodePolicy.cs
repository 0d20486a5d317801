using Konfido.Core;
using Konfido.Policy.Consent;
using Konfido.Policy.Decisions;
using Konfido.Policy.Gdpr;
using Konfido.Policy.Rules;

namespace Konfido.Node;

/// <summary>
/// Country A's consent registry, access policy and break-the-glass review queue, as the node hosts
/// them: the policy file loaded at start (a bad file stops the start with its line numbers), consents
/// and reviews in SQLite under the node's data folder.
/// </summary>
public sealed class NodePolicy
{
    private NodePolicy(PolicyRepository policies, ConsentRegistry consents, BreakTheGlassReviewQueue reviews, PolicyDecisionPoint pdp, string policyFile, BreachWorkflow? breaches)
    {
        Breaches = breaches;
        Policies = policies;
        Consents = consents;
        Reviews = reviews;
        DecisionPoint = pdp;
        PolicyFile = policyFile;
    }

    /// <summary>The loaded country policies.</summary>
    public PolicyRepository Policies { get; }

    /// <summary>The patients' consents.</summary>
    public ConsentRegistry Consents { get; }

    /// <summary>Emergency accesses waiting for review.</summary>
    public BreakTheGlassReviewQueue Reviews { get; }

    /// <summary>Decides every cross-border transaction.</summary>
    public PolicyDecisionPoint DecisionPoint { get; }

    /// <summary>The Art. 33 breach workflow (cases opened from SIEM alerts), or null without a breach configuration.</summary>
    public BreachWorkflow? Breaches { get; }

    /// <summary>The policy file in force (reload it with <see cref="ReloadAsync"/>).</summary>
    public string PolicyFile { get; }

    /// <summary>Opens the policy of <paramref name="country"/>: loads <paramref name="policyFile"/>, opens the stores under <paramref name="dataDirectory"/>.</summary>
    /// <exception cref="NodeConfigurationException">The policy file does not load (every error with its line and column).</exception>
    public static NodePolicy Open(string country, string policyFile, string dataDirectory, ISecurityEventSink events, string? breachFile = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        var cc = CountryCode.Parse(country);
        var policies = new PolicyRepository(events, cc.Value);
        var loaded = policies.LoadFileAsync(policyFile).GetAwaiter().GetResult();
        if (!loaded.Succeeded)
        {
            throw new NodeConfigurationException($"policy.file {policyFile}: " + string.Join("; ", loaded.Errors.Select(e => e.ToString())));
        }

        if (loaded.Policy!.Country != cc)
        {
            throw new NodeConfigurationException($"policy.file {policyFile}: the policy is for {loaded.Policy.Country}, this node is {cc}");
        }

        var consents = new ConsentRegistry(new SqliteConsentStore($"Data Source={Path.Combine(dataDirectory, "consent.db")}"), events, cc);
        var reviews = new BreakTheGlassReviewQueue($"Data Source={Path.Combine(dataDirectory, "policy-reviews.db")}", events);
        BreachWorkflow? breaches = null;
        if (breachFile is not null)
        {
            string json;
            try
            {
                json = File.ReadAllText(breachFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new NodeConfigurationException($"policy.breach {breachFile}: {ex.Message}", ex);
            }

            var (configuration, errors) = BreachConfiguration.FromJson(json);
            breaches = configuration is null
                ? throw new NodeConfigurationException($"policy.breach {breachFile}: " + string.Join("; ", errors))
                : new BreachWorkflow(configuration, new SqliteBreachCaseStore($"Data Source={Path.Combine(dataDirectory, "breach-cases.db")}"), events, cc.Value);
        }

        return new NodePolicy(policies, consents, reviews, new PolicyDecisionPoint(policies, consents, reviews, events, cc)
        {
            // In the node a permit is recorded once, in the transaction's own audit entry (policy.rule, policy.effect).
            PublishPermits = false,
        }, policyFile, breaches);
    }

    /// <summary>Reloads the policy file; on errors the last good policy stays in force and the errors are returned.</summary>
    public async Task<IReadOnlyList<string>> ReloadAsync(CancellationToken cancellationToken = default)
    {
        var result = await Policies.LoadFileAsync(PolicyFile, cancellationToken).ConfigureAwait(false);
        return [.. result.Errors.Select(e => e.ToString())];
    }

}
