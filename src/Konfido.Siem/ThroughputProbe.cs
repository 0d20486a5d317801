using System.Diagnostics;
using Konfido.Siem.Events;
using Konfido.Siem.Parsing;
using Konfido.Siem.Sigma;

namespace Konfido.Siem;

/// <summary>The figures of one throughput measurement.</summary>
/// <param name="Threads">Worker threads.</param>
/// <param name="Events">Events processed end to end (all threads).</param>
/// <param name="Elapsed">Wall time of the end-to-end run.</param>
/// <param name="Matches">Rule matches and correlations produced.</param>
/// <param name="ParseErrors">Lines that became error events.</param>
/// <param name="ParseEventsPerSecond">Parse + normalise only, one thread, per CPU-second where measurable.</param>
/// <param name="MatchEventsPerSecond">Rule matching and correlation only (pre-parsed events), one thread, per CPU-second where measurable.</param>
/// <param name="CpuTime">CPU time the workers consumed in the end-to-end run (null where the platform cannot tell).</param>
public sealed record ThroughputResult(int Threads, long Events, TimeSpan Elapsed, long Matches, long ParseErrors,
    double ParseEventsPerSecond, double MatchEventsPerSecond, TimeSpan? CpuTime)
{
    /// <summary>End-to-end events per second over all threads (wall clock).</summary>
    public double EventsPerSecond => Events / Elapsed.TotalSeconds;

    /// <summary>End-to-end events per CPU-second: the throughput of one core that the workers have to themselves.</summary>
    public double? EventsPerCpuSecond => CpuTime is { } cpu && cpu > TimeSpan.Zero ? Events / cpu.TotalSeconds : null;
}

/// <summary>Measures sustained events/s through parse + normalise + match, per stage and end to end.</summary>
public static class ThroughputProbe
{
    /// <summary>
    /// Runs the stages for <paramref name="duration"/> each: parse only and match only on one
    /// thread, then the whole pipeline on <paramref name="threads"/> threads, each with its own
    /// parser state and detection engine over the shared compiled rules.
    /// </summary>
    /// <param name="rules">The rules.</param>
    /// <param name="lines">The traffic (replayed in a loop).</param>
    /// <param name="duration">The measurement time per stage.</param>
    /// <param name="threads">Worker threads for the end-to-end run.</param>
    public static ThroughputResult Measure(SigmaRuleSet rules, IReadOnlyList<string> lines, TimeSpan duration, int threads)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        using var pseudonymiser = PatientPseudonymiser.CreateRandom();
        var parser = new LogParser(LogFormat.Auto, pseudonymiser);

        // Warm-up: the whole pipeline for as long as one measurement (at most 3 s), then a pause, so
        // that the figures are those of the steady state (tier-1 code after the JIT's tiering, which
        // a loaded machine delays), not of the first seconds.
        var warm = new DetectionEngine(rules);
        var warmClock = Stopwatch.StartNew();
        var warmLimit = TimeSpan.FromSeconds(Math.Min(3.0, duration.TotalSeconds));
        for (var i = 0; warmClock.Elapsed < warmLimit || i < Math.Min(lines.Count, 2000); i++)
        {
            warm.Process(parser.Parse(lines[i % lines.Count]));
        }

        Thread.Sleep(300);

        // The pre-parsed input of stage 2 (untimed).
        var parsed = lines.Select(parser.Parse).ToArray();

        // Stage 1: parse + normalise (results dropped, as a pipeline hands them on).
        var cpu0 = ThreadCpuClock.Now();
        var sw = Stopwatch.StartNew();
        long parseCount = 0;
        while (sw.Elapsed < duration / 2 || parseCount < 256)
        {
            parser.Parse(lines[(int)(parseCount % lines.Count)]);
            parseCount++;
        }

        var parseRate = parseCount / Seconds(sw, cpu0);

        // Stage 2: match + correlate on pre-parsed events.
        var engine = new DetectionEngine(rules);
        cpu0 = ThreadCpuClock.Now();
        sw.Restart();
        long matchCount = 0;
        while (sw.Elapsed < duration / 2)
        {
            engine.Process(parsed[(int)(matchCount % parsed.Length)]);
            matchCount++;
        }

        var matchRate = matchCount / Seconds(sw, cpu0);

        // End to end on N threads.
        var totals = new long[threads];
        var matches = new long[threads];
        var errors = new long[threads];
        var cpu = new long[threads];
        using var start = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var local = new DetectionEngine(rules);
            var offset = t * lines.Count / threads;
            var clock = new Stopwatch();
            start.SignalAndWait();
            var cpuStart = ThreadCpuClock.Now();
            clock.Start();
            long n = 0, m = 0, err = 0;
            while ((n & 255) != 0 || clock.Elapsed < duration)
            {
                var e = parser.Parse(lines[(int)((offset + n) % lines.Count)]);
                if (LogParser.IsError(e))
                {
                    err++;
                }

                var result = local.Process(e);
                m += result.Matches.Count + result.Correlations.Count;
                n++;
            }

            cpu[t] = cpuStart < 0 ? -1 : ThreadCpuClock.Now() - cpuStart;
            totals[t] = n;
            matches[t] = m;
            errors[t] = err;
        }) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        start.SignalAndWait();
        sw.Restart();
        workers.ForEach(w => w.Join());
        var elapsed = sw.Elapsed;
        TimeSpan? cpuTime = cpu.All(c => c > 0) ? TimeSpan.FromTicks(cpu.Sum() / 100) : null;
        return new ThroughputResult(threads, totals.Sum(), elapsed, matches.Sum(), errors.Sum(), parseRate, matchRate, cpuTime);
    }

    /// <summary>CPU seconds of this thread since <paramref name="cpuStart"/> when measurable, else wall seconds.</summary>
    private static double Seconds(Stopwatch wall, long cpuStart)
    {
        var now = ThreadCpuClock.Now();
        return cpuStart >= 0 && now > cpuStart ? (now - cpuStart) / 1e9 : wall.Elapsed.TotalSeconds;
    }
}
