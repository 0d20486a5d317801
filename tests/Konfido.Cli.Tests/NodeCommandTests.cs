using System.Net;
using Konfido.Node;
using Konfido.Testing;

namespace Konfido.Cli.Tests;

public sealed class NodeCommandTests
{
    [Fact]
    public async Task A_node_runs_from_its_configuration_until_stopped_and_shuts_down_cleanly()
    {
        using var directory = new TemporaryDirectory("konfido-node-cmd");
        var ports = FederationBootstrap.FreeLoopbackPorts(2);
        var layout = FederationBootstrap.Create(directory.Path, [new NodePlan("DK", "Denmark NCP", ports[0], ports[1])]);
        using var stop = new CancellationTokenSource();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var run = KonfidoCli.RunAsync(["node", "--config", layout.ConfigFiles["DK"]], stdout, stderr, stop.Token);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var client = new HttpClient(handler);
        HttpStatusCode? status = null;
        for (var attempt = 0; attempt < 600 && status is null && !run.IsCompleted; attempt++)
        {
            try
            {
                using var response = await client.GetAsync($"https://127.0.0.1:{ports[1]}/health");
                status = response.StatusCode;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(HttpStatusCode.OK, status);
        await stop.CancelAsync();
        Assert.Equal(0, await run);
        Assert.Contains("stopped", stderr.ToString());
        Assert.Equal(string.Empty, stdout.ToString());
    }

    [Fact]
    public async Task A_node_process_writes_no_core_dump_and_no_key_to_its_output()
    {
        // The real program in its own process: core dumps are off before a key is opened (/proc shows the limit the kernel enforces).
        using var directory = new TemporaryDirectory("konfido-node-proc");
        var ports = FederationBootstrap.FreeLoopbackPorts(2);
        var layout = FederationBootstrap.Create(directory.Path, [new NodePlan("DK", "Denmark NCP", ports[0], ports[1])]);
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "konfido.dll"), "node", "--config", layout.ConfigFiles["DK"] })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            using var client = new HttpClient(handler);
            string? health = null;
            for (var attempt = 0; attempt < 600 && health is null && !process.HasExited; attempt++)
            {
                try
                {
                    health = await client.GetStringAsync($"https://127.0.0.1:{ports[1]}/health");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100);
                }
            }

            Assert.NotNull(health);
            Assert.Contains("\"coreDumps\":\"disabled\"", health, StringComparison.Ordinal);
            var limits = await File.ReadAllLinesAsync($"/proc/{process.Id}/limits");
            var core = Assert.Single(limits, l => l.StartsWith("Max core file size", StringComparison.Ordinal));
            Assert.Equal(["0", "0"], core["Max core file size".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..2]);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var output = await stdout;
        lock (stderr)
        {
            output += stderr.ToString();
        }

        Assert.Contains("core dumps and memory inspection by other processes disabled", output, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_configuration_is_a_usage_error_naming_the_file()
    {
        using var directory = new TemporaryDirectory("konfido-node-cmd");
        var path = directory.File("node.json");
        await File.WriteAllTextAsync(path, "{\"country\":\"Denmark\"}");

        var result = await CliRun.RunAsync("node", "--config", path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(path, result.Stderr);
        Assert.Contains("country", result.Stderr);
    }

    [Fact]
    public async Task A_missing_configuration_file_is_a_usage_error()
    {
        var result = await CliRun.RunAsync("node", "--config", "/nonexistent/node.json");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("/nonexistent/node.json", result.Stderr);
    }
}
