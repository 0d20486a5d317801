using System.Diagnostics;
using Npgsql;

namespace Konfido.Faults.Tests;

/// <summary>
/// A PostgreSQL cluster of this test alone (initdb in a temporary folder, its own port), so that it can
/// be restarted without disturbing the server the other test projects share.
/// </summary>
internal sealed class PrivatePostgres : IDisposable
{
    private readonly string _bin;
    private readonly string _directory;

    private PrivatePostgres(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=konfido;Database={database};Timeout=5;Command Timeout=10";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed (./test.sh installs it from Debian's packages)");
        var directory = Path.Combine(Path.GetTempPath(), $"konfido-faults-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var port = Konfido.Node.FederationBootstrap.FreeLoopbackPorts(1)[0];
        var postgres = new PrivatePostgres(bin, directory, port);
        if (Environment.UserName == "root")
        {
            Run("chown", "postgres", directory);
        }

        postgres.Pg("initdb", "-D", directory, "-U", "konfido", "-A", "trust", "-E", "UTF8", "--no-instructions");
        postgres.Start();
        await using var connection = new NpgsqlConnection(postgres.ConnectionString("postgres"));
        await connection.OpenAsync();
        return postgres;
    }

    public void Start() => Pg("pg_ctl", "-D", _directory, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60",
        "-o", $"-p {Port} -k /tmp -c listen_addresses=127.0.0.1", "start");

    /// <summary>Restarts the server (fast shutdown: every open connection is cut).</summary>
    public void Restart() => Pg("pg_ctl", "-D", _directory, "-w", "-t", "60", "-m", "fast", "-o", $"-p {Port} -k /tmp -c listen_addresses=127.0.0.1", "restart");

    public async Task CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose()
    {
        try
        {
            Pg("pg_ctl", "-D", _directory, "-m", "immediate", "stop");
        }
        catch (InvalidOperationException)
        {
        }

        Directory.Delete(_directory, recursive: true);
    }

    private void Pg(string tool, params string[] args)
    {
        var path = Path.Combine(_bin, tool);
        if (Environment.UserName == "root")
        {
            Run("runuser", ["-u", "postgres", "--", path, .. args]);
        }
        else
        {
            Run(path, args);
        }
    }

    private static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error} {output.Result}");
        }
    }
}
