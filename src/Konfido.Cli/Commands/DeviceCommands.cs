using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.He.Compiler;
using Konfido.He.Compiler.Runtime;
using Konfido.Node;
using Konfido.Sdk;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddDevice(RootCommand root, CliContext context)
    {
        var device = new Command("device", "mHealth devices on the Konfido SDK: a simulator for demos and load tests.");
        device.Add(DeviceSimulateCommand(context));
        root.Add(device);
    }

    private static Command DeviceSimulateCommand(CliContext context)
    {
        var devices = new Option<int>("--devices") { Description = "Simulated devices: glucose meters, blood-pressure cuffs and pulse watches in turn (default 5).", DefaultValueFactory = _ => 5 };
        var readings = new Option<int>("--readings") { Description = "Readings per device (default 100).", DefaultValueFactory = _ => 100 };
        var batch = new Option<int>("--batch") { Description = "Readings per encrypted batch, 1..64 (default 16).", DefaultValueFactory = _ => 16 };
        var node = new Option<string?>("--node") { Description = "The local API URL of a running node (default: an in-process DK, ES, IT federation)." };
        var pin = new Option<string?>("--pin") { Description = "With --node: the SHA-256 fingerprint (hex) of the node's TLS certificate, or of its TLS issuer with --tls-issuer (the trust list's tlsCertificateSha256)." };
        var tlsIssuer = new Option<string?>("--tls-issuer") { Description = "With --pin: the node's TLS issuer certificate (base64 DER, the trust list's tlsIssuer); the node's short-lived TLS certificates are then accepted." };
        var operatorPerson = new Option<string>("--operator") { Description = "The professional who enrols the devices and runs the analytics (eIDAS PersonIdentifier at the node's test eIDAS node; default DK/DK/D0001).", DefaultValueFactory = _ => "DK/DK/D0001" };
        var flaky = new Option<double>("--flaky") { Description = "Probability that the node's answer to an upload is lost on the way (the devices retry; the node counts once). Default 0.", DefaultValueFactory = _ => 0 };
        var data = new Option<string?>("--data") { Description = "Folder for the devices' journals and the in-process federation (default: a fresh temporary folder)." };
        var interval = new Option<int>("--interval") { Description = "Milliseconds each device waits between syncs, for a live demo (default 0: as fast as the node takes them).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated patients and media (default 1).", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON document with the summary." };
        var command = new Command("simulate", "Streams realistic readings (glucose, blood pressure, heart rate) from several PUF-authenticated devices, encrypted for the node's HE analytics; prints progress on stderr and a summary (uploads, retries, rate, encrypted vs clear means).")
        {
            devices, readings, batch, node, pin, tlsIssuer, operatorPerson, flaky, data, interval, seed, json,
        };
        command.SetAction((parse, cancellationToken) => RunDeviceSimulationAsync(context, new DeviceSimulation(
            parse.GetValue(devices), parse.GetValue(readings), parse.GetValue(batch), parse.GetValue(node), parse.GetValue(pin), parse.GetValue(tlsIssuer), parse.GetValue(operatorPerson)!,
            parse.GetValue(flaky), parse.GetValue(data), parse.GetValue(interval), parse.GetValue(seed), parse.GetValue(json)), cancellationToken));
        return command;
    }

    private sealed record DeviceSimulation(int Devices, int Readings, int Batch, string? Node, string? Pin, string? TlsIssuer, string Operator, double Flaky, string? Data, int Interval, int Seed, bool Json);

    private static async Task<int> RunDeviceSimulationAsync(CliContext context, DeviceSimulation s, CancellationToken cancellationToken)
    {
        if (s.Devices is < 1 or > 1000)
        {
            throw new CliInputException($"--devices must be between 1 and 1000, got {s.Devices}");
        }

        if (s.Readings is < 1 or > 1_000_000)
        {
            throw new CliInputException($"--readings must be between 1 and 1000000, got {s.Readings}");
        }

        if (s.Batch is < 1 or > 64)
        {
            throw new CliInputException($"--batch must be between 1 and 64, got {s.Batch}");
        }

        if (!(s.Flaky >= 0 && s.Flaky <= 0.5))
        {
            throw new CliInputException($"--flaky must be between 0 and 0.5, got {s.Flaky.ToString(CultureInfo.InvariantCulture)}");
        }

        if (s.Interval is < 0 or > 600_000)
        {
            throw new CliInputException($"--interval must be between 0 and 600000 milliseconds, got {s.Interval}");
        }

        Uri? external = null;
        if (s.Node is not null && (!Uri.TryCreate(s.Node, UriKind.Absolute, out external) || external.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliInputException($"--node '{s.Node}' is not an https:// URL");
        }

        if (s.Pin is not null && (s.Node is null || s.Pin.Length != 64 || !s.Pin.All(char.IsAsciiHexDigit)))
        {
            throw new CliInputException("--pin is 64 hex digits (SHA-256 of the node's certificate) and needs --node");
        }

        if (s.TlsIssuer is not null && s.Pin is null)
        {
            throw new CliInputException("--tls-issuer needs --pin (the issuer's SHA-256, as the trust list pins it)");
        }

        var temporary = s.Data is null;
        var directory = s.Data is null ? Path.Combine(Path.GetTempPath(), $"konfido-devices-{Guid.NewGuid():N}") : Path.GetFullPath(s.Data);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"--data '{s.Data}': cannot create the folder: {ex.Message}");
        }

        LocalFederation? federation = null;
        var owners = new Dictionary<string, (string ProgramId, HeKeyHolder Keys)>(StringComparer.Ordinal);
        try
        {
            Uri nodeUri;
            string? pin;
            string? issuer = null;
            if (external is null)
            {
                await context.Err.WriteLineAsync("starting an in-process federation (DK, ES, IT) ...").ConfigureAwait(false);
                var sink = new InMemorySecurityEventSink();
                federation = await LocalFederation.StartAsync(Path.Combine(directory, "federation"), DemoCountries, NodeBackends.Open, _ => sink, cancellationToken: cancellationToken).ConfigureAwait(false);
                nodeUri = federation["DK"].LocalUri;
                var denmark = federation["DK"].Components.TrustList().Find("DK")!;
                (pin, issuer) = (denmark.TlsCertificateSha256, denmark.TlsIssuer); // the node's custody-held TLS issuer
            }
            else
            {
                nodeUri = external;
                pin = s.Pin;
                issuer = s.TlsIssuer;
            }

            var lost = new LostAnswers(s.Flaky, s.Seed);
            KonfidoClient Connect()
            {
                try
                {
                    return KonfidoClient.Create(new KonfidoClientOptions
                    {
                        NodeUri = nodeUri,
                        PinnedCertificateSha256 = pin,
                        PinnedTlsIssuer = issuer,
                        WrapHandler = s.Flaky > 0 ? lost.Over : null,
                    });
                }
                catch (ArgumentException ex)
                {
                    throw new CliInputException($"--node/--pin/--tls-issuer: {ex.Message}");
                }
            }

            using var client = Connect();
            var operatorClient = client.Operator(await client.LoginWithTestEidasAsync(s.Operator, cancellationToken: cancellationToken).ConfigureAwait(false));
            await context.Err.WriteLineAsync($"node {nodeUri}; operator {s.Operator} logged in").ConfigureAwait(false);

            // The data owner (a registry): one program per reading kind; the secret keys stay here.
            var run = Guid.NewGuid().ToString("N")[..8];
            var types = Enumerable.Range(0, s.Devices).Select(i => (SimulatedDeviceType)(i % 3)).ToArray();
            foreach (var kind in types.SelectMany(SimulatedPhysiology.Kinds).Distinct())
            {
                var program = HeCompiler.Compile(ReadingKinds.ProgramSource(kind));
                var keys = new HeKeyHolder(program);
                var id = $"sim-{kind}-{run}";
                owners[kind] = (id, keys);
                await operatorClient.RegisterProgramAsync(new ProgramRegistration(id, kind, ReadingKinds.Unit(kind), ReadingKinds.Decimals(kind), program.Serialize(), keys.EvaluationKeys.Serialize()), cancellationToken).ConfigureAwait(false);
            }

            await context.Err.WriteLineAsync($"registered {owners.Count} HE programs (BFV, exact): {string.Join(", ", owners.Values.Select(o => o.ProgramId))}").ConfigureAwait(false);

            // Enrolment, in the operator's hands (measuring the references is the PUF's slow part: a few in parallel).
            var setup = Stopwatch.StartNew();
            var identities = types.Select((type, i) => (Identity: DeviceIdentity.Simulated($"sim-{run}-{i.ToString("D4", CultureInfo.InvariantCulture)}-{Name(type)}", (ulong)(((long)s.Seed * 100_003) + i)), Type: type)).ToArray();
            using (var gate = new SemaphoreSlim(Math.Max(1, Environment.ProcessorCount)))
            {
                await Task.WhenAll(identities.Select(async d =>
                {
                    await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        var enrolled = await operatorClient.EnrolAsync(d.Identity, cancellationToken).ConfigureAwait(false);
                        if (!enrolled.Enrolled)
                        {
                            throw new InvalidOperationException($"{d.Identity.DeviceId} was not enrolled: {enrolled.Failure} ({enrolled.Detail})");
                        }
                    }
                    finally
                    {
                        gate.Release();
                    }
                })).ConfigureAwait(false);
            }

            // Each device opens its offline queue (its storage key comes from its PUF through the fuzzy extractor).
            var programIds = owners.Values.Select(o => o.ProgramId).ToArray();
            var uploaders = await Task.WhenAll(identities.Select(d => Task.Run(() => ReadingUploader.Open(client, d.Identity, new ReadingUploaderOptions
            {
                JournalDirectory = Path.Combine(directory, "journals", d.Identity.DeviceId),
                ProgramIds = programIds,
                BatchSize = s.Batch,
                InitialBackoff = TimeSpan.FromMilliseconds(50),
                MaxAttempts = 10,
            }), cancellationToken))).ConfigureAwait(false);
            await context.Err.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"enrolled {identities.Length} devices with their PUFs and opened their queues in {setup.Elapsed.TotalSeconds:F1} s; streaming {s.Readings} readings each ...")).ConfigureAwait(false);

            // Streaming: every device on its own, sealed uploads under its PUF session.
            var progress = new SimulationProgress(context.Err, (long)s.Devices * s.Readings);
            var clear = new Dictionary<string, (double Sum, long Count)>(StringComparer.Ordinal);
            var start = DateTimeOffset.UtcNow.AddMinutes(-s.Readings * 30.0);
            var stream = Stopwatch.StartNew();
            try
            {
                await Task.WhenAll(identities.Select((d, i) => StreamDeviceAsync(uploaders[i], new SimulatedPhysiology(d.Type, (s.Seed * 7919) + i, start), s,
                    progress, clear, cancellationToken))).ConfigureAwait(false);
            }
            finally
            {
                foreach (var uploader in uploaders)
                {
                    uploader.Dispose();
                }
            }

            stream.Stop();
            progress.Finish();

            // The node computes without any secret key; the data owner decrypts and compares with the clear means.
            var kinds = new JsonObject();
            var ok = progress.Pending == 0 && progress.Readings == (long)s.Devices * s.Readings;
            foreach (var (kind, (programId, keys)) in owners.OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                var result = await operatorClient.ComputeAsync(programId, cancellationToken).ConfigureAwait(false);
                var decrypted = keys.Decrypt(HeBundle.Deserialize(result.EncryptedResult));
                var mean = decrypted.Outputs["total"][0] / Math.Pow(10, ReadingKinds.Decimals(kind)) / result.Readings;
                var (sum, count) = clear[kind];
                var clearMean = sum / count;
                var matches = result.Readings == count && Math.Abs(mean - clearMean) < 1e-6 * Math.Max(1, Math.Abs(clearMean));
                ok &= matches;
                kinds[kind] = new JsonObject
                {
                    ["program"] = programId,
                    ["unit"] = ReadingKinds.Unit(kind),
                    ["readings"] = result.Readings,
                    ["batches"] = result.Batches,
                    ["encrypted_mean"] = Math.Round(mean, 6),
                    ["clear_mean"] = Math.Round(clearMean, 6),
                    ["matches"] = matches,
                    ["noise_budget_bits"] = decrypted.NoiseBudgetBits,
                };
                await context.Err.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{kind}: mean of {result.Readings} encrypted readings {mean:F3} {ReadingKinds.Unit(kind)} (clear {clearMean:F3}) from {result.Batches} batches{(matches ? string.Empty : " MISMATCH")}")).ConfigureAwait(false);
            }

            var seconds = Math.Max(stream.Elapsed.TotalSeconds, 1e-9);
            var summary = new JsonObject
            {
                ["ok"] = ok,
                ["node"] = nodeUri.ToString(),
                ["in_process"] = external is null,
                ["devices"] = s.Devices,
                ["readings"] = progress.Readings,
                ["batches"] = progress.Batches,
                ["duplicates"] = progress.Duplicates,
                ["retries"] = progress.Retries,
                ["lost_answers"] = lost.Count,
                ["authentications"] = progress.Authentications,
                ["pending"] = progress.Pending,
                ["enrol_seconds"] = Math.Round(setup.Elapsed.TotalSeconds - stream.Elapsed.TotalSeconds, 3),
                ["stream_seconds"] = Math.Round(seconds, 3),
                ["readings_per_second"] = Math.Round(progress.Readings / seconds, 1),
                ["uploads_per_second"] = Math.Round(progress.Batches / seconds, 1),
                ["kinds"] = kinds,
            };
            if (s.Json)
            {
                context.WriteJson(summary);
            }
            else
            {
                await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{(ok ? "ok" : "FAILED")}: {progress.Readings} readings from {s.Devices} devices in {progress.Batches} encrypted uploads ({progress.Duplicates} duplicates ignored, {progress.Retries} retries, {lost.Count} lost answers) in {seconds:F1} s: {progress.Readings / seconds:F0} readings/s, {progress.Batches / seconds:F1} uploads/s")).ConfigureAwait(false);
            }

            return ok ? 0 : 1;
        }
        catch (KonfidoApiException ex)
        {
            await context.Err.WriteLineAsync($"the node refused: {ex.Code}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (HttpRequestException ex)
        {
            throw new CliInputException($"--node {s.Node}: cannot reach the node: {ex.Message}", ex);
        }
        finally
        {
            foreach (var (_, keys) in owners.Values)
            {
                keys.Dispose();
            }

            if (federation is not null)
            {
                await federation.DisposeAsync().ConfigureAwait(false);
            }

            if (temporary)
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                    // A leftover temporary folder is not an error.
                }
            }
        }
    }

    private static async Task StreamDeviceAsync(ReadingUploader uploader, SimulatedPhysiology physiology, DeviceSimulation s,
        SimulationProgress progress, Dictionary<string, (double Sum, long Count)> clear, CancellationToken cancellationToken)
    {
        var sums = new Dictionary<string, (double Sum, long Count)>(StringComparer.Ordinal);
        var perFlush = s.Batch * SimulatedPhysiology.Kinds(physiology.Type).Count;
        // The device keeps readings in its memory and syncs them (one durable journal write) every batch, then uploads.
        var memory = new List<Reading>(perFlush);
        for (var i = 1; i <= s.Readings; i++)
        {
            var reading = physiology.Next();
            sums[reading.Kind] = sums.TryGetValue(reading.Kind, out var t) ? (t.Sum + reading.Value, t.Count + 1) : (reading.Value, 1);
            memory.Add(reading);
            if (i % perFlush == 0 || i == s.Readings)
            {
                await uploader.EnqueueAsync(memory, cancellationToken).ConfigureAwait(false);
                memory.Clear();
                progress.Add(await uploader.FlushAsync(cancellationToken).ConfigureAwait(false));
                if (s.Interval > 0 && i < s.Readings)
                {
                    await Task.Delay(s.Interval, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        progress.Pending += uploader.PendingReadings + uploader.PendingBatches;
        lock (clear)
        {
            foreach (var (kind, (sum, count)) in sums)
            {
                clear[kind] = clear.TryGetValue(kind, out var t) ? (t.Sum + sum, t.Count + count) : (sum, count);
            }
        }
    }

    private static string Name(SimulatedDeviceType type) => type switch
    {
        SimulatedDeviceType.GlucoseMeter => "glucose-meter",
        SimulatedDeviceType.BloodPressureCuff => "bp-cuff",
        _ => "pulse-watch",
    };

    /// <summary>Totals of every device's flushes, printed on stderr at most once a second.</summary>
    private sealed class SimulationProgress(TextWriter err, long expected)
    {
        private readonly Lock _gate = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _printed;

        public long Readings { get; private set; }

        public long Batches { get; private set; }

        public long Duplicates { get; private set; }

        public long Retries { get; private set; }

        public long Authentications { get; private set; }

        public long Pending
        {
            get
            {
                lock (_gate)
                {
                    return field;
                }
            }

            set
            {
                lock (_gate)
                {
                    field = value;
                }
            }
        }

        public void Add(UploadReport report)
        {
            lock (_gate)
            {
                Readings += report.ReadingsUploaded;
                Batches += report.BatchesUploaded;
                Duplicates += report.Duplicates;
                Retries += report.Retries;
                Authentications += report.Authentications;
                if (_clock.Elapsed - _printed >= TimeSpan.FromSeconds(1))
                {
                    _printed = _clock.Elapsed;
                    Print();
                }
            }
        }

        public void Finish()
        {
            lock (_gate)
            {
                Print();
            }
        }

        private void Print() =>
            err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Readings}/{expected} readings ({100.0 * Readings / Math.Max(1, expected):F0} %), {Batches} uploads, {Retries} retries, {Readings / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9):F0} readings/s"));
    }

    /// <summary>Loses the node's answer to an upload with a given probability (after the node processed it): the device must retry and the node must count once.</summary>
    private sealed class LostAnswers(double probability, int seed)
    {
        private readonly Random _random = new(seed);
        private readonly Lock _gate = new();
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public HttpMessageHandler Over(HttpMessageHandler inner) => new Handler(inner, this);

        private bool Lose()
        {
            lock (_gate)
            {
                return _random.NextDouble() < probability;
            }
        }

        private sealed class Handler(HttpMessageHandler inner, LostAnswers owner) : DelegatingHandler(inner)
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (request.RequestUri?.AbsolutePath.Contains("/uploads/", StringComparison.Ordinal) == true && owner.Lose())
                {
                    response.Dispose();
                    Interlocked.Increment(ref owner._count);
                    throw new HttpRequestException("simulated: the node's answer was lost on the way");
                }

                return response;
            }
        }
    }
}
