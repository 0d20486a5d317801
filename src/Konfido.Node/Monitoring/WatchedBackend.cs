using Hl7.Fhir.Model;
using Konfido.Records;

namespace Konfido.Node;

/// <summary>
/// A national back end whose database failures (the server unreachable, the connection cut, a timeout;
/// not a query's own error) and recovery are reported to <see cref="NodeHealth"/>; everything else passes through.
/// </summary>
internal sealed class WatchedBackend(INationalBackend inner, NodeHealth health) : INationalBackend
{
    public string Country => inner.Country;

    public System.Threading.Tasks.Task<IReadOnlyList<Patient>> FindPatientsAsync(PatientQuery query, CancellationToken cancellationToken = default) =>
        WatchAsync(() => inner.FindPatientsAsync(query, cancellationToken));

    public System.Threading.Tasks.Task<Bundle?> GetPatientSummaryAsync(string nationalId, CancellationToken cancellationToken = default) =>
        WatchAsync(() => inner.GetPatientSummaryAsync(nationalId, cancellationToken));

    public System.Threading.Tasks.Task<IReadOnlyList<MedicationRequest>?> GetPrescriptionsAsync(string nationalId, CancellationToken cancellationToken = default) =>
        WatchAsync(() => inner.GetPrescriptionsAsync(nationalId, cancellationToken));

    public System.Threading.Tasks.Task<DispenseResult> DispenseAsync(MedicationDispense dispense, CancellationToken cancellationToken = default) =>
        WatchAsync(() => inner.DispenseAsync(dispense, cancellationToken));

    private async System.Threading.Tasks.Task<T> WatchAsync<T>(Func<System.Threading.Tasks.Task<T>> call)
    {
        T result;
        try
        {
            result = await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (NodeHealth.IsUnavailable(ex))
        {
            health.ReportDatabase(ex);
            throw;
        }

        health.ReportDatabase(null);
        return result;
    }
}
