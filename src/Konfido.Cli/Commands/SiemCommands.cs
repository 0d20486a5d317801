using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konfido.Siem;
using Konfido.Siem.Events;
using Konfido.Siem.Parsing;
using Konfido.Siem.Sigma;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddSiem(RootCommand root, CliContext context)
    {
        var siem = new Command("siem", "Federated SIEM: Sigma rules and correlations, log parsing, throughput.");
        siem.Add(SiemCheck(context));
        siem.Add(SiemParse(context));
        siem.Add(SiemBench(context));
        root.Add(siem);
    }

    private static Command SiemCheck(CliContext context)
    {
        var rulesOption = new Option<string>("--rules") { Description = "Directory of Sigma rules (*.yml, *.yaml).", Required = true };
        var eventsOption = new Option<string>("--events") { Description = "Events as JSON lines.", Required = true };
        var jsonOption = new Option<bool>("--json") { Description = "Print one JSON document." };
        var command = new Command("check", "Evaluates every Sigma rule (and correlation) on every event, in file order.");
        command.Add(rulesOption);
        command.Add(eventsOption);
        command.Add(jsonOption);
        command.SetAction(parse =>
        {
            var rulesDir = parse.GetValue(rulesOption)!;
            var eventsFile = parse.GetValue(eventsOption)!;
            if (!Directory.Exists(rulesDir))
            {
                throw new CliInputException($"--rules '{rulesDir}': no such directory");
            }

            var rules = SigmaRuleSet.LoadDirectory(rulesDir);
            var lines = CliContext.ReadText(eventsFile, "events file").Split('\n');
            var engine = new DetectionEngine(rules);
            var matches = new JsonArray();
            var correlations = new JsonArray();
            var count = 0;
            for (var lineNo = 0; lineNo < lines.Length; lineNo++)
            {
                var line = lines[lineNo].Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                EventObject e;
                try
                {
                    e = EventObject.ParseJson(line);
                }
                catch (JsonException ex)
                {
                    throw new CliInputException($"events file '{eventsFile}' line {lineNo + 1}: not a JSON object ({ex.Message.ReplaceLineEndings(" ")})");
                }

                count++;
                var result = engine.Process(e);
                foreach (var m in result.Matches)
                {
                    matches.Add(new JsonObject
                    {
                        ["rule_id"] = m.Rule.Id,
                        ["title"] = m.Rule.Title,
                        ["level"] = m.Rule.Level.ToString().ToLowerInvariant(),
                        ["event_index"] = m.EventIndex,
                    });
                }

                AddCorrelations(correlations, result.Correlations);
            }

            AddCorrelations(correlations, engine.Flush());
            var failed = new JsonArray();
            foreach (var r in rules.Report.Where(r => !r.Loaded))
            {
                failed.Add(new JsonObject { ["file"] = r.File, ["reason"] = r.Reason });
            }

            if (parse.GetValue(jsonOption))
            {
                context.WriteJson(new JsonObject
                {
                    ["rules_loaded"] = rules.LoadedCount,
                    ["rules_failed"] = failed,
                    ["events"] = count,
                    ["matches"] = matches,
                    ["correlations"] = correlations,
                });
            }
            else
            {
                context.Out.WriteLine($"rules loaded: {rules.LoadedCount}, failed: {failed.Count}, events: {count}, matches: {matches.Count}, correlations: {correlations.Count}");
                foreach (var r in rules.Report.Where(r => !r.Loaded))
                {
                    context.Out.WriteLine($"  failed {r.File}: {r.Reason}");
                }

                foreach (var m in matches)
                {
                    context.Out.WriteLine($"  match event {m!["event_index"]}: [{m["level"]}] {m["title"]} ({m["rule_id"]})");
                }

                foreach (var c in correlations)
                {
                    context.Out.WriteLine($"  correlation: {c!["title"]} ({c["rule_id"]}) group {c["group"]!.ToJsonString()} events {c["event_indexes"]!.ToJsonString()}");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static void AddCorrelations(JsonArray target, IEnumerable<Konfido.Siem.Correlation.CorrelationMatch> fired)
    {
        foreach (var c in fired)
        {
            var group = new JsonObject();
            foreach (var (k, v) in c.Group)
            {
                group[k] = v;
            }

            target.Add(new JsonObject
            {
                ["rule_id"] = c.Rule.Id,
                ["title"] = c.Rule.Title,
                ["level"] = c.Rule.Level.ToString().ToLowerInvariant(),
                ["group"] = group,
                ["event_indexes"] = new JsonArray(c.EventIndexes.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
            });
        }
    }

    private static Command SiemParse(CliContext context)
    {
        var formatOption = new Option<string>("--format") { Description = "syslog, atna, cef, json or auto.", DefaultValueFactory = _ => "auto" };
        var keyOption = new Option<string?>("--pseudonym-key") { Description = "Hex HMAC key for patient pseudonyms (random per run by default)." };
        var jsonOption = new Option<bool>("--json") { Description = "Print one JSON array instead of JSON lines." };
        var fileArgument = new Argument<string>("FILE") { Description = "The log file, one record per line." };
        var command = new Command("parse", "Parses raw log lines into normalised (ECS-style) events, one JSON object per line.");
        command.Add(formatOption);
        command.Add(keyOption);
        command.Add(jsonOption);
        command.Add(fileArgument);
        command.SetAction(parse =>
        {
            var format = parse.GetValue(formatOption)?.ToLowerInvariant() switch
            {
                "syslog" => LogFormat.Syslog,
                "atna" => LogFormat.Atna,
                "cef" => LogFormat.Cef,
                "json" => LogFormat.Json,
                "auto" or null => LogFormat.Auto,
                var other => throw new CliInputException($"--format '{other}': expected syslog, atna, cef, json or auto"),
            };
            using var pseudonymiser = parse.GetValue(keyOption) is { } hex
                ? new PatientPseudonymiser(CliContext.ParseHex(hex, "--pseudonym-key") is { Length: >= 16 } key ? key : throw new CliInputException("--pseudonym-key: at least 16 bytes"))
                : PatientPseudonymiser.CreateRandom();
            var parser = new LogParser(format, pseudonymiser);
            var text = CliContext.ReadText(parse.GetValue(fileArgument)!, "log file");
            var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            if (lines.Count > 0 && lines[^1].Length == 0)
            {
                lines.RemoveAt(lines.Count - 1);
            }

            var events = lines.Select(parser.Parse).ToList();
            var failed = events.Count(LogParser.IsError);
            if (parse.GetValue(jsonOption))
            {
                context.Out.WriteLine("[" + string.Join(",\n", events.Select(e => e.ToJson())) + "]");
            }
            else
            {
                foreach (var e in events)
                {
                    context.Out.WriteLine(e.ToJson());
                }
            }

            context.Err.WriteLine($"parsed {events.Count - failed} of {events.Count} lines ({failed} with error.message)");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The 1-minute load average (Linux), to read the figures against; null elsewhere.</summary>
    private static double? LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static Command SiemBench(CliContext context)
    {
        var jsonOption = new Option<bool>("--json") { Description = "Print one JSON document." };
        var secondsOption = new Option<double>("--seconds") { Description = "Measurement time per configuration.", DefaultValueFactory = _ => 2.0 };
        var threadsOption = new Option<int?>("--threads") { Description = "Worker threads (each runs its own pipeline); by default one, then two." };
        var rulesOption = new Option<string?>("--rules") { Description = "Extra rules directory loaded beside the bundled rules." };
        var variantsOption = new Option<int>("--variants") { Description = "Also load N generated variants of every rule (to reach realistic rule counts).", DefaultValueFactory = _ => 0 };
        var command = new Command("bench", "Sustained events/s through parse + normalise + all bundled rules, with per-stage figures.");
        command.Add(variantsOption);
        command.Add(jsonOption);
        command.Add(secondsOption);
        command.Add(threadsOption);
        command.Add(rulesOption);
        command.SetAction(parse =>
        {
            var seconds = parse.GetValue(secondsOption);
            var threads = parse.GetValue(threadsOption);
            if (seconds is <= 0 or > 600 || threads is < 1 or > 64)
            {
                throw new CliInputException("--seconds must lie in (0, 600] and --threads in [1, 64]");
            }

            var variants = parse.GetValue(variantsOption);
            if (variants is < 0 or > 1000)
            {
                throw new CliInputException("--variants must lie in [0, 1000]");
            }

            var files = BundledRules.Files.Select(f => (Name: "bundled:" + f.Key, Text: f.Value)).ToList();
            if (parse.GetValue(rulesOption) is { } dir)
            {
                if (!Directory.Exists(dir))
                {
                    throw new CliInputException($"--rules '{dir}': no such directory");
                }

                files.AddRange(Directory.EnumerateFiles(dir, "*.y*ml", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                    .Select(f => (Name: f, Text: CliContext.ReadText(f, "rule file"))));
            }

            var loader = new SigmaRuleLoader(BundledRules.Configuration);
            foreach (var (name, text) in files)
            {
                loader.AddText(text, name);
                for (var v = 1; v <= variants; v++)
                {
                    try
                    {
                        loader.AddText(RuleVariants.Generate(text, v), $"{name}#v{v}");
                    }
                    catch (FormatException)
                    {
                        // The original already reports the bad YAML.
                    }
                }
            }

            var rules = loader.Build();
            var traffic = SampleTraffic.Generate(20_000, seed: 7);
            int[] threadCounts = threads is { } t ? [t] : [1, 2];
            var results = new List<ThroughputResult>();
            foreach (var n in threadCounts)
            {
                context.Err.WriteLine($"measuring {n} thread(s) for {seconds.ToString(CultureInfo.InvariantCulture)} s with {rules.LoadedCount} rules ...");
                results.Add(ThroughputProbe.Measure(rules, traffic, TimeSpan.FromSeconds(seconds), n));
            }

            var result = results[0];
            if (parse.GetValue(jsonOption))
            {
                var runs = new JsonArray();
                foreach (var r in results)
                {
                    runs.Add(new JsonObject
                    {
                        ["threads"] = r.Threads,
                        ["events"] = r.Events,
                        ["seconds"] = Math.Round(r.Elapsed.TotalSeconds, 3),
                        ["events_per_second"] = Math.Round(r.EventsPerSecond),
                        ["events_per_second_per_thread"] = Math.Round(r.EventsPerSecond / r.Threads),
                        ["events_per_cpu_second"] = r.EventsPerCpuSecond is { } runPerCpu ? Math.Round(runPerCpu) : null,
                        ["cpu_seconds"] = r.CpuTime is { } runCpu ? Math.Round(runCpu.TotalSeconds, 3) : null,
                        ["matches"] = r.Matches,
                    });
                }

                context.WriteJson(new JsonObject
                {
                    ["rules"] = rules.LoadedCount,
                    ["threads"] = result.Threads,
                    ["events"] = result.Events,
                    ["seconds"] = Math.Round(result.Elapsed.TotalSeconds, 3),
                    ["events_per_second"] = Math.Round(result.EventsPerSecond),
                    ["events_per_second_per_thread"] = Math.Round(result.EventsPerSecond / result.Threads),
                    ["events_per_cpu_second"] = result.EventsPerCpuSecond is { } perCpu ? Math.Round(perCpu) : null,
                    ["cpu_seconds"] = result.CpuTime is { } cpuTime ? Math.Round(cpuTime.TotalSeconds, 3) : null,
                    ["matches"] = result.Matches,
                    ["parse_errors"] = result.ParseErrors,
                    ["load_average"] = LoadAverage(),
                    ["stages"] = new JsonObject
                    {
                        ["parse_events_per_second"] = Math.Round(result.ParseEventsPerSecond),
                        ["match_events_per_second"] = Math.Round(result.MatchEventsPerSecond),
                        ["parse_ns_per_event"] = Math.Round(1e9 / result.ParseEventsPerSecond, 1),
                        ["match_ns_per_event"] = Math.Round(1e9 / result.MatchEventsPerSecond, 1),
                    },
                    ["runs"] = runs,
                });
            }
            else
            {
                foreach (var r in results)
                {
                    context.Out.WriteLine($"{rules.LoadedCount} rules, {r.Threads} thread(s): {r.EventsPerSecond:N0} events/s end to end (wall), " +
                        $"{r.EventsPerCpuSecond:N0} events per CPU-second, {r.Matches} matches");
                }

                context.Out.WriteLine($"stages (one thread, per CPU-second): parse+normalise {result.ParseEventsPerSecond:N0}/s, match {result.MatchEventsPerSecond:N0}/s; load average {LoadAverage()}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
