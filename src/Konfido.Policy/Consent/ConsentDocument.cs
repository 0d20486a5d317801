using System.Globalization;
using Hl7.Fhir.Model;
using Konfido.Core;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace Konfido.Policy.Consent;

/// <summary>
/// Writes and reads cross-border consents as FHIR R4 Consent resources.
/// </summary>
/// <remarks>
/// <para>Representation (the choices Konfido makes where FHIR R4 leaves room):</para>
/// <list type="bullet">
/// <item><c>status</c>: <c>active</c> or <c>inactive</c> (withdrawn or superseded); other statuses are ignored.</item>
/// <item><c>scope</c>: <c>consentscope#patient-privacy</c>; <c>category</c>: LOINC <c>59284-0</c> (patient consent)
/// and <c>https://konfido.invalid/CodeSystem/consent-category#cross-border</c>.</item>
/// <item><c>patient</c>: a logical reference by identifier (<see cref="PatientIdentifierSystem"/>, the national id).</item>
/// <item><c>policyRule</c>: v3 ActCode <c>OPTIN</c> for a permit, <c>OPTOUT</c> for a deny (R4 invariant ppc-1 needs one).</item>
/// <item><c>provision.type</c>: permit or deny; <c>provision.period</c>: validity, end exclusive.</item>
/// <item><c>provision.purpose</c>: v3 ActReason <c>TREAT</c> and/or <c>ETREAT</c>; none means every purpose.</item>
/// <item><c>provision.actor</c>: one entry per requesting country, role v3 ParticipationType <c>IRCP</c>
/// (information recipient), reference = a logical Organization reference whose identifier is the
/// ISO 3166-1 code in system <see cref="CountrySystem"/> ("any organisation of that country's
/// federation node"); no actor means every country. An actor is used rather than an extension so
/// that generic FHIR consent engines read the restriction too.</item>
/// </list>
/// </remarks>
public static class ConsentDocument
{
    /// <summary>The identifier system for patients' national identifiers.</summary>
    public const string PatientIdentifierSystem = "https://konfido.invalid/sid/national-id";

    /// <summary>The identifier system of country-coded organisations (ISO 3166-1 alpha-2).</summary>
    public const string CountrySystem = "urn:iso:std:iso:3166";

    /// <summary>The Konfido consent category system.</summary>
    public const string CategorySystem = "https://konfido.invalid/CodeSystem/consent-category";

    private const string ScopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope";
    private const string ActCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    private const string ParticipationSystem = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    private const string LoincSystem = "http://loinc.org";

    /// <summary>Builds an active Consent from validated terms. Requires non-null terms.</summary>
    /// <param name="terms">The terms; <see cref="ConsentTerms.Problems"/> are not written.</param>
    public static FhirConsent Create(ConsentTerms terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var consent = new FhirConsent
        {
            Id = terms.Id,
            Status = terms.Active ? FhirConsent.ConsentState.Active : FhirConsent.ConsentState.Inactive,
            Scope = new CodeableConcept(ScopeSystem, "patient-privacy"),
            Category =
            [
                new CodeableConcept(LoincSystem, "59284-0", "Patient Consent"),
                new CodeableConcept(CategorySystem, "cross-border", "Cross-border sharing of health data"),
            ],
            Patient = new ResourceReference { Type = "Patient", Identifier = new Identifier(PatientIdentifierSystem, terms.PatientId) },
            DateTimeElement = terms.Recorded is { } recorded ? new FhirDateTime(recorded.ToUniversalTime()) : null,
            PolicyRule = new CodeableConcept(ActCodeSystem, terms.Effect == ConsentEffect.Permit ? "OPTIN" : "OPTOUT"),
            Provision = new FhirConsent.provisionComponent
            {
                Type = terms.Effect == ConsentEffect.Permit ? FhirConsent.ConsentProvisionType.Permit : FhirConsent.ConsentProvisionType.Deny,
                Period = terms.ValidFrom is null && terms.ValidUntil is null ? null : new Period
                {
                    StartElement = terms.ValidFrom is { } from ? new FhirDateTime(from.ToUniversalTime()) : null,
                    EndElement = terms.ValidUntil is { } until ? new FhirDateTime(until.ToUniversalTime()) : null,
                },
            },
        };

        foreach (var purpose in (terms.Purposes ?? new HashSet<PurposeOfUse>()).Order())
        {
            consent.Provision.Purpose.Add(new Coding(PolicyVocabulary.ActReasonSystem, PolicyVocabulary.ActReason(purpose)));
        }

        foreach (var country in (terms.Countries ?? new HashSet<CountryCode>()).OrderBy(c => c.Value, StringComparer.Ordinal))
        {
            consent.Provision.Actor.Add(new FhirConsent.provisionActorComponent
            {
                Role = new CodeableConcept(ParticipationSystem, "IRCP"),
                Reference = new ResourceReference { Type = "Organization", Identifier = new Identifier(CountrySystem, country.Value), Display = $"Health professionals of {country.Value}" },
            });
        }

        return consent;
    }

    /// <summary>
    /// Reads the decision-relevant terms of a Consent. Never throws for content problems: they are
    /// listed in <see cref="ConsentTerms.Problems"/>. Requires a non-null consent.
    /// </summary>
    /// <param name="consent">The resource.</param>
    public static ConsentTerms Read(FhirConsent consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        var problems = new List<string>();
        var patientId = consent.Patient?.Identifier?.Value ?? string.Empty;
        if (patientId.Length == 0)
        {
            problems.Add("the consent names no patient identifier");
        }

        var active = consent.Status == FhirConsent.ConsentState.Active;
        if (consent.Status is not (FhirConsent.ConsentState.Active or FhirConsent.ConsentState.Inactive))
        {
            problems.Add($"status '{consent.Status?.ToString() ?? "(none)"}' is neither active nor inactive");
        }

        var provision = consent.Provision;
        var effect = ConsentEffect.Deny;
        if (provision?.Type is FhirConsent.ConsentProvisionType.Permit)
        {
            effect = ConsentEffect.Permit;
        }
        else if (provision?.Type is not FhirConsent.ConsentProvisionType.Deny)
        {
            problems.Add("provision.type is missing (neither permit nor deny)");
        }

        HashSet<PurposeOfUse>? purposes = null;
        var unknownPurpose = false;
        foreach (var coding in provision?.Purpose ?? [])
        {
            if (coding.System == PolicyVocabulary.ActReasonSystem && PolicyVocabulary.TryParsePurpose(coding.Code, out var purpose) && coding.Code is "TREAT" or "ETREAT")
            {
                (purposes ??= []).Add(purpose);
            }
            else
            {
                problems.Add($"unknown purpose '{coding.System}|{coding.Code}' (expected ActReason TREAT or ETREAT)");
                unknownPurpose = true;
            }
        }

        HashSet<CountryCode>? countries = null;
        var unreadableActor = false;
        foreach (var actor in provision?.Actor ?? [])
        {
            var identifier = actor.Reference?.Identifier;
            if (identifier?.System == CountrySystem && CountryCode.TryParse(identifier.Value, out var country))
            {
                (countries ??= []).Add(country);
            }
            else
            {
                problems.Add($"unreadable actor '{actor.Reference?.Reference ?? identifier?.Value ?? "(none)"}' (expected an Organization identified in {CountrySystem})");
                unreadableActor = true;
            }
        }

        // Unknown content never widens access: a permit with problems is ignored by the resolver;
        // a deny whose purposes or actors cannot all be read applies to every purpose or country.
        if (effect == ConsentEffect.Deny)
        {
            purposes = unknownPurpose ? null : purposes;
            countries = unreadableActor ? null : countries;
        }
        else
        {
            purposes = unknownPurpose ? (purposes ?? []) : purposes;
            countries = unreadableActor ? (countries ?? []) : countries;
        }

        var validFrom = ReadInstant(provision?.Period?.Start, "provision.period.start", problems);
        var validUntil = ReadInstant(provision?.Period?.End, "provision.period.end", problems);
        var recorded = ReadInstant(consent.DateTime, "dateTime", problems);

        return new ConsentTerms
        {
            Id = consent.Id ?? string.Empty,
            PatientId = patientId,
            Active = active,
            Effect = effect,
            Purposes = purposes,
            Countries = countries,
            ValidFrom = validFrom,
            ValidUntil = validUntil,
            Recorded = recorded,
            Problems = problems,
        };
    }

    private static DateTimeOffset? ReadInstant(string? text, string element, List<string> problems)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return instant;
        }

        problems.Add($"{element} '{text}' is not a full date-time");
        return null;
    }
}
