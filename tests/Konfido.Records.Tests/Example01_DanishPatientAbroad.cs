using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Konfido.Fhir;
using Konfido.Records;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Records.Tests;

/// <summary>
/// Example 1, the reference story as the national back end of Denmark sees it: Lars Jensen, a Danish COPD
/// patient, falls ill in Barcelona; the Spanish doctor finds him, reads his Patient Summary, and his inhaler
/// prescription is dispensed in a pharmacy abroad, once.
/// </summary>
public sealed class Example01_DanishPatientAbroad
{
    [Fact]
    public async Task Run()
    {
        // 1. The Danish node opens its store (embedded SQLite here) and seeds the synthetic patients.
        await using var store = await NationalBackendFactory.OpenAsync("sqlite", ":memory:", "DK");
        INationalBackend denmark = store; // what the exchange node codes against

        // 2. Patient discovery: by CPR number, or by family name and date of birth.
        var byCpr = await denmark.FindPatientsAsync(new PatientQuery(DanishCpr.System, SyntheticPatients.DemoDanishCopdPatient));
        var byDemographics = await denmark.FindPatientsAsync(new PatientQuery(FamilyName: "jensen", BirthDate: new DateOnly(1956, 3, 12)));
        Assert.Equal(byCpr.Single().Id, byDemographics.Single().Id);

        // 3. The Patient Summary: an IPS document Bundle that passes the contract's IPS rules.
        var summary = await denmark.GetPatientSummaryAsync(SyntheticPatients.DemoDanishCopdPatient);
        var validation = IpsValidator.Validate(summary!.ToJson());
        Assert.True(validation.IsValid);
        Assert.Contains(summary.Entry.Select(e => e.Resource).OfType<Condition>(), c => c.Code.Text == "Chronic obstructive pulmonary disease");

        // 4. ePrescriptions: the inhaler is among the active MedicationRequests.
        var prescriptions = await denmark.GetPrescriptionsAsync(SyntheticPatients.DemoDanishCopdPatient);
        var inhaler = prescriptions!.Single(p => p.Id == SyntheticPatients.DemoDanishCopdPrescription);
        Assert.Equal(MedicationRequest.MedicationrequestStatus.Active, inhaler.Status);

        // 5. eDispensation from a pharmacy abroad: the first succeeds, a second one is refused.
        var dispense = EDispensation.Create(inhaler.Id, SyntheticPatients.DemoDanishCopdPatient, DanishCpr.System,
            dispensingCountry: "ES", pharmacy: "Farmàcia Provença, Barcelona", handedOver: DateTimeOffset.UtcNow, quantity: 1, quantityUnit: "inhaler");
        Assert.Equal(DispenseStatus.Dispensed, (await denmark.DispenseAsync(dispense)).Status);
        Assert.Equal(DispenseStatus.AlreadyDispensed, (await denmark.DispenseAsync(dispense)).Status);

        // 6. What the node returns when something is refused: an OperationOutcome.
        var outcome = OperationOutcomes.Error(IssueCodes.BusinessRule, "Prescription already dispensed.");
        Assert.Equal(OperationOutcome.IssueType.BusinessRule, outcome.Issue.Single().Code);
    }
}
