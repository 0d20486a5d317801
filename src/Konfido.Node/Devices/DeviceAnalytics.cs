using System.Collections.Concurrent;
using System.Globalization;
using Konfido.Core;
using Konfido.He;
using Konfido.He.Compiler;
using Konfido.He.Compiler.Runtime;
using Konfido.He.Compiler.Service;
using Konfido.He.Serialization;

namespace Konfido.Node;

/// <summary>The outcome of a device's upload to a program.</summary>
internal sealed record DeviceUploadResult(bool Accepted, bool Duplicate, string? Reason);

/// <summary>The outcome of a computation over a program's aggregate.</summary>
internal sealed record DeviceComputeResult(byte[]? Result, long Batches, long Readings, string? Reason);

/// <summary>A program devices upload to, loaded: its compiled form, its one secret input, an evaluator for the aggregate.</summary>
internal sealed class LoadedProgram(StoredProgram stored, CompiledProgram compiled, HeInput input, byte[] publicKey)
{
    private readonly HeContext _context = new(compiled.EncryptionParameters, SecurityLevel.Tc128, 1);

    public StoredProgram Stored { get; } = stored;

    public CompiledProgram Compiled { get; } = compiled;

    public HeInput Input { get; } = input;

    /// <summary>A key bundle holding only the data owner's public key (what devices encrypt with).</summary>
    public byte[] PublicKey { get; } = publicKey;

    /// <summary>The SHA-256 (hex) of <see cref="PublicKey"/>: every batch names the key it was encrypted under.</summary>
    public string KeyId { get; } = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(publicKey));

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Adds two ciphertexts of this program (validated before) homomorphically.</summary>
    public byte[] Add(byte[] aggregate, byte[] batch)
    {
        var sum = HeSerializer.LoadCiphertext(_context, aggregate);
        new Evaluator(_context).AddInplace(sum, HeSerializer.LoadCiphertext(_context, batch));
        return HeSerializer.Save(sum);
    }
}

/// <summary>
/// Device uploads to the node's HE analytics. A data owner (through an operator) registers a program with one
/// secret input and its evaluation keys; devices fetch the program and the public key, and upload batches
/// (ciphertexts of that input). Each batch is checked by <see cref="HeAnalyticsService"/> (a fresh ciphertext of
/// the program's parameters, else refused with an event) and added homomorphically to the program's running
/// aggregate; upload id and new aggregate are committed in one transaction, so that an upload id is counted once.
/// A computation hands the aggregate to the service and returns the encrypted result; the node never holds a secret key.
/// </summary>
internal sealed class DeviceAnalytics(HeAnalyticsService service, DeviceDatabase database, ISecurityEventSink events, string country)
{
    /// <summary>The most batches one aggregate takes (each addition costs a little BFV noise budget).</summary>
    public const long MaxBatches = 4096;

    private readonly ConcurrentDictionary<string, LoadedProgram> _programs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private bool _loaded;

    public async Task<IReadOnlyList<LoadedProgram>> ProgramsAsync(CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        return [.. _programs.Values.OrderBy(p => p.Stored.Id, StringComparer.Ordinal)];
    }

    public async Task<LoadedProgram?> FindAsync(string programId, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        return _programs.GetValueOrDefault(programId);
    }

    /// <summary>Whether the upload id of the device was already counted.</summary>
    public bool IsRecorded(string deviceId, string uploadId) => database.HasUpload(deviceId, uploadId);

    /// <summary>Registers a program; the reason when refused, else null (and whether the parameters changed).</summary>
    public async Task<(string? Reason, bool Changed)> RegisterAsync(StoredProgram program, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var (loaded, reason) = Load(program);
        if (loaded is null)
        {
            return (reason, false);
        }

        var existing = _programs.GetValueOrDefault(program.Id);
        var gate = existing?.Gate;
        if (gate is not null)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var registered = await service.RegisterProgramAsync(program.Id, program.Program, program.EvaluationKeys, program.Owner, cancellationToken).ConfigureAwait(false);
            if (!registered.Accepted)
            {
                return (registered.Reason, false);
            }

            database.SaveProgram(program);
            _programs[program.Id] = loaded;
            return (null, existing is not null);
        }
        finally
        {
            gate?.Release();
        }
    }

    /// <summary>Adds one batch from <paramref name="deviceId"/> to the program's aggregate, once per upload id.</summary>
    public async Task<DeviceUploadResult> UploadAsync(LoadedProgram program, string deviceId, string uploadId, int readings, byte[] ciphertext, CancellationToken cancellationToken)
    {
        await program.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (database.HasUpload(deviceId, uploadId))
            {
                return new DeviceUploadResult(true, true, null);
            }

            var current = database.Aggregate(program.Stored.Id);
            if (current is { Batches: >= MaxBatches })
            {
                return new DeviceUploadResult(false, false, $"the aggregate of '{program.Stored.Id}' holds {MaxBatches} batches: compute and re-register the program");
            }

            // The service validates (fresh ciphertext of this program's parameters) and emits he-ciphertext-upload or -rejected.
            var check = await service.UploadAsync(program.Stored.Id, program.Input.Name, deviceId, ciphertext, cancellationToken).ConfigureAwait(false);
            if (!check.Accepted)
            {
                return new DeviceUploadResult(false, false, check.Reason);
            }

            var sum = current is null ? ciphertext : program.Add(current.Ciphertext, ciphertext);
            var next = new StoredAggregate(sum, (current?.Batches ?? 0) + 1, (current?.Readings ?? 0) + readings);
            return database.RecordUpload(deviceId, uploadId, program.Stored.Id, readings, next)
                ? new DeviceUploadResult(true, false, null)
                : new DeviceUploadResult(true, true, null);
        }
        finally
        {
            program.Gate.Release();
        }
    }

    /// <summary>Evaluates the program over its aggregate (no secret key): the serialised encrypted result.</summary>
    public async Task<DeviceComputeResult> ComputeAsync(LoadedProgram program, string requester, CancellationToken cancellationToken)
    {
        await program.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var aggregate = database.Aggregate(program.Stored.Id);
            if (aggregate is null)
            {
                return new DeviceComputeResult(null, 0, 0, $"no batch has been uploaded to '{program.Stored.Id}'");
            }

            var load = await service.UploadAsync(program.Stored.Id, program.Input.Name, $"aggregate:{program.Stored.Id}", aggregate.Ciphertext, cancellationToken).ConfigureAwait(false);
            var computed = load.Accepted ? await service.ComputeAsync(program.Stored.Id, requester, null, cancellationToken).ConfigureAwait(false) : null;
            var reason = load.Reason ?? computed?.Reason;
            await events.PublishAsync(new SecurityEvent
            {
                Node = country,
                Category = EventCategories.HomomorphicEncryption,
                Action = "device-analytics-compute",
                Outcome = computed?.Succeeded == true ? EventOutcome.Success : EventOutcome.Failure,
                Actor = requester,
                Reason = computed?.Succeeded == true ? null : reason,
                Attributes = new Dictionary<string, string>
                {
                    ["program"] = program.Stored.Id,
                    ["batches"] = aggregate.Batches.ToString(CultureInfo.InvariantCulture),
                    ["readings"] = aggregate.Readings.ToString(CultureInfo.InvariantCulture),
                },
            }, cancellationToken).ConfigureAwait(false);
            return computed?.Succeeded == true
                ? new DeviceComputeResult(computed.Result, aggregate.Batches, aggregate.Readings, null)
                : new DeviceComputeResult(null, aggregate.Batches, aggregate.Readings, reason ?? "the computation failed");
        }
        finally
        {
            program.Gate.Release();
        }
    }

    /// <summary>Loads a stored program; null with the reason if it does not load or has not exactly one secret input.</summary>
    private static (LoadedProgram? Program, string? Reason) Load(StoredProgram stored)
    {
        try
        {
            var compiled = CompiledProgram.Deserialize(stored.Program);
            var secret = compiled.Program.Inputs.Where(i => i.IsSecret).ToArray();
            if (secret is not [var input] || compiled.Program.Inputs.Count != 1)
            {
                return (null, "a device program has exactly one input, secret (the readings)");
            }

            var keys = HeBundle.Deserialize(stored.EvaluationKeys);
            var publicKey = new HeBundle();
            publicKey.Set(KeyNames.Public, keys.Find(KeyNames.Public) ?? throw new HeFormatException("the evaluation keys have no public key."));
            return (new LoadedProgram(stored, compiled, input, publicKey.Serialize()), null);
        }
        catch (Exception ex) when (ex is HeFormatException or ArgumentException)
        {
            return (null, ex.Message);
        }
    }

    // After a restart the service knows no program: register the stored ones again (their aggregates stay in the database).
    private async Task EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        await _loadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_loaded)
            {
                return;
            }

            foreach (var stored in database.Programs())
            {
                var (loaded, _) = Load(stored);
                if (loaded is not null && (await service.RegisterProgramAsync(stored.Id, stored.Program, stored.EvaluationKeys, stored.Owner, cancellationToken).ConfigureAwait(false)).Accepted)
                {
                    _programs[stored.Id] = loaded;
                }
            }

            _loaded = true;
        }
        finally
        {
            _loadGate.Release();
        }
    }
}
