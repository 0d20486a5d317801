using System.Text.Json;

namespace Konfido.Ihe.Cda;

/// <summary>One Patient Summary section as the mapping table describes it.</summary>
/// <param name="Loinc">The LOINC section code.</param>
/// <param name="Title">The section title written in both formats.</param>
/// <param name="Template">The CDA section template id written.</param>
/// <param name="Entries">The entry mapping: allergy, problem, medication, procedure, immunization, vital-sign, or none.</param>
/// <param name="Required">True for the sections IPS requires.</param>
/// <param name="EmptyText">The "nil known" text for an empty required section, or null.</param>
public sealed record PatientSummarySection(string Loinc, string Title, string Template, string Entries, bool Required, string? EmptyText);

/// <summary>The SNOMED CT allergy/intolerance type of an eHDSI allergy observation.</summary>
/// <param name="Code">The SNOMED CT code.</param>
/// <param name="Display">Its display.</param>
/// <param name="Type">allergy, intolerance or null.</param>
/// <param name="Category">medication, food, environment or null.</param>
public sealed record AllergyTypeMapping(string Code, string Display, string? Type, string? Category);

/// <summary>
/// The mapping tables of the CDA ↔ FHIR transformation, loaded from the JSON files embedded under
/// <c>Mappings/</c> (code systems OID ↔ URI, Patient Summary sections by LOINC code, EDQM dose forms,
/// SNOMED CT allergy types, HL7 V3 ↔ FHIR value maps). Immutable once loaded.
/// </summary>
public sealed class CodeMaps
{
    private readonly Dictionary<string, string> _uriByOid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _oidByUri = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _systemNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _doseForms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AllergyTypeMapping> _allergyTypes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PatientSummarySection> _sections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, string>> _values = new(StringComparer.Ordinal);

    private CodeMaps()
    {
        using (var systems = Load("code-systems.json"))
        {
            foreach (var row in systems.RootElement.GetProperty("systems").EnumerateArray())
            {
                var oid = row.GetProperty("oid").GetString()!;
                var uri = row.GetProperty("uri").GetString()!;
                _uriByOid[oid] = uri;
                _systemNames[oid] = row.GetProperty("name").GetString()!;
                if (!row.TryGetProperty("emit", out var emit) || emit.GetBoolean())
                {
                    _oidByUri[uri] = oid;
                }
            }
        }

        using (var sections = Load("sections.json"))
        {
            foreach (var row in sections.RootElement.GetProperty("sections").EnumerateArray())
            {
                var section = new PatientSummarySection(row.GetProperty("loinc").GetString()!, row.GetProperty("title").GetString()!,
                    row.GetProperty("template").GetString()!, row.GetProperty("entries").GetString()!, row.GetProperty("required").GetBoolean(),
                    row.TryGetProperty("empty", out var empty) ? empty.GetString() : null);
                _sections[section.Loinc] = section;
                SectionOrder.Add(section);
            }
        }

        using (var forms = Load("edqm-dose-forms.json"))
        {
            foreach (var row in forms.RootElement.GetProperty("forms").EnumerateArray())
            {
                _doseForms[row.GetProperty("code").GetString()!] = row.GetProperty("display").GetString()!;
            }
        }

        using (var types = Load("snomed-allergy-types.json"))
        {
            foreach (var row in types.RootElement.GetProperty("types").EnumerateArray())
            {
                var mapping = new AllergyTypeMapping(row.GetProperty("code").GetString()!, row.GetProperty("display").GetString()!,
                    row.GetProperty("type").GetString(), row.GetProperty("category").GetString());
                _allergyTypes[mapping.Code] = mapping;
            }
        }

        using var values = Load("value-maps.json");
        foreach (var map in values.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object))
        {
            _values[map.Name] = map.Value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        }
    }

    /// <summary>The tables shipped with Konfido.</summary>
    public static CodeMaps Default { get; } = new();

    /// <summary>The sections in the order they are written.</summary>
    public IList<PatientSummarySection> SectionOrder { get; } = [];

    /// <summary>The FHIR system URI of a CDA code system OID, or null when the table does not know it.</summary>
    /// <param name="oid">The OID.</param>
    public string? SystemUri(string oid) => _uriByOid.GetValueOrDefault(oid);

    /// <summary>The CDA OID of a FHIR system URI (a <c>urn:oid:</c> URI maps to its OID), or null when unknown.</summary>
    /// <param name="uri">The URI.</param>
    public string? SystemOid(string uri) =>
        _oidByUri.TryGetValue(uri, out var oid) ? oid : uri.StartsWith("urn:oid:", StringComparison.Ordinal) ? uri[8..] : null;

    /// <summary>The display name of a code system OID, or null.</summary>
    /// <param name="oid">The OID.</param>
    public string? SystemName(string oid) => _systemNames.GetValueOrDefault(oid);

    /// <summary>The display of an EDQM dose form code, or null when not in the table.</summary>
    /// <param name="code">The EDQM code.</param>
    public string? DoseForm(string code) => _doseForms.GetValueOrDefault(code);

    /// <summary>The allergy type of a SNOMED CT code, or null.</summary>
    /// <param name="code">The code.</param>
    public AllergyTypeMapping? AllergyType(string code) => _allergyTypes.GetValueOrDefault(code);

    /// <summary>The section of a LOINC code, or null.</summary>
    /// <param name="loinc">The code.</param>
    public PatientSummarySection? Section(string loinc) => _sections.GetValueOrDefault(loinc);

    /// <summary>Looks up <paramref name="key"/> in value map <paramref name="map"/> (gender, problemStatus, medicationStatus).</summary>
    /// <param name="map">The map name.</param>
    /// <param name="key">The source value.</param>
    public string? Value(string map, string key) => _values.TryGetValue(map, out var values) ? values.GetValueOrDefault(key) : null;

    /// <summary>The reverse lookup: the first source value that maps to <paramref name="value"/>.</summary>
    /// <param name="map">The map name.</param>
    /// <param name="value">The target value.</param>
    public string? Key(string map, string value) =>
        _values.TryGetValue(map, out var values) ? values.FirstOrDefault(kv => kv.Value == value).Key : null;

    private static JsonDocument Load(string name)
    {
        using var stream = typeof(CodeMaps).Assembly.GetManifestResourceStream("Konfido.Ihe.Mappings." + name)
            ?? throw new InvalidOperationException($"The mapping table {name} is not embedded.");
        return JsonDocument.Parse(stream);
    }
}
