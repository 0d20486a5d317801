using System.Net;

namespace Konfido.Sdk;

/// <summary>How a <see cref="ReadingUploader"/> batches and retries, as the app writes it (validated by <see cref="ReadingUploader.Open"/>).</summary>
public sealed record ReadingUploaderOptions
{
    /// <summary>The folder of the durable offline queue (required; one folder per device).</summary>
    public string? JournalDirectory { get; init; }

    /// <summary>
    /// The programs this device uploads to, by id (one per reading kind), as the data owner's study assigned them.
    /// Null: for each kind, the first program of that kind the node lists.
    /// </summary>
    public IReadOnlyList<string>? ProgramIds { get; init; }

    /// <summary>Readings per encrypted batch, at most the program's slots (default: the program's slots).</summary>
    public int? BatchSize { get; init; }

    /// <summary>Attempts per request before a flush gives up and leaves the rest queued (default 6).</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>The first retry delay; each retry doubles it, with jitter (default 200 ms).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest retry delay (default 10 s).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>What a flush did.</summary>
/// <param name="BatchesUploaded">Batches the node accepted in this flush (duplicates included).</param>
/// <param name="ReadingsUploaded">Readings in those batches.</param>
/// <param name="Duplicates">Batches the node had already counted (a retry after a lost answer or a restart).</param>
/// <param name="Retries">Requests repeated after a transient failure.</param>
/// <param name="Refused">Batches the node refused for good (dropped from the queue, with their reason in the journal).</param>
/// <param name="Authentications">PUF authentications made (the first, and again when the node forgot the session).</param>
/// <param name="PendingReadings">Readings still queued (no program for their kind, or the flush gave up).</param>
/// <param name="PendingBatches">Encrypted batches still queued.</param>
public sealed record UploadReport(int BatchesUploaded, int ReadingsUploaded, int Duplicates, int Retries, int Refused, int Authentications, int PendingReadings, int PendingBatches);

/// <summary>
/// Uploads a device's readings to the node's HE analytics: enqueued readings go to a durable journal at
/// once; a flush encrypts them in batches with the program's public key (never in the clear on the wire),
/// records each batch with a fresh upload id before it is first sent, and sends it sealed under the PUF
/// session key, retrying transient failures with exponential backoff and jitter, re-authenticating when the
/// node has forgotten the session. A batch is sent under the same upload id until the node acknowledges it,
/// across crashes and restarts, and the node counts an upload id once. Thread-safe (operations are serialised).
/// </summary>
public sealed class ReadingUploader : IDisposable
{
    private readonly KonfidoClient _client;
    private readonly DeviceIdentity _device;
    private readonly ReadingUploaderOptions _options;
    private readonly UploadJournal _journal;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, ProgramMaterial> _materials = new(StringComparer.Ordinal);
    private DeviceSession? _session;

    private ReadingUploader(KonfidoClient client, DeviceIdentity device, ReadingUploaderOptions options, UploadJournal journal)
    {
        _client = client;
        _device = device;
        _options = options;
        _journal = journal;
    }

    /// <summary>Readings waiting to be batched.</summary>
    public int PendingReadings => _journal.PendingReadings.Count;

    /// <summary>Encrypted batches waiting for the node's acknowledgement.</summary>
    public int PendingBatches => _journal.Batches.Count;

    /// <summary>
    /// Opens the uploader of <paramref name="device"/> over its journal, replaying what a previous run left. The journal's
    /// readings are sealed under a key the device's PUF reproduces (a few PUF reads). Throws <see cref="ArgumentException"/>
    /// naming every invalid option, <see cref="InvalidDataException"/> if the journal is corrupt or another device's.
    /// </summary>
    /// <param name="client">The node.</param>
    /// <param name="device">The device (enrolled at the node).</param>
    /// <param name="options">Batching, retries and the journal folder.</param>
    public static ReadingUploader Open(KonfidoClient client, DeviceIdentity device, ReadingUploaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.JournalDirectory))
        {
            problems.Add("JournalDirectory is required");
        }

        if (options.BatchSize is < 1)
        {
            problems.Add("BatchSize must be positive");
        }

        if (options.ProgramIds is { } ids && (ids.Count == 0 || ids.Any(id => !DeviceApi.IsValidUploadId(id))))
        {
            problems.Add("ProgramIds, when set, lists at least one valid program id");
        }

        if (options.MaxAttempts < 1)
        {
            problems.Add("MaxAttempts must be at least 1");
        }

        if (options.InitialBackoff < TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            problems.Add("backoffs must satisfy 0 <= InitialBackoff <= MaxBackoff");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid uploader options: " + string.Join("; ", problems), nameof(options));
        }

        Directory.CreateDirectory(options.JournalDirectory!);
        var key = device.StorageKey(Path.Combine(options.JournalDirectory!, "puf-helper.bin"));
        try
        {
            return new ReadingUploader(client, device, options, UploadJournal.Open(options.JournalDirectory!, key));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Queues a reading durably (on disk when this returns). Requires a known kind and a finite value.</summary>
    /// <param name="reading">The reading.</param>
    /// <param name="cancellationToken">Cancels the wait for the queue.</param>
    public Task EnqueueAsync(Reading reading, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reading);
        return EnqueueAsync([reading], cancellationToken);
    }

    /// <summary>
    /// Queues several readings durably with one write to the disk (a meter syncing its memory to the phone).
    /// Requires known kinds and finite values; nothing is queued if one is invalid.
    /// </summary>
    /// <param name="readings">The readings.</param>
    /// <param name="cancellationToken">Cancels the wait for the queue.</param>
    public async Task EnqueueAsync(IReadOnlyList<Reading> readings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(readings);
        foreach (var reading in readings)
        {
            ArgumentNullException.ThrowIfNull(reading, nameof(readings));
            _ = ReadingKinds.Unit(reading.Kind);
            if (!double.IsFinite(reading.Value))
            {
                throw new ArgumentException("a reading's value must be finite", nameof(readings));
            }
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _journal.AddReadings(readings);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Encrypts the queued readings into batches and sends every unacknowledged batch. Gives up after
    /// <see cref="ReadingUploaderOptions.MaxAttempts"/> on a request (the rest stays queued) and reports what it did.
    /// Throws <see cref="KonfidoApiException"/> if the device cannot authenticate (e.g. not enrolled).
    /// </summary>
    /// <param name="cancellationToken">Cancels the flush (what is journalled stays journalled).</param>
    public async Task<UploadReport> FlushAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stats = new Counters();
            try
            {
                await SealBatchesAsync(stats, cancellationToken).ConfigureAwait(false);
                foreach (var batch in _journal.Batches.ToArray())
                {
                    await SendAsync(batch, stats, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (GiveUpException)
            {
                // The node is unreachable for now: everything stays journalled for the next flush.
            }

            return new UploadReport(stats.Batches, stats.Readings, stats.Duplicates, stats.Retries, stats.Refused, stats.Authentications, PendingReadings, PendingBatches);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the journal and zeroises the session keys (what is queued stays on disk).</summary>
    public void Dispose()
    {
        _session?.Dispose();
        _journal.Dispose();
        _gate.Dispose();
    }

    private async Task SealBatchesAsync(Counters stats, CancellationToken cancellationToken)
    {
        if (_journal.PendingReadings.Count == 0)
        {
            return;
        }

        var session = await SessionAsync(stats, cancellationToken).ConfigureAwait(false);
        var programs = await RetryAsync(() => _client.Devices.ListProgramsAsync(session, cancellationToken), stats, cancellationToken).ConfigureAwait(false);
        foreach (var group in _journal.PendingReadings.ToArray().GroupBy(p => p.Value.Kind, StringComparer.Ordinal))
        {
            var program = programs.FirstOrDefault(p => p.Kind == group.Key && (_options.ProgramIds is null || _options.ProgramIds.Contains(p.Id, StringComparer.Ordinal)));
            if (program is null)
            {
                continue; // no program for this kind yet: the readings wait
            }

            if (!_materials.TryGetValue(program.Id, out var material) || material.Info.KeyId != program.KeyId)
            {
                material = await RetryAsync(() => _client.Devices.GetProgramAsync(session, program.Id, cancellationToken), stats, cancellationToken).ConfigureAwait(false);
                _materials[program.Id] = material;
            }

            var size = Math.Min(_options.BatchSize ?? program.Slots, program.Slots);
            foreach (var chunk in group.Chunk(size))
            {
                var ciphertext = material.EncryptBatch([.. chunk.Select(c => c.Value.Value)]);
                _journal.AddBatch(Guid.NewGuid().ToString("N"), program.Id, material.Info.KeyId, [.. chunk.Select(c => c.Key)], ciphertext);
            }
        }
    }

    private async Task SendAsync(JournalBatch batch, Counters stats, CancellationToken cancellationToken)
    {
        var ciphertext = UploadJournal.ReadCiphertext(batch);
        var receipt = await RetryAsync(async () =>
        {
            var session = await SessionAsync(stats, cancellationToken).ConfigureAwait(false);
            try
            {
                return await _client.Devices.UploadAsync(session, batch.ProgramId, batch.KeyId, batch.UploadId, batch.Readings.Length, ciphertext, cancellationToken).ConfigureAwait(false);
            }
            catch (KonfidoApiException ex) when (ex.Status == HttpStatusCode.Unauthorized)
            {
                // The node forgot the session (restart, expiry): authenticate again and retry.
                _session?.Dispose();
                _session = null;
                throw new TransientException(ex.Message);
            }
        }, stats, cancellationToken).ConfigureAwait(false);

        if (receipt.Accepted)
        {
            _journal.Acknowledge(batch, receipt.Duplicate);
            stats.Batches++;
            stats.Readings += batch.Readings.Length;
            stats.Duplicates += receipt.Duplicate ? 1 : 0;
        }
        else
        {
            _journal.Refuse(batch, receipt.Reason ?? "refused");
            stats.Refused++;
        }
    }

    private async Task<DeviceSession> SessionAsync(Counters stats, CancellationToken cancellationToken)
    {
        if (_session is not null && _session.Expires > DateTimeOffset.UtcNow.AddSeconds(30))
        {
            return _session;
        }

        _session?.Dispose();
        _session = null;
        var result = await RetryAsync(() => _client.Devices.AuthenticateAsync(_device, cancellationToken), stats, cancellationToken).ConfigureAwait(false);
        stats.Authentications++;
        _session = result.Session ?? throw new KonfidoApiException(HttpStatusCode.Forbidden, result.Failure, $"{_device.DeviceId} could not authenticate: {result.Detail}");
        return _session;
    }

    private async Task<T> RetryAsync<T>(Func<Task<T>> call, Counters stats, CancellationToken cancellationToken)
    {
        var delay = _options.InitialBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                if (attempt >= _options.MaxAttempts)
                {
                    throw new GiveUpException();
                }

                stats.Retries++;
                // Full jitter: a random delay up to the current backoff, so that many devices do not retry in step.
                await Task.Delay(TimeSpan.FromTicks((long)(delay.Ticks * Random.Shared.NextDouble())), cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    private static bool IsTransient(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        TransientException or HttpRequestException or IOException => true,
        TaskCanceledException => !cancellationToken.IsCancellationRequested, // a timeout, not the caller's cancellation
        KonfidoApiException api => api.IsTransient,
        _ => false,
    };

    private sealed class Counters
    {
        public int Batches { get; set; }

        public int Readings { get; set; }

        public int Duplicates { get; set; }

        public int Retries { get; set; }

        public int Refused { get; set; }

        public int Authentications { get; set; }
    }

    private sealed class TransientException(string message) : Exception(message);

    private sealed class GiveUpException : Exception;
}
