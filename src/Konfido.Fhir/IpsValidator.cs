using System.Collections;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Konfido.Fhir;

/// <summary>The outcome of <see cref="IpsValidator.Validate(string)"/>.</summary>
/// <param name="Resource">The parsed resource, or null if the input is not FHIR at all.</param>
/// <param name="Format">The detected format (<see cref="FhirFormat.Unknown"/> when validating a resource object).</param>
/// <param name="IsPatientSummary">True if the resource is a Bundle claiming to be an IPS, so that the IPS rules were applied.</param>
/// <param name="Issues">Everything found, errors first in document order.</param>
public sealed record IpsValidationResult(Resource? Resource, FhirFormat Format, bool IsPatientSummary, IReadOnlyList<ValidationIssue> Issues)
{
    /// <summary>True if the input parsed as a FHIR resource of a known type.</summary>
    public bool IsWellFormed => Resource is not null;

    /// <summary>True if the input is well formed and no issue is an error.</summary>
    public bool IsValid => IsWellFormed && !Issues.Any(i => i.IsError);
}

/// <summary>
/// Checks a FHIR R4 resource and, for a Bundle claiming to be an International Patient Summary, the IPS rules
/// of the Konfido contract (<c>konfido fhir validate</c>):
/// <list type="number">
/// <item>a document Bundle (<c>Bundle.type = document</c>);</item>
/// <item>with an identifier (with a value) and a timestamp;</item>
/// <item>whose first entry is a Composition of type LOINC 60591-5;</item>
/// <item>holding exactly one Patient;</item>
/// <item>with the required sections Problems 11450-4, Allergies 48765-2 and Medications 10160-0;</item>
/// <item>each required section holding entries or an emptyReason (IPS ips-comp-1), any other section text, entries or
/// sub-sections (FHIR cmp-1), and no section both entries and an emptyReason (FHIR cmp-2);</item>
/// <item>and every reference resolvable inside the Bundle.</item>
/// </list>
/// A Bundle claims to be an IPS if one of its Compositions has type LOINC 60591-5 or its <c>meta.profile</c> names the
/// IPS Bundle profile. References resolve as FHIR R4 §2.36.4 (Bundle, "Resolving references in Bundles") describes:
/// an absolute reference (<c>urn:uuid:</c>, <c>urn:oid:</c>, <c>http(s)://</c>) must equal an entry's fullUrl; a relative
/// one (<c>Patient/123</c>, optionally <c>/_history/n</c>) resolves against the referring entry's RESTful base URL, or else
/// against any entry whose resource has that type and id; <c>#id</c> resolves to a contained resource.
/// </summary>
/// <remarks>References: HL7 FHIR R4 Bundle and Documents pages; HL7 IPS IG, Bundle (IPS) and Composition (IPS) profiles.</remarks>
public static class IpsValidator
{
    /// <summary>Parses <paramref name="text"/> (JSON or XML) and validates it. Never throws for bad input.</summary>
    /// <param name="text">The FHIR text. Requires non-null.</param>
    public static IpsValidationResult Validate(string text)
    {
        var parsed = FhirResourceParser.Parse(text);
        if (parsed.Resource is null)
        {
            return new IpsValidationResult(null, parsed.Format, false, parsed.Issues);
        }

        var issues = parsed.Issues.ToList();
        bool isIps;
        try
        {
            // A resource parsed with errors may hold data that its typed getters refuse to return (a repeated
            // element where one is allowed, a wrong literal); then the IPS rules cannot be evaluated on it.
            isIps = parsed.Resource is Bundle b && ClaimsPatientSummary(b);
            if (isIps)
            {
                issues.AddRange(CheckPatientSummary((Bundle)parsed.Resource));
            }
        }
        catch (Exception ex) when (!parsed.IsValid && FhirResourceParser.IsParserFailure(ex))
        {
            isIps = parsed.Resource is Bundle;
            issues.Add(ValidationIssue.Error(IssueCodes.Structure, "", $"The IPS rules could not be evaluated on this damaged resource: {ex.Message}"));
        }

        return new IpsValidationResult(parsed.Resource, parsed.Format, isIps, Order(issues));
    }

    /// <summary>Validates a resource object against the IPS rules (no parsing, so no FHIR structural checks).</summary>
    /// <param name="resource">The resource. Requires non-null.</param>
    public static IpsValidationResult Validate(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var isIps = resource is Bundle b && ClaimsPatientSummary(b);
        var issues = isIps ? CheckPatientSummary((Bundle)resource) : [];
        return new IpsValidationResult(resource, FhirFormat.Unknown, isIps, issues);
    }

    /// <summary>True if the Bundle claims to be an IPS: a Composition of type LOINC 60591-5, or the IPS profile in meta.profile.</summary>
    /// <param name="bundle">The Bundle. Requires non-null.</param>
    public static bool ClaimsPatientSummary(Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (bundle.Meta?.Profile?.Any(p => p is not null && (p.Split('|')[0] == FhirSystems.IpsBundleProfile)) == true)
        {
            return true;
        }

        return bundle.Entry.Any(e => e?.Resource is Composition c && IsPatientSummaryType(c));
    }

    /// <summary>Applies the IPS rules to <paramref name="bundle"/> and returns every violation (empty if it conforms).</summary>
    /// <param name="bundle">The Bundle. Requires non-null.</param>
    public static IReadOnlyList<ValidationIssue> CheckPatientSummary(Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var issues = new List<ValidationIssue>();

        // 1. A document Bundle.
        // Raw literals, not typed values: a wrong literal (already reported by the parser) must not throw here.
        var type = bundle.TypeElement?.JsonValue?.ToString();
        if (string.IsNullOrEmpty(type))
        {
            issues.Add(ValidationIssue.Error(IssueCodes.Required, "Bundle.type", "An IPS must be a document Bundle, but Bundle.type is missing."));
        }
        else if (type != "document")
        {
            issues.Add(ValidationIssue.Error(IssueCodes.Invalid, "Bundle.type", $"An IPS must be a document Bundle, but Bundle.type is '{type}'."));
        }

        // 2. Identifier and timestamp.
        if (bundle.Identifier is null || string.IsNullOrWhiteSpace(bundle.Identifier.Value))
        {
            issues.Add(ValidationIssue.Error(IssueCodes.Required, "Bundle.identifier", "A document Bundle must carry an identifier with a value (FHIR bdl-9)."));
        }

        if (string.IsNullOrEmpty(bundle.TimestampElement?.JsonValue?.ToString()))
        {
            issues.Add(ValidationIssue.Error(IssueCodes.Required, "Bundle.timestamp", "A document Bundle must carry a timestamp (FHIR bdl-10)."));
        }

        // 3. First entry: a Composition of LOINC 60591-5.
        var composition = bundle.Entry.Count > 0 ? bundle.Entry[0]?.Resource as Composition : null;
        if (bundle.Entry.Count == 0)
        {
            issues.Add(ValidationIssue.Error(IssueCodes.Required, "Bundle.entry", "An IPS must have entries, the first of them a Composition."));
        }
        else if (composition is null)
        {
            var what = bundle.Entry[0]?.Resource?.TypeName ?? "nothing";
            issues.Add(ValidationIssue.Error(IssueCodes.Structure, "Bundle.entry[0].resource", $"The first entry of a document must be a Composition, but it is {what}."));
        }
        else if (!IsPatientSummaryType(composition))
        {
            issues.Add(ValidationIssue.Error(IssueCodes.Invalid, "Bundle.entry[0].resource.type", $"The Composition's type must be LOINC {IpsCodes.PatientSummaryDocument} (Patient summary Document)."));
        }

        // 4. Exactly one Patient.
        var patients = bundle.Entry.Select((e, i) => (e, i)).Where(x => x.e?.Resource is Patient).ToList();
        if (patients.Count == 0)
        {
            issues.Add(ValidationIssue.Error(IssueCodes.Required, "Bundle.entry", "An IPS must hold exactly one Patient, but it holds none."));
        }
        else if (patients.Count > 1)
        {
            issues.Add(ValidationIssue.Error(IssueCodes.Structure, $"Bundle.entry[{patients[1].i}].resource", $"An IPS must hold exactly one Patient, but it holds {patients.Count}."));
        }

        // 5 and 6. Required sections; entries or emptyReason.
        if (composition is not null)
        {
            CheckSections(composition, issues);
        }

        // 7. Resolvable references.
        CheckReferences(bundle, issues);
        return issues;
    }

    private static bool IsPatientSummaryType(Composition c) =>
        c.Type?.Coding?.Any(x => x is not null && x.System == FhirSystems.Loinc && x.Code == IpsCodes.PatientSummaryDocument) == true;

    private static void CheckSections(Composition composition, List<ValidationIssue> issues)
    {
        const string root = "Bundle.entry[0].resource";
        foreach (var (code, name) in IpsCodes.RequiredSections)
        {
            if (!composition.Section.Any(s => HasLoinc(s?.Code, code)))
            {
                issues.Add(ValidationIssue.Error(IssueCodes.Required, root + ".section", $"The required {name} section (LOINC {code}) is missing."));
            }
        }

        CheckSectionContent(composition.Section, root + ".section", issues);
    }

    private static void CheckSectionContent(List<Composition.SectionComponent> sections, string path, List<ValidationIssue> issues)
    {
        for (var i = 0; i < sections.Count; i++)
        {
            var s = sections[i];
            if (s is null)
            {
                continue;
            }

            var at = $"{path}[{i}]";
            var hasEntries = s.Entry.Count > 0;
            var hasSubsections = s.Section.Count > 0;
            var label = s.Title ?? s.Code?.Coding?.FirstOrDefault()?.Code ?? "untitled";
            var required = IpsCodes.RequiredSections.Any(r => HasLoinc(s.Code, r.Code));
            if (required && !hasEntries && s.EmptyReason is null)
            {
                // IPS ips-comp-1, on the Problems, Allergies and Medication Summary sections.
                issues.Add(ValidationIssue.Error(IssueCodes.Required, at, $"Section '{label}' has neither entries nor an emptyReason (IPS ips-comp-1)."));
            }
            else if (!required && !hasEntries && !hasSubsections && s.Text is null && s.EmptyReason is null)
            {
                issues.Add(ValidationIssue.Error(IssueCodes.Required, at, $"Section '{label}' has no text, entries, sub-sections or emptyReason (FHIR cmp-1)."));
            }

            if (hasEntries && s.EmptyReason is not null)
            {
                issues.Add(ValidationIssue.Error(IssueCodes.Invalid, at + ".emptyReason", $"Section '{label}' has entries and an emptyReason; an emptyReason is only for an empty section (FHIR cmp-2)."));
            }

            CheckSectionContent(s.Section, at + ".section", issues);
        }
    }

    private static bool HasLoinc(CodeableConcept? concept, string code) =>
        concept?.Coding?.Any(c => c is not null && c.System == FhirSystems.Loinc && c.Code == code) == true;

    private static void CheckReferences(Bundle bundle, List<ValidationIssue> issues)
    {
        var fullUrls = new HashSet<string>(StringComparer.Ordinal);
        var byTypeAndId = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in bundle.Entry)
        {
            if (entry?.FullUrl is { Length: > 0 } url)
            {
                fullUrls.Add(url);
            }

            if (entry?.Resource is { Id: { Length: > 0 } id } r)
            {
                byTypeAndId.Add(r.TypeName + "/" + id);
            }
        }

        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var entry = bundle.Entry[i];
            if (entry?.Resource is null)
            {
                continue;
            }

            var context = new ReferenceContext(fullUrls, byTypeAndId, RestBase(entry.FullUrl), entry.Resource);
            Walk(entry.Resource, $"Bundle.entry[{i}].resource", context, issues);
        }
    }

    private sealed record ReferenceContext(HashSet<string> FullUrls, HashSet<string> ByTypeAndId, string? RestBase, Resource Container);

    private static void Walk(Base node, string path, ReferenceContext context, List<ValidationIssue> issues)
    {
        if (node is ResourceReference reference && reference.Reference is { Length: > 0 } target && !Resolves(target, context))
        {
            issues.Add(ValidationIssue.Error(IssueCodes.NotFound, path, $"The reference '{target}' does not resolve to an entry of the Bundle."));
        }

        foreach (var (name, value) in node.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    Walk(child, path + "." + name, context, issues);
                    break;
                case IList list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is Base item)
                        {
                            Walk(item, $"{path}.{name}[{i}]", context, issues);
                        }
                    }

                    break;
            }
        }
    }

    private static bool Resolves(string reference, ReferenceContext context)
    {
        if (reference.StartsWith('#'))
        {
            var id = reference[1..];
            return id.Length == 0 // "#" refers to the container itself
                || (context.Container is DomainResource d && d.Contained.Any(c => c?.Id == id));
        }

        if (context.FullUrls.Contains(reference))
        {
            return true;
        }

        if (IsAbsolute(reference))
        {
            return false;
        }

        // Relative: Type/id or Type/id/_history/vid.
        var parts = reference.Split('/');
        if (parts.Length is not (2 or 4) || (parts.Length == 4 && parts[2] != "_history"))
        {
            return false;
        }

        var typeAndId = parts[0] + "/" + parts[1];
        if (context.RestBase is not null && context.FullUrls.Contains(context.RestBase + typeAndId))
        {
            return true;
        }

        return context.ByTypeAndId.Contains(typeAndId);
    }

    private static bool IsAbsolute(string reference) =>
        reference.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) || reference.Contains("://", StringComparison.Ordinal);

    /// <summary>The RESTful base of a fullUrl like <c>http://x/fhir/Patient/1</c> (<c>http://x/fhir/</c>), or null.</summary>
    private static string? RestBase(string? fullUrl)
    {
        if (fullUrl is null || !fullUrl.Contains("://", StringComparison.Ordinal))
        {
            return null;
        }

        var trimmed = fullUrl.TrimEnd('/');
        var history = trimmed.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            trimmed = trimmed[..history];
        }

        var lastSlash = trimmed.LastIndexOf('/');
        var typeSlash = lastSlash > 0 ? trimmed.LastIndexOf('/', lastSlash - 1) : -1;
        return typeSlash > 0 ? trimmed[..(typeSlash + 1)] : null;
    }

    private static List<ValidationIssue> Order(List<ValidationIssue> issues) =>
        issues.OrderBy(i => i.IsError ? 0 : 1).ToList();
}
