using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Konfido.Core;
using Konfido.Node;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddExchange(RootCommand root, CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout." };
        var seconds = new Option<double>("--seconds") { Description = "How long to measure (after a warm-up).", DefaultValueFactory = _ => 10 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once.", DefaultValueFactory = _ => 16 };
        var bench = new Command("bench", "Cross-border IPS retrieval B -> A -> B on loopback (mutual TLS, signing and verification): p50/p99 latency and retrievals/s.")
        {
            json, seconds, concurrency,
        };
        bench.SetAction((parse, cancellationToken) => RunExchangeBenchAsync(context, parse.GetValue(json), parse.GetValue(seconds), parse.GetValue(concurrency), cancellationToken));
        root.Add(new Command("exchange", "Cross-border exchange tools.") { bench, SoakCommand(context) });
    }

    private static async Task<int> RunExchangeBenchAsync(CliContext context, bool json, double seconds, int concurrency, CancellationToken cancellationToken)
    {
        if (seconds is <= 0 or > 3600)
        {
            throw new CliInputException($"--seconds {seconds} must be in (0, 3600]");
        }

        if (concurrency is < 1 or > 1024)
        {
            throw new CliInputException($"--concurrency {concurrency} must be between 1 and 1024");
        }

        var directory = Path.Combine(Path.GetTempPath(), $"konfido-exchange-bench-{Guid.NewGuid():N}");
        try
        {
            await using var federation = await LocalFederation.StartAsync(directory, [("DK", "Denmark NCP"), ("ES", "Spain NCP")],
                NodeBackends.Open, _ => new CountingSecurityEventSink(), cancellationToken: cancellationToken).ConfigureAwait(false);
            var patient = NodeBackends.DemoPatient;
            var url = $"api/{patient.HomeCountry}/Patient/$summary?identifier={Uri.EscapeDataString($"{patient.IdentifierSystem}|{patient.IdentifierValue}")}";
            using var client = await federation.LoginAsync("ES", DemoProfessionals.SpanishDoctor, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (federation[patient.HomeCountry].Policy is { } policy)
            {
                // The patient consents to treatment abroad, as in the demo; the home country's policy then permits the retrievals.
                await policy.Consents.GrantAsync(new Konfido.Policy.Consent.ConsentGrant(patient.IdentifierValue, Konfido.Policy.Consent.ConsentEffect.Permit,
                    ["TREATMENT"], ["ES"], DateTimeOffset.UtcNow.AddMinutes(-1), null), cancellationToken).ConfigureAwait(false);
            }

            await context.Err.WriteLineAsync($"exchange bench: warming up ({concurrency} in flight)...").ConfigureAwait(false);
            await LoadAsync(client, url, concurrency, TimeSpan.FromSeconds(Math.Min(3, seconds)), null, cancellationToken).ConfigureAwait(false);
            await context.Err.WriteLineAsync($"exchange bench: measuring for {seconds:0.#} s...").ConfigureAwait(false);
            var latencies = new List<double>(capacity: 100_000);
            var elapsed = await LoadAsync(client, url, concurrency, TimeSpan.FromSeconds(seconds), latencies, cancellationToken).ConfigureAwait(false);

            latencies.Sort();
            double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
            var rps = latencies.Count / elapsed.TotalSeconds;
            var result = new JsonObject
            {
                ["operation"] = "ips-retrieve ES->DK->ES (mutual TLS, ES256 sign + verify)",
                ["concurrency"] = concurrency,
                ["seconds"] = Math.Round(elapsed.TotalSeconds, 2),
                ["requests"] = latencies.Count,
                ["requests_per_second"] = Math.Round(rps, 1),
                ["p50_ms"] = Math.Round(Percentile(0.50), 3),
                ["p90_ms"] = Math.Round(Percentile(0.90), 3),
                ["p99_ms"] = Math.Round(Percentile(0.99), 3),
                ["max_ms"] = Math.Round(latencies.Count == 0 ? double.NaN : latencies[^1], 3),
                ["processor_count"] = Environment.ProcessorCount,
            };
            if (json)
            {
                context.WriteJson(result);
            }
            else
            {
                await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{latencies.Count} retrievals in {elapsed.TotalSeconds:0.00} s: {rps:0.0}/s; p50 {Percentile(0.5):0.00} ms, p90 {Percentile(0.9):0.00} ms, p99 {Percentile(0.99):0.00} ms (concurrency {concurrency})")).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }
        finally
        {
            TryDelete(directory);
        }
    }

    private static async Task<TimeSpan> LoadAsync(HttpClient client, string url, int concurrency, TimeSpan duration, List<double>? latencies, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var gate = new Lock();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var local = new List<double>();
            while (total.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(url, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"retrieval answered {(int)response.StatusCode}");
                }

                local.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            if (latencies is not null)
            {
                lock (gate)
                {
                    latencies.AddRange(local);
                }
            }
        }).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return total.Elapsed;
    }

    /// <summary>Counts events without keeping them (the benchmark measures the exchange, not storage of events).</summary>
    private sealed class CountingSecurityEventSink : ISecurityEventSink
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _count);
            return ValueTask.CompletedTask;
        }
    }
}
