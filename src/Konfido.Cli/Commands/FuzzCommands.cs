using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konfido.Fuzzing;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddFuzz(RootCommand root, CliContext context)
    {
        var fuzz = new Command("fuzz", "Fuzzes every parser that takes outside input (FHIR, SAML, syslog/ATNA/CEF, Sigma, signed notes, HE objects, PUF helper data, ...).");
        fuzz.Add(FuzzList(context));
        fuzz.Add(FuzzRun(context));
        fuzz.Add(FuzzReplay(context));
        root.Add(fuzz);
    }

    private static Command FuzzList(CliContext context)
    {
        var json = JsonOption();
        var command = new Command("list", "Lists the fuzz targets.") { json };
        command.SetAction(r =>
        {
            var targets = FuzzTargets.CreateAll();
            if (r.GetValue(json))
            {
                context.WriteJson(new JsonObject
                {
                    ["targets"] = new JsonArray([.. targets.Select(t => (JsonNode)new JsonObject
                    {
                        ["name"] = t.Name,
                        ["shape"] = t.Shape.ToString().ToLowerInvariant(),
                        ["description"] = t.Description,
                    })]),
                });
            }
            else
            {
                foreach (var t in targets)
                {
                    context.Out.WriteLine($"{t.Name,-20} {t.Description}");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command FuzzRun(CliContext context)
    {
        var target = new Option<string[]>("--target") { Description = "A target to fuzz (repeatable); all targets by default." };
        var seconds = new Option<double>("--seconds") { Description = "Wall time per target, in seconds.", DefaultValueFactory = _ => 10 };
        var inputs = new Option<long?>("--inputs") { Description = "At most this many inputs per target (seeds included)." };
        var seed = new Option<ulong>("--seed") { Description = "The random seed (the same seed repeats the same inputs over the same seed corpus).", DefaultValueFactory = _ => 1 };
        var timeout = new Option<int>("--timeout-ms") { Description = "Per-input time limit in milliseconds; longer is a hang (a crash).", DefaultValueFactory = _ => 5000 };
        var output = new Option<string?>("--out") { Description = "Directory for the minimised reproducers (DIR/TARGET/crash-*.bin, .txt)." };
        var json = JsonOption();
        var command = new Command("run", "Fuzzes the targets for a bounded time each; exit 1 if any input crashed a parser.") { target, seconds, inputs, seed, timeout, output, json };
        command.SetAction((r, ct) =>
        {
            var names = r.GetValue(target) ?? [];
            var all = FuzzTargets.CreateAll();
            var unknown = names.Where(n => all.All(t => t.Name != n)).ToList();
            if (unknown.Count > 0)
            {
                throw new CliInputException($"--target: unknown target {string.Join(", ", unknown)} (known: {string.Join(", ", all.Select(t => t.Name))})");
            }

            var perTarget = r.GetValue(seconds);
            if (!(perTarget > 0) || perTarget > 86_400)
            {
                throw new CliInputException("--seconds: must be a positive number of seconds (at most 86400)");
            }

            if (r.GetValue(inputs) is < 1)
            {
                throw new CliInputException("--inputs: must be at least 1");
            }

            if (r.GetValue(timeout) < 1)
            {
                throw new CliInputException("--timeout-ms: must be at least 1");
            }

            var options = new FuzzOptions
            {
                Seed = r.GetValue(seed),
                Duration = TimeSpan.FromSeconds(perTarget),
                MaxInputs = r.GetValue(inputs),
                InputTimeout = TimeSpan.FromMilliseconds(r.GetValue(timeout)),
                ReproducerDirectory = r.GetValue(output) is { } dir ? Path.GetFullPath(dir) : null,
            };
            var engine = new FuzzEngine(options);
            var selected = names.Length == 0 ? all : [.. all.Where(t => names.Contains(t.Name))];
            var reports = new List<FuzzTargetReport>();
            foreach (var t in selected)
            {
                if (ct.IsCancellationRequested)
                {
                    break;
                }

                context.Err.WriteLine($"fuzz {t.Name}: making seeds ...");
                var report = engine.Run(t, p => context.Err.WriteLine($"fuzz {p.Target}: {p.InputsTried} inputs, {p.Crashes} crashes, {p.Elapsed.TotalSeconds:0}s"), ct);
                context.Err.WriteLine($"fuzz {t.Name}: done, {report.InputsTried} inputs ({report.InputsPerSecond:0}/s), {report.Accepted} accepted, {report.Rejected} rejected, {report.Crashes} crashes ({report.UniqueCrashes.Count} unique)");
                foreach (var crash in report.UniqueCrashes)
                {
                    context.Err.WriteLine($"  crash {crash.Signature} x{crash.Count}: {crash.Message}{(crash.Reproducer is null ? "" : $" -> {crash.Reproducer}")}");
                }

                reports.Add(report);
                (t as IDisposable)?.Dispose();
            }

            var crashes = reports.Sum(x => x.Crashes);
            if (r.GetValue(json))
            {
                using var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
                {
                    writer.WriteStartObject();
                    writer.WriteBoolean("ok", crashes == 0);
                    writer.WriteNumber("seed", options.Seed);
                    writer.WriteNumber("seconds_per_target", perTarget);
                    writer.WriteNumber("total_inputs", reports.Sum(x => x.InputsTried));
                    writer.WriteNumber("total_crashes", crashes);
                    writer.WriteNumber("total_unique_crashes", reports.Sum(x => x.UniqueCrashes.Count));
                    writer.WriteStartArray("targets");
                    foreach (var report in reports)
                    {
                        report.WriteTo(writer);
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                context.WriteJson(JsonNode.Parse(buffer.ToArray())!);
            }
            else
            {
                context.Out.WriteLine($"{"target",-20} {"inputs",9} {"accepted",9} {"rejected",9} {"crashes",8} {"unique",6} {"inputs/s",9}");
                foreach (var report in reports)
                {
                    context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{report.Target,-20} {report.InputsTried,9} {report.Accepted,9} {report.Rejected,9} {report.Crashes,8} {report.UniqueCrashes.Count,6} {report.InputsPerSecond,9:0}"));
                }
            }

            return Task.FromResult(crashes == 0 ? ExitCodes.Ok : ExitCodes.CheckFailed);
        });
        return command;
    }

    private static Command FuzzReplay(CliContext context)
    {
        var target = new Option<string>("--target") { Description = "The target.", Required = true };
        var file = new Argument<string>("file") { Description = "The input to replay (e.g. a reproducer crash-*.bin)." };
        var json = JsonOption();
        var command = new Command("replay", "Runs one input through a target: exit 0 if accepted or rejected as documented, 1 if it crashes.") { target, file, json };
        command.SetAction(r =>
        {
            var name = r.GetValue(target)!;
            var t = FuzzTargets.Find(name) ?? throw new CliInputException($"--target: unknown target {name}");
            var input = CliContext.ReadBytes(r.GetValue(file)!, "input");
            FuzzResult result;
            Exception? crash = null;
            try
            {
                result = t.Run(input);
            }
#pragma warning disable CA1031 // A crash is the finding being replayed: it is reported, not swallowed.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                crash = ex;
                result = new FuzzResult(FuzzOutcome.Crash, ex.Message);
            }

            if (r.GetValue(json))
            {
                context.WriteJson(new JsonObject
                {
                    ["target"] = name,
                    ["outcome"] = result.Outcome.ToString().ToLowerInvariant(),
                    ["reason"] = result.Reason,
                    ["signature"] = crash is null ? null : CrashSignature.Of(crash, hung: false),
                });
            }
            else
            {
                context.Err.WriteLine(crash is null ? $"{result.Outcome.ToString().ToLowerInvariant()}{(result.Reason is null ? "" : $": {result.Reason}")}" : $"crash {CrashSignature.Of(crash, false)}\n{crash}");
            }

            (t as IDisposable)?.Dispose();
            return crash is null ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }
}
