using System.Diagnostics;
using System.Text;

namespace Konfido.Faults.Tests;

/// <summary>One node run as its own operating-system process (<c>konfido node --config</c>), as an operator runs it.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly string _config;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public NodeProcess(string country, string config, Uri localUri)
    {
        Country = country;
        _config = config;
        LocalUri = localUri;
    }

    public string Country { get; }

    public Uri LocalUri { get; }

    public int Starts { get; private set; }

    /// <summary>What the process wrote (stdout and stderr) over all its runs.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts the process and waits until its local API answers <c>/health</c>.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Country} is running");
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "konfido.dll"), "node", "--config", _config })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        Starts++;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var client = Client();
        for (var attempt = 0; attempt < 1200; attempt++)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"node {Country} exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync("health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"node {Country} did not become healthy:\n{Output}");
    }

    /// <summary>SIGKILL: the process dies at once, with no chance to flush or clean up.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>SIGSTOP / SIGCONT: the process freezes (its sockets stay open but nothing answers), as a peer cut off by the network.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>SIGTERM and a wait for the graceful shutdown.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Signal("TERM");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
        }
    }

    /// <summary>A client of the local API (the test harness accepts the node's self-signed certificate).</summary>
    public HttpClient Client() =>
        new(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { BaseAddress = LocalUri, Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            try
            {
                Signal("CONT");
            }
            catch (InvalidOperationException)
            {
            }

            await KillAsync();
        }

        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
