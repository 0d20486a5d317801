using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konfido.Node;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    /// <summary><c>konfido exchange soak</c>: the three-node federation under continuous traffic for minutes.</summary>
    private static Command SoakCommand(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout." };
        var minutes = new Option<double>("--minutes") { Description = "How long to run.", DefaultValueFactory = _ => 5 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once (split between ES and IT).", DefaultValueFactory = _ => 8 };
        var interval = new Option<double>("--sample-seconds") { Description = "Seconds between samples of throughput, latency and memory.", DefaultValueFactory = _ => 10 };
        var soak = new Command("soak", "Soak test: DK, ES and IT under continuous cross-border traffic with SIEM ingestion and ledger publication running; reports throughput, latency and memory over time and checks that nothing leaks or is lost.")
        {
            json, minutes, concurrency, interval,
        };
        soak.SetAction((parse, cancellationToken) => RunSoakAsync(context, parse.GetValue(json), parse.GetValue(minutes), parse.GetValue(concurrency), parse.GetValue(interval), cancellationToken));
        return soak;
    }

    private static async Task<int> RunSoakAsync(CliContext context, bool json, double minutes, int concurrency, double sampleSeconds, CancellationToken cancellationToken)
    {
        if (minutes is <= 0 or > 24 * 60)
        {
            throw new CliInputException($"--minutes {minutes} must be in (0, 1440]");
        }

        if (concurrency is < 2 or > 512)
        {
            throw new CliInputException($"--concurrency {concurrency} must be between 2 and 512");
        }

        if (sampleSeconds is < 1 or > 600)
        {
            throw new CliInputException($"--sample-seconds {sampleSeconds} must be in [1, 600]");
        }

        var directory = Path.Combine(Path.GetTempPath(), $"konfido-soak-{Guid.NewGuid():N}");
        try
        {
            await using var federation = await LocalFederation.StartAsync(directory, [("DK", "Denmark NCP"), ("ES", "Spain NCP"), ("IT", "Italy NCP")],
                NodeBackends.Open, _ => new CountingSecurityEventSink(), configure: c =>
                {
                    c.Ledger!.PublishInterval = TimeSpan.FromSeconds(5);
                    return c;
                }, cancellationToken: cancellationToken).ConfigureAwait(false);
            var patient = NodeBackends.DemoPatient;
            await federation[patient.HomeCountry].Policy!.Consents.GrantAsync(new Konfido.Policy.Consent.ConsentGrant(patient.IdentifierValue, Konfido.Policy.Consent.ConsentEffect.Permit,
                ["TREATMENT"], ["ES", "IT"], DateTimeOffset.UtcNow.AddMinutes(-1), null), cancellationToken).ConfigureAwait(false);
            var token = Uri.EscapeDataString($"{patient.IdentifierSystem}|{patient.IdentifierValue}");
            using var doctor = await federation.LoginAsync("ES", DemoProfessionals.SpanishDoctor, cancellationToken: cancellationToken).ConfigureAwait(false);
            using var pharmacist = await federation.LoginAsync("IT", DemoProfessionals.ItalianPharmacist, cancellationToken: cancellationToken).ConfigureAwait(false);

            var load = new SoakLoad();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var workers = Enumerable.Range(0, concurrency).Select(i => i % 2 == 0
                ? load.RunAsync(doctor, $"api/DK/Patient/$summary?identifier={token}", stop.Token)
                : load.RunAsync(pharmacist, $"api/DK/MedicationRequest?patient.identifier={token}", stop.Token)).ToArray();

            var samples = new JsonArray();
            var clock = Stopwatch.StartNew();
            var duration = TimeSpan.FromMinutes(minutes);
            var process = Process.GetCurrentProcess();
            var (lastCount, lastTime) = (0L, TimeSpan.Zero);
            var heapAfterWarmUp = -1L;
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                var wait = TimeSpan.FromSeconds(sampleSeconds) < duration - clock.Elapsed ? TimeSpan.FromSeconds(sampleSeconds) : duration - clock.Elapsed;
                try
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                var (count, latencies, errors) = load.TakeInterval();
                var now = clock.Elapsed;
                process.Refresh();
                var heap = GC.GetTotalMemory(forceFullCollection: true);
                if (heapAfterWarmUp < 0 && now >= duration / 4)
                {
                    heapAfterWarmUp = heap;
                }

                latencies.Sort();
                var rate = (count - lastCount) / (now - lastTime).TotalSeconds;
                var sample = new JsonObject
                {
                    ["t_s"] = Math.Round(now.TotalSeconds, 1),
                    ["requests_per_second"] = Math.Round(rate, 1),
                    ["p50_ms"] = Math.Round(Percentile(latencies, 0.50), 2),
                    ["p99_ms"] = Math.Round(Percentile(latencies, 0.99), 2),
                    ["errors"] = errors,
                    ["managed_heap_mb"] = Math.Round(heap / 1048576.0, 1),
                    ["working_set_mb"] = Math.Round(process.WorkingSet64 / 1048576.0, 1),
                    ["threads"] = process.Threads.Count,
                    ["ledger_sizes"] = new JsonObject(federation.Nodes.Select(n => KeyValuePair.Create(n.Key, (JsonNode?)n.Value.Components.Ledger!.Log.Head.Size))),
                };
                samples.Add(sample);
                await context.Err.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"soak {now.TotalSeconds,6:0}s: {rate,7:0.0}/s  p50 {Percentile(latencies, 0.5),6:0.00} ms  p99 {Percentile(latencies, 0.99),7:0.00} ms  errors {errors}  heap {heap / 1048576.0,6:0.0} MB  ws {process.WorkingSet64 / 1048576.0,6:0.0} MB")).ConfigureAwait(false);
                (lastCount, lastTime) = (count, now);
            }

            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(workers).ConfigureAwait(false);

            // Nothing lost: every acknowledged exchange has its entry at DK, and every ledger is published and cosigned at its final size.
            var checks = new JsonObject();
            var dk = federation["DK"].Components.Ledger!;
            var served = await CountServedAsync(dk, cancellationToken).ConfigureAwait(false);
            checks["every_acknowledged_exchange_audited"] = served >= load.Acknowledged;
            var cosigned = true;
            foreach (var node in federation.Nodes.Values)
            {
                await node.Siem!.FlushAsync(cancellationToken).ConfigureAwait(false);
                var published = await node.Components.Ledger!.Publisher!.PublishAsync(cancellationToken).ConfigureAwait(false);
                cosigned &= published.Published;
            }

            checks["ledgers_cosigned"] = cosigned;
            var heapAtEnd = GC.GetTotalMemory(forceFullCollection: true);
            // Bounded state (correlation windows, caches) grows and then levels off; a leak grows with the traffic for
            // ever. So the heap must grow in the last third of the run by at most half of what it grew in the first
            // third, plus 8 MB of noise (runs shorter than the SIEM's 10-minute windows cannot tell the two apart).
            var heaps = samples.Select(s => s!["managed_heap_mb"]!.GetValue<double>()).ToArray();
            var third = heaps.Length / 3;
            checks["no_leak"] = third < 1 || heaps[^1] - heaps[^(third + 1)] <= 0.5 * (heaps[third] - heaps[0]) + 8;
            checks["no_errors"] = load.Errors == 0;
            var ok = checks.All(c => c.Value!.GetValue<bool>());
            var result = new JsonObject
            {
                ["ok"] = ok,
                ["minutes"] = minutes,
                ["concurrency"] = concurrency,
                ["acknowledged"] = load.Acknowledged,
                ["errors"] = load.Errors,
                ["requests_per_second"] = Math.Round(load.Acknowledged / clock.Elapsed.TotalSeconds, 1),
                ["dk_served_entries"] = served,
                ["heap_after_warm_up_mb"] = Math.Round(heapAfterWarmUp / 1048576.0, 1),
                ["heap_at_end_mb"] = Math.Round(heapAtEnd / 1048576.0, 1),
                ["checks"] = checks,
                ["samples"] = samples,
            };
            if (json)
            {
                context.WriteJson(result);
            }
            else
            {
                await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"soak {(ok ? "ok" : "FAILED")}: {load.Acknowledged} exchanges in {clock.Elapsed.TotalMinutes:0.0} min ({load.Acknowledged / clock.Elapsed.TotalSeconds:0.0}/s), {load.Errors} errors; heap {heapAfterWarmUp / 1048576.0:0.0} -> {heapAtEnd / 1048576.0:0.0} MB; {string.Join(", ", checks.Select(c => $"{c.Key}={c.Value}"))}")).ConfigureAwait(false);
            }

            return ok ? ExitCodes.Ok : ExitCodes.CheckFailed;
        }
        finally
        {
            TryDelete(directory);
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task<long> CountServedAsync(NodeLedger ledger, CancellationToken cancellationToken)
    {
        long served = 0;
        for (long i = 0; i < ledger.Log.Head.Size; i++)
        {
            using var entry = JsonDocument.Parse(await ledger.Log.ReadEntryAsync(i, cancellationToken).ConfigureAwait(false));
            var root = entry.RootElement;
            if (root.GetProperty("node").GetString() == "DK" && root.GetProperty("outcome").GetString() == "success"
                && root.GetProperty("action").GetString() is "ips-retrieve" or "eprescription-list")
            {
                served++;
            }
        }

        return served;
    }

    /// <summary>Counts acknowledged requests and errors, and collects the latencies of the current interval.</summary>
    private sealed class SoakLoad
    {
        private readonly Lock _gate = new();
        private List<double> _latencies = [];
        private long _acknowledged;
        private long _errors;

        public long Acknowledged => Interlocked.Read(ref _acknowledged);

        public long Errors => Interlocked.Read(ref _errors);

        public (long Count, List<double> Latencies, long Errors) TakeInterval()
        {
            lock (_gate)
            {
                var taken = _latencies;
                _latencies = new List<double>(taken.Count);
                return (Acknowledged, taken, Errors);
            }
        }

        public async Task RunAsync(HttpClient client, string url, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.GetAsync(url, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref _acknowledged);
                        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                        lock (_gate)
                        {
                            _latencies.Add(elapsed);
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref _errors);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref _errors);
                }
            }
        }
    }
}
