using System.Globalization;
using Konfido.Core;
using Konfido.Policy.Consent;
using Konfido.Policy.Rules;

namespace Konfido.Policy.Decisions;

/// <summary>
/// Country A's policy decision point: the one call the exchange node makes before it answers a
/// cross-border transaction. It validates the request attributes, reads the patient's consents,
/// evaluates the home country's policy, emits a <c>policy-decision</c> event for every decision
/// (and a <c>break-the-glass</c> event for emergency overrides), and queues break-the-glass
/// accesses for review.
/// </summary>
public sealed class PolicyDecisionPoint
{
    private readonly PolicyRepository _policies;
    private readonly ConsentRegistry _consents;
    private readonly BreakTheGlassReviewQueue _reviews;
    private readonly ISecurityEventSink _events;
    private readonly CountryCode _node;

    /// <summary>
    /// Whether a permit is published as its own <c>policy-decision</c> event (default). A host that records
    /// the decision in the transaction's own audit entry turns it off; refusals and break-the-glass are always published.
    /// </summary>
    public bool PublishPermits { get; init; } = true;

    /// <summary>Creates the decision point. Requires all arguments.</summary>
    /// <param name="policies">The policies in force.</param>
    /// <param name="consents">The consent register of this country.</param>
    /// <param name="reviews">The break-the-glass review queue.</param>
    /// <param name="events">Receives decision events (the audit ledger and the SIEM).</param>
    /// <param name="node">This node's country (country A).</param>
    public PolicyDecisionPoint(PolicyRepository policies, ConsentRegistry consents, BreakTheGlassReviewQueue reviews, ISecurityEventSink events, CountryCode node)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(consents);
        ArgumentNullException.ThrowIfNull(reviews);
        ArgumentNullException.ThrowIfNull(events);
        _policies = policies;
        _consents = consents;
        _reviews = reviews;
        _events = events;
        _node = node;
    }

    /// <summary>
    /// Decides a request given as raw assertion attributes; invalid attributes (unknown role,
    /// purpose, LoA, transaction, country) are denied under <see cref="BuiltInRules.InvalidRequest"/>.
    /// </summary>
    /// <param name="attributes">The request attributes.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<AccessDecision> DecideAsync(AccessRequestAttributes attributes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var validation = AccessRequest.Create(attributes);
        if (validation.Request is { } request)
        {
            return await DecideAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var decision = new AccessDecision(DecisionEffect.Deny, BuiltInRules.InvalidRequest, validation.Errors, string.Empty, ConsentResolution.Empty);
        await _events.PublishAsync(new SecurityEvent
        {
            Timestamp = attributes.Time,
            Node = _node.Value,
            Category = EventCategories.Policy,
            Action = "policy-decision",
            Outcome = EventOutcome.Failure,
            Actor = attributes.SubjectId,
            ActorRole = attributes.Role,
            Organisation = attributes.Organisation,
            PurposeOfUse = attributes.PurposeOfUse,
            PatientId = string.IsNullOrEmpty(attributes.PatientId) ? null : attributes.PatientId,
            SourceCountry = attributes.RequestingCountry,
            TargetCountry = attributes.HomeCountry,
            Reason = string.Join("; ", decision.Reasons),
            Attributes = new Dictionary<string, string>
            {
                ["decision.effect"] = "deny",
                ["rule.id"] = decision.RuleId,
                ["transaction"] = attributes.Transaction,
            },
        }, cancellationToken).ConfigureAwait(false);
        return decision;
    }

    /// <summary>Decides a validated request (see the class summary for the side effects).</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<AccessDecision> DecideAsync(AccessRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        AccessDecision decision;
        var policy = _policies.Get(request.HomeCountry);
        if (policy is null)
        {
            decision = new AccessDecision(DecisionEffect.Deny, BuiltInRules.NoPolicy, [$"no policy is in force for {request.HomeCountry}"], string.Empty, ConsentResolution.Empty);
        }
        else
        {
            var consent = request.PatientId.Length == 0
                ? ConsentResolution.Empty
                : await _consents.ResolveAsync(request.PatientId, request.Purpose, request.RequestingCountry, request.Time, cancellationToken).ConfigureAwait(false);
            decision = AccessPolicyEngine.Evaluate(policy, request, consent);
        }

        string? reviewId = null;
        if (decision.IsBreakTheGlass)
        {
            reviewId = (await _reviews.EnqueueAsync(request, decision, cancellationToken).ConfigureAwait(false)).Id;
        }

        if (PublishPermits || !decision.IsPermitted)
        {
            await _events.PublishAsync(DecisionEvent(request, decision, "policy-decision", reviewId), cancellationToken).ConfigureAwait(false);
        }

        if (decision.IsBreakTheGlass)
        {
            await _events.PublishAsync(DecisionEvent(request, decision, "break-the-glass", reviewId), cancellationToken).ConfigureAwait(false);
        }

        return decision;
    }

    /// <summary>The security event describing <paramref name="decision"/> (patient id in clear: the ledger pseudonymises).</summary>
    /// <param name="request">The request.</param>
    /// <param name="decision">The decision.</param>
    /// <param name="action"><c>policy-decision</c> or <c>break-the-glass</c>.</param>
    /// <param name="reviewId">The review queue id of a break-the-glass access.</param>
    public SecurityEvent DecisionEvent(AccessRequest request, AccessDecision decision, string action, string? reviewId)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decision);
        var attributes = new Dictionary<string, string>
        {
            ["decision.effect"] = decision.Effect switch
            {
                DecisionEffect.Permit => "permit",
                DecisionEffect.PermitWithBreakTheGlass => "permit-break-the-glass",
                _ => "deny",
            },
            ["rule.id"] = decision.RuleId,
            ["policy.version"] = decision.PolicyVersion,
            ["transaction"] = PolicyVocabulary.Format(request.Transaction),
            ["loa"] = PolicyVocabulary.Format(request.Loa),
            ["break_the_glass"] = decision.IsBreakTheGlass ? "true" : "false",
            ["consent.state"] = decision.Consent.State.ToString().ToLowerInvariant(),
            ["consent.conflicts"] = decision.Consent.Conflicts.Count.ToString(CultureInfo.InvariantCulture),
        };
        if (decision.Consent.ApplicableIds.Count > 0)
        {
            attributes["consent.ids"] = string.Join(",", decision.Consent.ApplicableIds);
        }

        if (reviewId is not null)
        {
            attributes["review.id"] = reviewId;
        }

        return new SecurityEvent
        {
            Timestamp = request.Time,
            Node = _node.Value,
            Category = EventCategories.Policy,
            Action = action,
            Outcome = decision.IsPermitted ? EventOutcome.Success : EventOutcome.Failure,
            Actor = request.SubjectId,
            ActorRole = PolicyVocabulary.IscoCode(request.Role),
            Organisation = request.Organisation,
            PurposeOfUse = PolicyVocabulary.Format(request.Purpose),
            PatientId = request.PatientId.Length == 0 ? null : request.PatientId,
            SourceCountry = request.RequestingCountry.Value,
            TargetCountry = request.HomeCountry.Value,
            Reason = string.Join("; ", decision.Reasons),
            Attributes = attributes,
        };
    }
}
