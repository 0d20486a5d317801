using System.Xml.Linq;
using Hl7.Fhir.Model;

namespace Konfido.Ihe.Cda;

/// <summary>
/// Transforms between the eHDSI pivot CDA documents (level 3) that OpenNCP nodes exchange and the FHIR
/// R4 resources the rest of Konfido uses, in both directions, with a <see cref="TransformationReport"/>
/// listing every element that was not carried (never dropped silently). The mapping tables are data
/// (<see cref="CodeMaps"/>).
/// </summary>
public sealed class CdaTransformer
{
    private readonly CdaReader _reader;
    private readonly CdaWriter _writer;

    /// <summary>Creates a transformer over <paramref name="maps"/> (the shipped tables by default).</summary>
    /// <param name="maps">The mapping tables.</param>
    public CdaTransformer(CodeMaps? maps = null)
    {
        Maps = maps ?? CodeMaps.Default;
        _reader = new CdaReader(Maps);
        _writer = new CdaWriter(Maps);
    }

    /// <summary>A transformer over the shipped tables.</summary>
    public static CdaTransformer Default { get; } = new();

    /// <summary>The mapping tables.</summary>
    public CodeMaps Maps { get; }

    /// <summary>The document class of a CDA document (its LOINC code), or null when it is not one Konfido transforms.</summary>
    /// <param name="cda">The document.</param>
    public static IheDocumentClass? ClassOf(XDocument cda)
    {
        ArgumentNullException.ThrowIfNull(cda);
        return cda.Root?.Name == IheNames.Hl7 + "ClinicalDocument" ? IheDocumentClasses.FromCode(cda.Root.Element(IheNames.Hl7 + "code")?.Attribute("code")?.Value) : null;
    }

    /// <summary>An eHDSI Patient Summary to an IPS document Bundle.</summary>
    /// <param name="cda">The CDA document (parse it with <see cref="Soap.SafeXml"/>).</param>
    /// <exception cref="CdaFormatException">Not a Patient Summary CDA, or no patient identifier.</exception>
    public TransformationResult<Bundle> PatientSummaryToFhir(XDocument cda)
    {
        ArgumentNullException.ThrowIfNull(cda);
        return _reader.PatientSummary(cda);
    }

    /// <summary>An eHDSI ePrescription to its MedicationRequests (one per prescribed item).</summary>
    /// <param name="cda">The CDA document.</param>
    /// <exception cref="CdaFormatException">Not an ePrescription CDA, or no patient identifier.</exception>
    public TransformationResult<IReadOnlyList<MedicationRequest>> PrescriptionToFhir(XDocument cda)
    {
        ArgumentNullException.ThrowIfNull(cda);
        return _reader.Prescriptions(cda);
    }

    /// <summary>An eHDSI eDispensation to a MedicationDispense in the shape Konfido's back ends accept.</summary>
    /// <param name="cda">The CDA document.</param>
    /// <exception cref="CdaFormatException">Not an eDispensation, no patient, or no prescription reference.</exception>
    public TransformationResult<MedicationDispense> DispensationToFhir(XDocument cda)
    {
        ArgumentNullException.ThrowIfNull(cda);
        return _reader.Dispensation(cda);
    }

    /// <summary>An IPS document Bundle to an eHDSI Patient Summary.</summary>
    /// <param name="ips">The Bundle (Composition first).</param>
    /// <exception cref="CdaFormatException">No Composition or Patient.</exception>
    public TransformationResult<XDocument> PatientSummaryToCda(Bundle ips)
    {
        ArgumentNullException.ThrowIfNull(ips);
        return _writer.PatientSummary(ips);
    }

    /// <summary>MedicationRequests of one patient to an eHDSI ePrescription. Requires at least one request.</summary>
    /// <param name="requests">The prescriptions.</param>
    /// <param name="country">The prescribing country (ISO 3166-1 alpha-2).</param>
    /// <exception cref="CdaFormatException">A request without a subject identifier.</exception>
    public TransformationResult<XDocument> PrescriptionToCda(IReadOnlyList<MedicationRequest> requests, string country)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfZero(requests.Count);
        ArgumentException.ThrowIfNullOrWhiteSpace(country);
        return _writer.Prescription(requests, country);
    }

    /// <summary>A MedicationDispense to an eHDSI eDispensation.</summary>
    /// <param name="dispense">The dispensation.</param>
    /// <param name="country">The dispensing country, when the dispense has no contained Location.</param>
    /// <exception cref="CdaFormatException">No authorizing prescription or subject identifier.</exception>
    public TransformationResult<XDocument> DispensationToCda(MedicationDispense dispense, string country)
    {
        ArgumentNullException.ThrowIfNull(dispense);
        ArgumentException.ThrowIfNullOrWhiteSpace(country);
        return _writer.Dispensation(dispense, country);
    }
}
