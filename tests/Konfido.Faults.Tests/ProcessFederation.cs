using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konfido.Exchange;
using Konfido.Ledger.Log;
using Konfido.Ledger.Storage;
using Konfido.Ledger.Witnessing;
using Konfido.Node;
using Konfido.Records;
using Konfido.Testing;

namespace Konfido.Faults.Tests;

/// <summary>
/// DK, ES and IT bootstrapped in a temporary folder and run as three <c>konfido node</c> processes.
/// The Danish demo patient consents with her own eID; a Spanish doctor retrieves her summary.
/// After the processes stop, their ledgers, witness states and alert stores are read from disk.
/// </summary>
internal sealed class ProcessFederation : IAsyncDisposable
{
    public static readonly string PatientToken = FederationProtocol.JoinToken(DanishCpr.System, SyntheticPatients.DemoDanishCopdPatient);
    private readonly TemporaryDirectory _directory = new("konfido-faults");
    private readonly Dictionary<string, NodeProcess> _nodes = new(StringComparer.OrdinalIgnoreCase);

    private ProcessFederation()
    {
    }

    public FederationLayout Layout { get; private set; } = null!;

    public string Directory => _directory.Path;

    public NodeProcess this[string country] => _nodes[country];

    /// <summary>Bootstraps and starts the three nodes; <paramref name="adjust"/> edits each configuration (JSON) first.</summary>
    public static async Task<ProcessFederation> StartAsync(Action<string, JsonObject>? adjust = null, Func<string, string>? postgres = null)
    {
        var federation = new ProcessFederation();
        try
        {
            var countries = new[] { "DK", "ES", "IT" };
            var ports = FederationBootstrap.FreeLoopbackPorts(6);
            var plans = countries.Select((c, i) => new NodePlan(c, $"{c} NCP", ports[2 * i], ports[2 * i + 1])).ToArray();
            federation.Layout = postgres is null
                ? FederationBootstrap.Create(federation.Directory, plans)
                : FederationBootstrap.Create(federation.Directory, plans, "postgres", postgres);
            foreach (var plan in plans)
            {
                var path = federation.Layout.ConfigFiles[plan.Country];
                var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
                json["ledger"]!["publishIntervalSeconds"] = 1;
                adjust?.Invoke(plan.Country, json);
                File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                federation._nodes[plan.Country] = new NodeProcess(plan.Country, path, new Uri($"https://127.0.0.1:{plan.LocalPort}/"));
            }

            await Task.WhenAll(federation._nodes.Values.Select(n => n.StartAsync()));
            return federation;
        }
        catch
        {
            await federation.DisposeAsync();
            throw;
        }
    }

    /// <summary>The Danish demo patient consents, at her home node and with her own eID, to treatment in ES and IT.</summary>
    public async Task ConsentAsync()
    {
        using var citizen = this["DK"].Client();
        await EidLogin.LoginAsync(citizen, $"DK/DK/{SyntheticPatients.DemoDanishCopdPatient}");
        using var body = new StringContent("""{"effect":"permit","purposes":["TREATMENT"],"countries":["ES","IT"]}""", Encoding.UTF8, "application/json");
        using var granted = await citizen.PostAsync("patient/consent", body);
        if (!granted.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"consent answered {(int)granted.StatusCode}: {await granted.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>A local-API client of ES logged in as the Spanish demo doctor.</summary>
    public async Task<HttpClient> DoctorAsync()
    {
        var client = this["ES"].Client();
        await EidLogin.LoginAsync(client, DemoProfessionals.SpanishDoctor);
        return client;
    }

    /// <summary>Stops every node gracefully (those that are running).</summary>
    public async Task StopAllAsync()
    {
        foreach (var node in _nodes.Values)
        {
            await node.StopAsync();
        }
    }

    /// <summary>Every entry of <paramref name="country"/>'s ledger (the nodes must be stopped), with the log's size.</summary>
    public async Task<IReadOnlyList<JsonElement>> LedgerEntriesAsync(string country, string? dataDirectory = null)
    {
        var storage = await SqliteLogStorage.OpenAsync(Path.Combine(dataDirectory ?? Path.Combine(Directory, country.ToLowerInvariant()), "ledger.db"));
        await using (storage)
        {
            var log = await MerkleLog.OpenAsync(storage);
            await using (log)
            {
                var entries = new List<JsonElement>();
                for (long i = 0; i < log.Head.Size; i++)
                {
                    entries.Add(JsonDocument.Parse(await log.ReadEntryAsync(i)).RootElement.Clone());
                }

                return entries;
            }
        }
    }

    /// <summary>The size of <paramref name="origin"/>'s log that the witness of <paramref name="witnessCountry"/> last cosigned (the nodes must be stopped).</summary>
    public async Task<long> WitnessedSizeAsync(string witnessCountry, string origin)
    {
        using var store = SqliteWitnessStateStore.Open(Path.Combine(Directory, witnessCountry.ToLowerInvariant(), "witness.db"));
        return (await store.GetAsync(origin))?.Size ?? 0;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            await node.DisposeAsync();
        }

        _directory.Dispose();
    }
}

/// <summary>Continuous cross-border traffic: workers retrieving the patient's summary at DK through ES, counting every answer.</summary>
internal sealed class Traffic : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private long _acknowledged;

    public Traffic(HttpClient doctor, int workers = 3)
    {
        _workers = Enumerable.Range(0, workers).Select(_ => Task.Run(() => RunAsync(doctor, _stop.Token))).ToArray();
    }

    /// <summary>Exchanges answered 200 with the summary: each must have its audit entries.</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>Answers by status (or exception type), for the report.</summary>
    public ConcurrentDictionary<string, long> Answers { get; } = new(StringComparer.Ordinal);

    /// <summary>Waits until <paramref name="count"/> more exchanges were acknowledged (at most two minutes).</summary>
    public async Task WaitForMoreAsync(long count)
    {
        var target = Acknowledged + count;
        for (var i = 0; i < 1200 && Acknowledged < target; i++)
        {
            await Task.Delay(100);
        }

        if (Acknowledged < target)
        {
            throw new TimeoutException($"traffic stalled at {Acknowledged} acknowledged exchanges; answers: {string.Join(", ", Answers.Select(a => $"{a.Key}={a.Value}"))}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _stop.Dispose();
    }

    private async Task RunAsync(HttpClient doctor, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            string answer;
            try
            {
                using var response = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(ProcessFederation.PatientToken)}", CancellationToken.None);
                var body = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                answer = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (response.StatusCode == HttpStatusCode.OK && body.Length > 0)
                {
                    Interlocked.Increment(ref _acknowledged);
                }
                else
                {
                    await Task.Delay(20, CancellationToken.None); // a client backs off a little on errors
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                answer = ex.GetType().Name;
                await Task.Delay(50, CancellationToken.None);
            }

            Answers.AddOrUpdate(answer, 1, (_, n) => n + 1);
        }
    }
}
