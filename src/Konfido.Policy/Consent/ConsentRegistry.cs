using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Konfido.Core;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace Konfido.Policy.Consent;

/// <summary>The result of validating a <see cref="ConsentGrant"/>: the stored consent, or every rejection.</summary>
/// <param name="Consent">The stored Consent, or null if rejected.</param>
/// <param name="Errors">Every rejection (unknown purpose, bad country, empty period, ...).</param>
/// <param name="Superseded">Ids of earlier consents of the opposite effect that this one made inactive.</param>
public sealed record ConsentChange(FhirConsent? Consent, IReadOnlyList<string> Errors, IReadOnlyList<string> Superseded)
{
    /// <summary>True if the change was recorded.</summary>
    public bool Succeeded => Consent is not null;
}

/// <summary>
/// Country A's consent register: patients grant and withdraw cross-border sharing; the policy
/// decision point asks for the consents in force. Every change is a new resource version
/// (history is kept) and a <see cref="SecurityEvent"/> (category policy, action
/// <c>consent-grant</c> / <c>consent-withdraw</c>).
/// </summary>
/// <remarks>
/// The latest statement of the patient wins: granting a permit makes earlier overlapping denies
/// inactive, and a deny makes earlier overlapping permits inactive. Conflicts (an active permit and
/// an active deny overlapping) therefore only arise from consents written by other means
/// (<see cref="ImportAsync"/>, migrations, concurrent registers); decisions resolve them
/// deny-overrides and report them.
/// </remarks>
public sealed class ConsentRegistry
{
    private readonly IConsentStore _store;
    private readonly ISecurityEventSink _events;
    private readonly CountryCode _country;
    private readonly TimeProvider _time;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Revision, ConsentTerms[] Terms)> _parsed = new(StringComparer.Ordinal);
    private const int MaxCachedPatients = 10_000;

    /// <summary>Creates the register. Requires all arguments but <paramref name="time"/>.</summary>
    /// <param name="store">Where consents are kept.</param>
    /// <param name="events">Receives consent-change events.</param>
    /// <param name="country">This node's country (country A).</param>
    /// <param name="time">The clock; the system clock by default.</param>
    public ConsentRegistry(IConsentStore store, ISecurityEventSink events, CountryCode country, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(events);
        _store = store;
        _events = events;
        _country = country;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The underlying store.</summary>
    public IConsentStore Store => _store;

    /// <summary>Validates <paramref name="grant"/> into terms, listing every rejection.</summary>
    /// <param name="grant">The patient's statement.</param>
    /// <param name="id">The id to give the consent.</param>
    /// <param name="recorded">When it is recorded.</param>
    public static (ConsentTerms? Terms, IReadOnlyList<string> Errors) Validate(ConsentGrant grant, string id, DateTimeOffset recorded)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(grant.PatientId))
        {
            errors.Add("the patient identifier is missing");
        }

        HashSet<PurposeOfUse>? purposes = null;
        foreach (var text in grant.Purposes ?? [])
        {
            if (PolicyVocabulary.TryParsePurpose(text, out var purpose))
            {
                (purposes ??= []).Add(purpose);
            }
            else
            {
                errors.Add($"unknown purpose '{text}' (expected {PolicyVocabulary.PurposeSpellings})");
            }
        }

        HashSet<CountryCode>? countries = null;
        foreach (var text in grant.Countries ?? [])
        {
            if (CountryCode.TryParse(text, out var country))
            {
                (countries ??= []).Add(country);
            }
            else
            {
                errors.Add($"'{text}' is not a two-letter country code");
            }
        }

        if (grant.ValidUntil is { } until && until <= grant.ValidFrom)
        {
            errors.Add("the validity period is empty (validUntil is not after validFrom)");
        }

        if (!Enum.IsDefined(grant.Effect))
        {
            errors.Add($"unknown consent effect {(int)grant.Effect}");
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new ConsentTerms
        {
            Id = id,
            PatientId = grant.PatientId,
            Active = true,
            Effect = grant.Effect,
            Purposes = purposes,
            Countries = countries,
            ValidFrom = grant.ValidFrom,
            ValidUntil = grant.ValidUntil,
            Recorded = recorded,
        }, []);
    }

    /// <summary>
    /// Records a patient's permit or deny. Earlier active consents of the opposite effect whose
    /// scope the new one covers from now on become inactive (kept in the history). A deny that
    /// covers only part of an earlier permit restricts it (both stay active, deny overrides). A
    /// permit that covers only part of an earlier refusal is rejected with the refusal's id.
    /// </summary>
    /// <param name="grant">The statement.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<ConsentChange> GrantAsync(ConsentGrant grant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var now = _time.GetUtcNow();
        var (terms, errors) = Validate(grant, Guid.NewGuid().ToString("N"), now);
        if (terms is null)
        {
            return new ConsentChange(null, errors, []);
        }

        var toSupersede = new List<FhirConsent>();
        var blocking = new List<string>();
        foreach (var existing in await _store.ListAsync(grant.PatientId, cancellationToken).ConfigureAwait(false))
        {
            var old = ConsentDocument.Read(existing);
            if (!old.Active || old.Effect == terms.Effect || !Overlaps(old, terms))
            {
                continue;
            }

            if (CoversFromNow(terms, old, now))
            {
                toSupersede.Add(existing);
            }
            else if (terms.Effect == ConsentEffect.Permit)
            {
                // A permit narrower than an earlier refusal would, if it lifted the refusal,
                // re-open what the patient still refuses; deny-overrides would make it useless.
                blocking.Add($"the active refusal {old.Id} covers more than this permit; lift it first (LiftRefusalAsync) or grant a permit covering its whole scope");
            }

            // A deny narrower than an earlier permit simply restricts it (deny-overrides).
        }

        if (blocking.Count > 0)
        {
            return new ConsentChange(null, blocking, []);
        }

        var superseded = new List<string>();
        foreach (var existing in toSupersede)
        {
            await DeactivateAsync(existing, cancellationToken).ConfigureAwait(false);
            superseded.Add(existing.Id!);
        }

        var stored = await _store.SaveAsync(ConsentDocument.Create(terms), cancellationToken).ConfigureAwait(false);
        await EmitAsync(terms.Effect == ConsentEffect.Permit ? "consent-grant" : "consent-deny", terms, superseded, now, cancellationToken).ConfigureAwait(false);
        return new ConsentChange(stored, [], superseded);
    }

    /// <summary>
    /// Withdraws consent: every active permit (or only <paramref name="consentId"/>) becomes
    /// inactive and a new deny with the same scope, valid from now, is recorded. With no active
    /// permit, a deny for every purpose and country is recorded.
    /// </summary>
    /// <param name="patientId">The patient.</param>
    /// <param name="consentId">One permit to withdraw, or null for all.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<ConsentChange> WithdrawAsync(string patientId, string? consentId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        var now = _time.GetUtcNow();
        var withdrawn = new List<string>();
        HashSet<PurposeOfUse>? purposes = [];
        HashSet<CountryCode>? countries = [];
        foreach (var existing in await _store.ListAsync(patientId, cancellationToken).ConfigureAwait(false))
        {
            var old = ConsentDocument.Read(existing);
            if (!old.Active || old.Effect != ConsentEffect.Permit || (consentId is not null && old.Id != consentId))
            {
                continue;
            }

            await DeactivateAsync(existing, cancellationToken).ConfigureAwait(false);
            withdrawn.Add(old.Id);
            purposes = purposes is null || old.Purposes is null ? null : [.. purposes, .. old.Purposes];
            countries = countries is null || old.Countries is null ? null : [.. countries, .. old.Countries];
        }

        if (consentId is not null && withdrawn.Count == 0)
        {
            return new ConsentChange(null, [$"no active permit with id '{consentId}' for this patient"], []);
        }

        if (withdrawn.Count == 0)
        {
            purposes = null;
            countries = null;
        }

        var deny = new ConsentTerms
        {
            Id = Guid.NewGuid().ToString("N"),
            PatientId = patientId,
            Active = true,
            Effect = ConsentEffect.Deny,
            Purposes = purposes is { Count: > 0 } ? purposes : null,
            Countries = countries is { Count: > 0 } ? countries : null,
            ValidFrom = now,
            Recorded = now,
        };
        var stored = await _store.SaveAsync(ConsentDocument.Create(deny), cancellationToken).ConfigureAwait(false);
        await EmitAsync("consent-withdraw", deny, withdrawn, now, cancellationToken).ConfigureAwait(false);
        return new ConsentChange(stored, [], withdrawn);
    }

    /// <summary>
    /// Lifts a refusal: the active deny <paramref name="consentId"/> becomes inactive (a new
    /// version; no consent is recorded in its place, so the country's consent model applies again).
    /// </summary>
    /// <param name="patientId">The patient.</param>
    /// <param name="consentId">The deny to lift.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<ConsentChange> LiftRefusalAsync(string patientId, string consentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ArgumentException.ThrowIfNullOrWhiteSpace(consentId);
        foreach (var existing in await _store.ListAsync(patientId, cancellationToken).ConfigureAwait(false))
        {
            var old = ConsentDocument.Read(existing);
            if (old.Id == consentId && old.Active && old.Effect == ConsentEffect.Deny)
            {
                await DeactivateAsync(existing, cancellationToken).ConfigureAwait(false);
                var stored = await _store.GetAsync(consentId, cancellationToken).ConfigureAwait(false);
                await EmitAsync("consent-lift-refusal", old, [old.Id], _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                return new ConsentChange(stored, [], [old.Id]);
            }
        }

        return new ConsentChange(null, [$"no active refusal with id '{consentId}' for this patient"], []);
    }

    /// <summary>
    /// Stores a Consent written elsewhere (a national register, a migration) as it is, without
    /// superseding anything. Rejects a resource without id or patient.
    /// </summary>
    /// <param name="consent">The resource.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<ConsentChange> ImportAsync(FhirConsent consent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consent);
        var terms = ConsentDocument.Read(consent);
        if (string.IsNullOrWhiteSpace(consent.Id) || terms.PatientId.Length == 0)
        {
            return new ConsentChange(null, ["an imported consent needs an id and a patient identifier"], []);
        }

        var stored = await _store.SaveAsync(consent, cancellationToken).ConfigureAwait(false);
        await EmitAsync("consent-import", terms, [], _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return new ConsentChange(stored, terms.Problems, []);
    }

    /// <summary>
    /// The current version of each of the patient's consents, read. Parsed consents are cached per
    /// patient and reused while the store's <see cref="IConsentStore.RevisionAsync"/> is unchanged,
    /// so a decision costs one revision query instead of parsing FHIR JSON.
    /// </summary>
    public async Task<IReadOnlyList<ConsentTerms>> ListAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        // Revision first, then the consents: a write in between only causes an extra reload later.
        var revision = await _store.RevisionAsync(patientId, cancellationToken).ConfigureAwait(false);
        if (_parsed.TryGetValue(patientId, out var cached) && cached.Revision == revision)
        {
            return cached.Terms;
        }

        var consents = await _store.ListAsync(patientId, cancellationToken).ConfigureAwait(false);
        var terms = consents.Select(ConsentDocument.Read).ToArray();
        if (_parsed.Count >= MaxCachedPatients)
        {
            _parsed.Clear();
        }

        _parsed[patientId] = (revision, terms);
        return terms;
    }

    /// <summary>Every version of the patient's consents, in the order stored.</summary>
    public async Task<IReadOnlyList<FhirConsent>> HistoryAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        return await _store.HistoryAsync(patientId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the patient's consents say for <paramref name="purpose"/> from <paramref name="requestingCountry"/> at <paramref name="instant"/>.</summary>
    public async Task<ConsentResolution> ResolveAsync(string patientId, PurposeOfUse purpose, CountryCode requestingCountry, DateTimeOffset instant, CancellationToken cancellationToken = default)
    {
        var consents = await ListAsync(patientId, cancellationToken).ConfigureAwait(false);
        return ConsentResolver.Resolve(consents, purpose, requestingCountry, instant);
    }

    /// <summary>True if <paramref name="outer"/> covers every purpose, country and future instant of <paramref name="inner"/>.</summary>
    private static bool CoversFromNow(ConsentTerms outer, ConsentTerms inner, DateTimeOffset now)
    {
        var purposes = outer.Purposes is null || (inner.Purposes is not null && inner.Purposes.All(outer.CoversPurpose));
        var countries = outer.Countries is null || (inner.Countries is not null && inner.Countries.All(outer.CoversCountry));
        var innerStart = inner.ValidFrom is { } from && from > now ? from : now;
        var starts = outer.ValidFrom is null || outer.ValidFrom <= innerStart;
        var ends = outer.ValidUntil is null || (inner.ValidUntil is not null && inner.ValidUntil <= outer.ValidUntil);
        return purposes && countries && starts && ends;
    }

    private static bool Overlaps(ConsentTerms a, ConsentTerms b) =>
        Enum.GetValues<PurposeOfUse>().Any(p => a.CoversPurpose(p) && b.CoversPurpose(p))
        && (a.Countries is null || b.Countries is null || a.Countries.Overlaps(b.Countries))
        && a.PeriodOverlaps(b);

    private async Task DeactivateAsync(FhirConsent consent, CancellationToken cancellationToken)
    {
        var copy = (FhirConsent)consent.DeepCopy();
        copy.Status = FhirConsent.ConsentState.Inactive;
        await _store.SaveAsync(copy, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask EmitAsync(string action, ConsentTerms terms, IReadOnlyList<string> affected, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var attributes = new Dictionary<string, string>
        {
            ["consent.id"] = terms.Id,
            ["consent.effect"] = terms.Effect == ConsentEffect.Permit ? "permit" : "deny",
            ["consent.purposes"] = terms.Purposes is null ? "*" : string.Join(",", terms.Purposes.Order().Select(PolicyVocabulary.ActReason)),
            ["consent.countries"] = terms.Countries is null ? "*" : string.Join(",", terms.Countries.Select(c => c.Value).Order(StringComparer.Ordinal)),
        };
        if (affected.Count > 0)
        {
            attributes["consent.superseded"] = string.Join(",", affected);
        }

        return _events.PublishAsync(new SecurityEvent
        {
            Timestamp = now,
            Node = _country.Value,
            Category = EventCategories.Policy,
            Action = action,
            Outcome = EventOutcome.Success,
            Actor = "patient",
            PatientId = terms.PatientId,
            TargetCountry = _country.Value,
            Attributes = attributes,
        }, cancellationToken);
    }
}
