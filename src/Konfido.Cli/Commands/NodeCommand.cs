using System.CommandLine;
using System.Runtime.InteropServices;
using Konfido.Core;
using Konfido.Node;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddNode(RootCommand root, CliContext context)
    {
        var config = new Option<string>("--config") { Description = "The node's configuration file (JSON).", Required = true };
        var command = new Command("node", "Run one national contact point until Ctrl-C or SIGTERM (graceful shutdown).") { config };
        command.SetAction((parse, cancellationToken) => RunNodeAsync(context, parse.GetValue(config)!, cancellationToken));
        root.Add(command);
    }

    private static async Task<int> RunNodeAsync(CliContext context, string configPath, CancellationToken cancellationToken)
    {
        // Before any key is opened: no core dump of this process, and no other process of the user may read its memory.
        var hardened = Konfido.Custody.ProcessHardening.DisableCoreDumps();
        NodeComponents components;
        try
        {
            var settings = NodeSettings.Load(configPath);
            components = NodeLauncher.Load(settings, NodeBackends.Open, new InMemorySecurityEventSink());
        }
        catch (NodeConfigurationException ex)
        {
            throw new CliInputException(ex.Message, ex);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            stop.Cancel();
        });
        await using var node = KonfidoNode.Build(components, logging =>
        {
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
                .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
                .SetMinimumLevel(LogLevel.Information);
            logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
        await node.StartAsync(cancellationToken).ConfigureAwait(false);
        await context.Err.WriteLineAsync($"node {components.Country}: federation {node.FederationUri} (mutual TLS), local {node.LocalUri}; Ctrl-C or SIGTERM stops").ConfigureAwait(false);
        await context.Err.WriteLineAsync(hardened
            ? $"node {components.Country}: core dumps and memory inspection by other processes disabled"
            : $"node {components.Country}: warning: could not disable core dumps on this platform; key material handled in memory could reach a dump").ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await context.Err.WriteLineAsync($"node {components.Country}: stopping (letting requests in flight finish)").ConfigureAwait(false);
        await node.StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (components.Backend is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }

        await context.Err.WriteLineAsync($"node {components.Country}: stopped").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
