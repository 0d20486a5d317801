using System.Globalization;
using Konfido.Core;

namespace Konfido.Policy.Consent;

/// <summary>What a patient's consents say about one request.</summary>
public enum ConsentState
{
    /// <summary>No applicable consent: the country's consent model decides (opt-in denies, opt-out permits).</summary>
    None,

    /// <summary>An applicable permit and no applicable deny.</summary>
    Permitted,

    /// <summary>An applicable deny (deny overrides any permit).</summary>
    Denied,
}

/// <summary>A consent that was not applied, and why.</summary>
/// <param name="ConsentId">The Consent id.</param>
/// <param name="Reason">Why it was ignored (expired, not yet valid, inactive, unreadable, ...).</param>
public sealed record IgnoredConsent(string ConsentId, string Reason);

/// <summary>A permit and a deny that both apply to the same purpose, country and instant.</summary>
/// <param name="PermitId">The permit's Consent id.</param>
/// <param name="DenyId">The deny's Consent id.</param>
/// <param name="Description">What overlaps; the deny wins.</param>
public sealed record ConsentConflict(string PermitId, string DenyId, string Description);

/// <summary>The outcome of <see cref="ConsentResolver.Resolve"/>.</summary>
/// <param name="State">Permitted, denied or none.</param>
/// <param name="ApplicableIds">The ids of the consents that decided the state (the denies when denied, the permits when permitted).</param>
/// <param name="Conflicts">Permit/deny pairs that overlap for this request (resolved deny-overrides).</param>
/// <param name="Ignored">Consents that were not applied, with the reason.</param>
public sealed record ConsentResolution(
    ConsentState State,
    IReadOnlyList<string> ApplicableIds,
    IReadOnlyList<ConsentConflict> Conflicts,
    IReadOnlyList<IgnoredConsent> Ignored)
{
    /// <summary>No consent at all.</summary>
    public static ConsentResolution Empty { get; } = new(ConsentState.None, [], [], []);
}

/// <summary>
/// Resolves a patient's consents for one purpose, requesting country and instant with the
/// deny-overrides combining algorithm (XACML 3.0 §C.2): any applicable deny denies; otherwise any
/// applicable permit permits; otherwise there is no consent.
/// </summary>
public static class ConsentResolver
{
    /// <summary>
    /// Resolves <paramref name="consents"/> (the current version of each of the patient's consents).
    /// Requires non-null consents.
    /// </summary>
    /// <param name="consents">The patient's consents.</param>
    /// <param name="purpose">The request's purpose of use.</param>
    /// <param name="requestingCountry">Country B.</param>
    /// <param name="instant">The request time.</param>
    public static ConsentResolution Resolve(IReadOnlyList<ConsentTerms> consents, PurposeOfUse purpose, CountryCode requestingCountry, DateTimeOffset instant)
    {
        ArgumentNullException.ThrowIfNull(consents);
        if (consents.Count == 0)
        {
            return ConsentResolution.Empty;
        }

        List<ConsentTerms>? permits = null;
        List<ConsentTerms>? denies = null;
        List<IgnoredConsent>? ignored = null;
        foreach (var consent in consents)
        {
            var reason = WhyNotApplicable(consent, purpose, requestingCountry, instant, out var silently);
            if (reason is not null)
            {
                if (!silently)
                {
                    (ignored ??= []).Add(new IgnoredConsent(consent.Id, reason));
                }

                continue;
            }

            if (consent.Effect == ConsentEffect.Deny)
            {
                (denies ??= []).Add(consent);
            }
            else
            {
                (permits ??= []).Add(consent);
            }
        }

        List<ConsentConflict>? conflicts = null;
        if (permits is not null && denies is not null)
        {
            foreach (var permit in permits)
            {
                foreach (var deny in denies)
                {
                    (conflicts ??= []).Add(new ConsentConflict(permit.Id, deny.Id,
                        $"permit {permit.Id} and deny {deny.Id} both cover {PolicyVocabulary.Format(purpose)} from {requestingCountry} at {instant.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}; deny overrides"));
                }
            }
        }

        var state = denies is not null ? ConsentState.Denied : permits is not null ? ConsentState.Permitted : ConsentState.None;
        var applicable = (denies ?? permits)?.Select(c => c.Id).ToArray() ?? [];
        return new ConsentResolution(state, applicable, conflicts ?? (IReadOnlyList<ConsentConflict>)[], ignored ?? (IReadOnlyList<IgnoredConsent>)[]);
    }

    /// <summary>
    /// Every pair of active, readable permit and deny consents that overlap in purpose, country and
    /// period: conflicts a data-protection officer should resolve (requests in the overlap are denied).
    /// </summary>
    /// <param name="consents">The patient's consents.</param>
    public static IReadOnlyList<ConsentConflict> FindConflicts(IReadOnlyList<ConsentTerms> consents)
    {
        ArgumentNullException.ThrowIfNull(consents);
        var result = new List<ConsentConflict>();
        var usable = consents.Where(c => c.Active && (c.Effect == ConsentEffect.Deny || c.Problems.Count == 0)).ToArray();
        foreach (var permit in usable.Where(c => c.Effect == ConsentEffect.Permit))
        {
            foreach (var deny in usable.Where(c => c.Effect == ConsentEffect.Deny))
            {
                var purposes = Enum.GetValues<PurposeOfUse>().Where(p => permit.CoversPurpose(p) && deny.CoversPurpose(p)).ToArray();
                var countriesOverlap = permit.Countries is null || deny.Countries is null || permit.Countries.Overlaps(deny.Countries);
                if (purposes.Length > 0 && countriesOverlap && permit.PeriodOverlaps(deny))
                {
                    var where = permit.Countries is null && deny.Countries is null
                        ? "every country"
                        : string.Join(",", (permit.Countries ?? deny.Countries!).Where(c => deny.CoversCountry(c) && permit.CoversCountry(c)).Select(c => c.Value).Order(StringComparer.Ordinal));
                    result.Add(new ConsentConflict(permit.Id, deny.Id,
                        $"permit {permit.Id} and deny {deny.Id} overlap for {string.Join(",", purposes.Select(PolicyVocabulary.Format))} from {where}; deny overrides"));
                }
            }
        }

        return result;
    }

    private static string? WhyNotApplicable(ConsentTerms consent, PurposeOfUse purpose, CountryCode country, DateTimeOffset instant, out bool silently)
    {
        silently = false;
        if (!consent.Active)
        {
            // Withdrawn or superseded consents are history, not noise in every decision.
            silently = true;
            return "inactive";
        }

        if (consent.Effect == ConsentEffect.Permit && consent.Problems.Count > 0)
        {
            return $"permit cannot be applied: {string.Join("; ", consent.Problems)}";
        }

        if (consent.ValidUntil is { } until && instant >= until)
        {
            return $"expired at {until.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}";
        }

        if (consent.ValidFrom is { } from && instant < from)
        {
            return $"not valid before {from.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}";
        }

        if (!consent.CoversPurpose(purpose) || !consent.CoversCountry(country))
        {
            silently = true;
            return "out of scope";
        }

        return null;
    }
}
