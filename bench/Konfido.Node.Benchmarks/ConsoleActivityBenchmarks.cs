using BenchmarkDotNet.Attributes;
using Konfido.Core;

namespace Konfido.Node.Benchmarks;

/// <summary>
/// What keeping the console's view across restarts costs per event: the node's event path publishes to the view
/// (in memory either way), and a persisted view also writes it, off that path, in one SQLite transaction per flush.
/// Each invocation publishes a burst of events and waits until they are written.
/// </summary>
[MemoryDiagnoser]
public class ConsoleActivityBenchmarks
{
    private const int Burst = 1000;
    private string _directory = "";
    private ConsoleActivity? _activity;
    private SecurityEvent[] _events = [];

    /// <summary>Whether the view is kept in <see cref="ConsoleActivity.FileName"/> (true) or in memory only.</summary>
    [Params(false, true)]
    public bool Persisted { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"konfido-console-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
        _activity = Persisted ? ConsoleActivity.Open(Path.Combine(_directory, ConsoleActivity.FileName), id => "pseudonym-" + id.Length) : new ConsoleActivity(id => "pseudonym-" + id.Length);
        _events = Enumerable.Range(0, Burst).Select(i => new SecurityEvent
        {
            Node = "DK",
            Category = EventCategories.Exchange,
            Action = i % 3 == 0 ? "ips-retrieve" : "patient-discovery",
            Outcome = EventOutcome.Success,
            Actor = "urn:eidas:ES/ES/99999999R",
            TargetCountry = "ES",
            PatientId = $"0{i % 97:00}1561234",
            Reason = "served",
            Attributes = new Dictionary<string, string>(StringComparer.Ordinal) { ["purpose"] = "TREAT", ["role"] = "doctor" },
        }).ToArray();
    }

    /// <summary>Publishes <see cref="Burst"/> events and waits until the view holds (and, when persisted, has written) them.</summary>
    [Benchmark(OperationsPerInvoke = Burst)]
    public async Task PublishAndFlush()
    {
        var activity = _activity!;
        foreach (var e in _events)
        {
            await activity.PublishAsync(e with { Id = Guid.NewGuid().ToString("N") });
        }

        await activity.FlushAsync(CancellationToken.None);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_activity is not null)
        {
            await _activity.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
