namespace Konfido.Siem.Ingestion;

/// <summary>A snapshot of the ingestion counters, for metrics (no event is lost silently: every one is counted somewhere).</summary>
/// <param name="Received">Lines and events handed to the SIEM.</param>
/// <param name="Parsed">Lines parsed (or events normalised) successfully.</param>
/// <param name="Failed">Lines that became error events (they are still evaluated and kept).</param>
/// <param name="Dropped">Items refused because the queue was full (UDP only; TCP and in-process callers wait).</param>
/// <param name="Processed">Items that went through detection.</param>
/// <param name="Matches">Rule matches and correlations.</param>
/// <param name="Alerts">Alerts raised (new, after de-duplication).</param>
/// <param name="QueueLength">Items waiting in the queue now.</param>
public sealed record IngestionCounters(long Received, long Parsed, long Failed, long Dropped, long Processed, long Matches, long Alerts, int QueueLength)
{
    /// <summary>The counters as metric name → value (Prometheus-style names).</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["konfido_siem_events_received_total"] = Received,
        ["konfido_siem_events_parsed_total"] = Parsed,
        ["konfido_siem_events_failed_total"] = Failed,
        ["konfido_siem_events_dropped_total"] = Dropped,
        ["konfido_siem_events_processed_total"] = Processed,
        ["konfido_siem_matches_total"] = Matches,
        ["konfido_siem_alerts_total"] = Alerts,
        ["konfido_siem_queue_length"] = QueueLength,
    };
}
