using System.CommandLine;
using System.Text.Json.Nodes;
using Konfido.Cli.Demo;
using Konfido.Core;
using Konfido.Node;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    /// <summary>The federation of the demo: Denmark (the patient's home), Spain and Italy.</summary>
    /// <summary>The demo country whose node runs in OpenNCP mode (IHE SOAP only).</summary>
    internal const string OpenNcpCountry = "IT";

    internal static readonly (string Country, string Name)[] DemoCountries =
        [("DK", "Denmark NCP"), ("ES", "Spain NCP"), ("IT", "Italy NCP")];

    static partial void AddDemo(RootCommand root, CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout: {ok, steps:[{name, ok, detail}]}." };
        var data = new Option<string?>("--data") { Description = "Folder for the federation and its SQLite stores (default: a fresh temporary folder)." };
        var serve = new Option<bool>("--serve") { Description = "After the scenario, keep the federation running until Ctrl-C." };
        var portBase = new Option<int?>("--port-base") { Description = "Fixed ports: node i listens on P+10i (federation) and P+10i+1 (local). Default: free ports." };
        var command = new Command("demo", "Run the cross-border scenario (DK, ES, IT nodes on loopback, real mutual TLS, embedded SQLite).")
        {
            json, data, serve, portBase,
        };
        command.SetAction((parse, cancellationToken) => RunDemoAsync(context, parse.GetValue(json), parse.GetValue(data), parse.GetValue(serve), parse.GetValue(portBase), cancellationToken));
        root.Add(command);
    }

    private static async Task<int> RunDemoAsync(CliContext context, bool json, string? data, bool serve, int? portBase, CancellationToken cancellationToken)
    {
        if (portBase is < 1024 or > 65000)
        {
            throw new CliInputException($"--port-base {portBase} must be between 1024 and 65000");
        }

        var temporary = data is null;
        var directory = data is null
            ? Path.Combine(Path.GetTempPath(), $"konfido-demo-{Guid.NewGuid():N}")
            : Path.GetFullPath(data);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"--data '{data}': cannot create the folder: {ex.Message}");
        }

        await context.Err.WriteLineAsync($"konfido demo: federation DK, ES, IT under {directory}").ConfigureAwait(false);
        var events = DemoCountries.ToDictionary(c => c.Country, _ => new InMemorySecurityEventSink(), StringComparer.OrdinalIgnoreCase);
        IReadOnlyList<DemoStepResult> steps;
        LocalFederation? federation = null;
        try
        {
            // Italy runs in OpenNCP mode, as most national contact points in production do: its node speaks
            // only the IHE SOAP profiles (XCPD, XCA, XDR with eHDSI CDA), and the others talk to it that way.
            federation = await LocalFederation.StartAsync(directory, DemoCountries, NodeBackends.Open, c => events[c], portBase,
                configure: c => c with { TrustList = Konfido.Node.Ihe.OpenNcpMode.Apply(c.TrustList, OpenNcpCountry) },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var (country, _) in DemoCountries)
            {
                var node = federation[country];
                await context.Err.WriteLineAsync($"  node {country}: federation {node.FederationUri} (mutual TLS), local {node.LocalUri}").ConfigureAwait(false);
            }

            using var scenario = new DemoScenario(federation, NodeBackends.DemoPatient, context.Err);
            steps = await scenario.RunAsync(cancellationToken).ConfigureAwait(false);
            var ok = steps.Count > 0 && steps.All(s => s.Ok);
            if (json)
            {
                var array = new JsonArray();
                foreach (var step in steps)
                {
                    array.Add(new JsonObject { ["name"] = step.Name, ["ok"] = step.Ok, ["detail"] = step.Detail });
                }

                context.WriteJson(new JsonObject { ["ok"] = ok, ["steps"] = array });
            }
            else
            {
                foreach (var step in steps)
                {
                    await context.Out.WriteLineAsync($"{(step.Ok ? "ok    " : "FAILED")} {step.Name}: {step.Detail}").ConfigureAwait(false);
                }

                await context.Out.WriteLineAsync(ok ? "demo: all steps ok" : "demo: some steps FAILED").ConfigureAwait(false);
            }

            if (serve)
            {
                foreach (var (country, _) in DemoCountries)
                {
                    await context.Err.WriteLineAsync($"console {country} {federation[country].LocalUri}console/").ConfigureAwait(false);
                }

                await context.Err.WriteLineAsync("federation running; Ctrl-C to stop").ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return ok ? ExitCodes.Ok : ExitCodes.CheckFailed;
        }
        finally
        {
            if (federation is not null)
            {
                await federation.DisposeAsync().ConfigureAwait(false);
            }

            if (temporary)
            {
                TryDelete(directory);
            }
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
