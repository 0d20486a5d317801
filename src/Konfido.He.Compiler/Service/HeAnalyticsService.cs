using System.Diagnostics;
using System.Globalization;
using Konfido.Core;
using Konfido.He.Compiler.Runtime;
using Konfido.He.Serialization;

namespace Konfido.He.Compiler.Service;

/// <summary>The outcome of registering a program with the service.</summary>
/// <param name="Accepted">Whether the program and its keys loaded.</param>
/// <param name="Reason">Why not, when not accepted.</param>
/// <param name="ParametersChanged">Whether the program id was registered before with other parameters.</param>
public sealed record HeRegistrationResult(bool Accepted, string? Reason, bool ParametersChanged);

/// <summary>The outcome of an upload of an encrypted input.</summary>
/// <param name="Accepted">Whether the ciphertext loaded as a fresh encryption of the program's parameters.</param>
/// <param name="Reason">Why not, when not accepted.</param>
public sealed record HeUploadResult(bool Accepted, string? Reason);

/// <summary>The outcome of a computation.</summary>
/// <param name="Succeeded">Whether the program ran.</param>
/// <param name="Result">The serialised result bundle (encrypted outputs), when it ran.</param>
/// <param name="Reason">Why not, when it did not.</param>
public sealed record HeComputeResult(bool Succeeded, byte[]? Result, string? Reason);

/// <summary>
/// The node's analytics service over homomorphically encrypted data. Data owners register a
/// compiled program with their evaluation keys (never a secret key: the service has no way to take
/// one); devices upload serialised ciphertexts of the secret inputs; the service evaluates and
/// returns the serialised encrypted result, which only the key holder can decrypt. Every load is
/// validated: malformed or foreign data is refused with a reason and a security event. Thread-safe.
/// </summary>
/// <remarks>Events (category <see cref="EventCategories.HomomorphicEncryption"/>): <c>he-program-register</c>,
/// <c>he-parameter-change</c>, <c>he-load-failed</c>, <c>he-ciphertext-upload</c>, <c>he-ciphertext-rejected</c>,
/// <c>he-evaluate</c>.</remarks>
public sealed class HeAnalyticsService
{
    /// <summary>The largest ciphertext the service loads (bytes).</summary>
    public const int MaxCiphertextBytes = 64 << 20;

    private readonly ISecurityEventSink _events;
    private readonly string _node;
    private readonly int _threads;
    private readonly Dictionary<string, Registration> _programs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>A service of node <paramref name="node"/> emitting to <paramref name="events"/>.</summary>
    /// <param name="events">Receives the HE security events.</param>
    /// <param name="node">The node's country code (e.g. DK).</param>
    /// <param name="threads">Threads over RNS limbs per evaluation (1..64).</param>
    public HeAnalyticsService(ISecurityEventSink events, string node, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, 64);
        _events = events;
        _node = node;
        _threads = threads;
    }

    /// <summary>The ids of the registered programs.</summary>
    public IReadOnlyList<string> Programs
    {
        get
        {
            lock (_gate)
            {
                return [.. _programs.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>
    /// Registers (or replaces) program <paramref name="programId"/>: a serialised
    /// <see cref="CompiledProgram"/> and the key holder's evaluation keys (an <see cref="HeBundle"/>).
    /// A replacement with other parameters is reported as a parameter change.
    /// </summary>
    public async ValueTask<HeRegistrationResult> RegisterProgramAsync(string programId, byte[] program, byte[] evaluationKeys, string owner,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(programId);
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(evaluationKeys);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        CompiledProgram compiled;
        HeProgramServer server;
        try
        {
            compiled = CompiledProgram.Deserialize(program, _threads);
            server = new HeProgramServer(compiled, HeBundle.Deserialize(evaluationKeys));
        }
        catch (Exception ex) when (ex is HeFormatException or ArgumentException)
        {
            await PublishAsync("he-load-failed", EventOutcome.Failure, owner, $"program or evaluation keys refused: {ex.Message}",
                cancellationToken, ("program", programId), ("object", "program")).ConfigureAwait(false);
            return new HeRegistrationResult(false, ex.Message, false);
        }

        string? previous;
        lock (_gate)
        {
            previous = _programs.TryGetValue(programId, out var old) ? old.Program.ParmsId.ToString() : null;
            _programs[programId] = new Registration(compiled, server, owner);
        }

        var p = compiled.Parameters;
        var attributes = new (string, string)[]
        {
            ("program", programId), ("scheme", compiled.Scheme.ToString().ToLowerInvariant()),
            ("n", p.PolyModulusDegree.ToString(CultureInfo.InvariantCulture)), ("logq", p.LogQ.ToString(CultureInfo.InvariantCulture)),
            ("security_bits", p.SecurityBits.ToString(CultureInfo.InvariantCulture)), ("parms_id", compiled.ParmsId.ToString()),
        };
        bool changed = previous is not null && previous != compiled.ParmsId.ToString();
        if (changed)
        {
            await PublishAsync("he-parameter-change", EventOutcome.Success, owner, $"parameters of '{programId}' changed from {previous} to {compiled.ParmsId}",
                cancellationToken, [.. attributes, ("previous_parms_id", previous!)]).ConfigureAwait(false);
        }

        await PublishAsync("he-program-register", EventOutcome.Success, owner, null, cancellationToken, attributes).ConfigureAwait(false);
        return new HeRegistrationResult(true, null, changed);
    }

    /// <summary>
    /// Accepts an encrypted secret input of a registered program from <paramref name="device"/>.
    /// The ciphertext must load as a fresh encryption under the program's parameters; otherwise it
    /// is refused (result, not exception) and an <c>he-ciphertext-rejected</c> event is emitted.
    /// </summary>
    public async ValueTask<HeUploadResult> UploadAsync(string programId, string input, string device, byte[] ciphertext,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(programId);
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        ArgumentNullException.ThrowIfNull(ciphertext);
        Registration? registration;
        lock (_gate)
        {
            registration = _programs.GetValueOrDefault(programId);
        }

        string? reason = null;
        if (registration is null)
        {
            reason = $"no program '{programId}' is registered";
        }
        else if (!registration.Program.SecretInputs.Contains(input))
        {
            reason = $"'{input}' is not a secret input of '{programId}'";
        }
        else if (ciphertext.Length > MaxCiphertextBytes)
        {
            reason = $"the ciphertext has {ciphertext.Length} bytes (more than {MaxCiphertextBytes})";
        }
        else
        {
            try
            {
                registration.Server.ValidateCiphertext(ciphertext);
            }
            catch (HeFormatException ex)
            {
                reason = "malformed or foreign ciphertext: " + ex.Message;
            }
        }

        if (reason is not null)
        {
            await PublishAsync("he-ciphertext-rejected", EventOutcome.Failure, device, reason, cancellationToken,
                ("program", programId), ("input", input), ("bytes", ciphertext.Length.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
            return new HeUploadResult(false, reason);
        }

        lock (_gate)
        {
            registration!.Uploads[input] = ciphertext;
        }

        await PublishAsync("he-ciphertext-upload", EventOutcome.Success, device, null, cancellationToken,
            ("program", programId), ("input", input), ("bytes", ciphertext.Length.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
        return new HeUploadResult(true, null);
    }

    /// <summary>
    /// Runs program <paramref name="programId"/> over the uploaded ciphertexts (and the clear inputs,
    /// e.g. model weights) without any secret key; returns the serialised encrypted result.
    /// </summary>
    public async ValueTask<HeComputeResult> ComputeAsync(string programId, string requester, IReadOnlyDictionary<string, double[]>? clearInputs = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(programId);
        ArgumentException.ThrowIfNullOrWhiteSpace(requester);
        Registration? registration;
        var inputs = new HeBundle();
        lock (_gate)
        {
            registration = _programs.GetValueOrDefault(programId);
            if (registration is not null)
            {
                foreach (var (name, bytes) in registration.Uploads)
                {
                    inputs.Set(name, bytes);
                }
            }
        }

        string? reason = registration is null ? $"no program '{programId}' is registered"
            : registration.Program.SecretInputs.FirstOrDefault(n => !inputs.Contains(n)) is { } missing ? $"secret input '{missing}' has not been uploaded"
            : null;
        byte[]? result = null;
        var clock = Stopwatch.StartNew();
        if (reason is null)
        {
            try
            {
                // One evaluation per program at a time (the encoders keep scratch state).
                lock (registration!.EvaluationGate)
                {
                    result = registration.Server.Evaluate(inputs, clearInputs).Serialize();
                }
            }
            catch (Exception ex) when (ex is HeFormatException or ArgumentException)
            {
                reason = ex.Message;
            }
        }

        await PublishAsync("he-evaluate", reason is null ? EventOutcome.Success : EventOutcome.Failure, requester, reason, cancellationToken,
            ("program", programId), ("duration_ms", clock.Elapsed.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture))).ConfigureAwait(false);
        return new HeComputeResult(reason is null, result, reason);
    }

    private ValueTask PublishAsync(string action, EventOutcome outcome, string actor, string? reason, CancellationToken cancellationToken,
        params (string Key, string Value)[] attributes) =>
        HeEvents.PublishAsync(_events, _node, action, outcome, actor, reason, cancellationToken, attributes);

    private sealed class Registration(CompiledProgram program, HeProgramServer server, string owner)
    {
        public CompiledProgram Program { get; } = program;

        public HeProgramServer Server { get; } = server;

        public string Owner { get; } = owner;

        public Dictionary<string, byte[]> Uploads { get; } = new(StringComparer.Ordinal);

        public Lock EvaluationGate { get; } = new();
    }
}

/// <summary>
/// The key holder's side with auditing: generates a program's keys and decrypts results, emitting
/// <c>he-keygen</c> and <c>he-decrypt-request</c> events (and <c>he-load-failed</c> for a result that does not load).
/// Dispose zeroises the secret key.
/// </summary>
public sealed class HeDataOwner : IDisposable
{
    private readonly HeKeyHolder _holder;
    private readonly ISecurityEventSink _events;
    private readonly string _node;

    private HeDataOwner(HeKeyHolder holder, ISecurityEventSink events, string node, string owner)
    {
        _holder = holder;
        _events = events;
        _node = node;
        Owner = owner;
    }

    /// <summary>The owner's identifier (patient, device owner, or authority).</summary>
    public string Owner { get; }

    /// <summary>The compiled program.</summary>
    public CompiledProgram Program => _holder.Program;

    /// <summary>The serialised evaluation keys for the service (public, relinearisation, Galois; no secret key).</summary>
    public byte[] EvaluationKeys => _holder.EvaluationKeys.Serialize();

    /// <summary>An encryptor for devices (public key only).</summary>
    public HeInputEncryptor CreateEncryptor() => _holder.CreateEncryptor();

    /// <summary>Zeroises the secret key.</summary>
    public void Dispose() => _holder.Dispose();

    /// <summary>Generates keys for <paramref name="program"/> and reports it.</summary>
    public static ValueTask<HeDataOwner> CreateAsync(CompiledProgram program, string owner, ISecurityEventSink events, string node,
        CancellationToken cancellationToken = default) =>
        CreateAsync(program, owner, events, node, null, null, cancellationToken);

    /// <summary>
    /// Generates keys for <paramref name="program"/>, hands the secret key to <paramref name="vault"/> as
    /// <paramref name="keyName"/> (none stays in this process), and reports it.
    /// </summary>
    /// <param name="program">The compiled program.</param>
    /// <param name="owner">The owner's identifier.</param>
    /// <param name="events">Where the owner's events go.</param>
    /// <param name="node">The node reporting them.</param>
    /// <param name="vault">Where the secret key lives (a key custody), or null to keep it in memory.</param>
    /// <param name="keyName">The key's name in the vault (with <paramref name="vault"/>).</param>
    /// <param name="cancellationToken">Cancels the report.</param>
    public static async ValueTask<HeDataOwner> CreateAsync(CompiledProgram program, string owner, ISecurityEventSink events, string node,
        IHeSecretKeyVault? vault, string? keyName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        var holder = new HeKeyHolder(program, vault, keyName);
        var result = new HeDataOwner(holder, events, node, owner);
        await result.PublishAsync("he-keygen", EventOutcome.Success, owner, null, cancellationToken,
            ("program", program.Program.Name), ("parms_id", program.ParmsId.ToString()),
            ("n", program.Parameters.PolyModulusDegree.ToString(CultureInfo.InvariantCulture)),
            ("rotation_keys", program.Statistics.RotationSteps.Count.ToString(CultureInfo.InvariantCulture)),
            ("secret_key", vault is null ? "in memory" : "in custody")).ConfigureAwait(false);
        return result;
    }

    /// <summary>Decrypts a serialised result for <paramref name="requester"/>; null (with an event) if it does not load.</summary>
    public async ValueTask<HeDecryption?> DecryptAsync(byte[] result, string requester, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(requester);
        HeDecryption? decryption = null;
        string? reason = null;
        try
        {
            decryption = _holder.Decrypt(HeBundle.Deserialize(result));
        }
        catch (HeFormatException ex)
        {
            reason = ex.Message;
        }

        if (reason is not null)
        {
            await PublishAsync("he-load-failed", EventOutcome.Failure, requester, "result refused: " + reason, cancellationToken,
                ("program", Program.Program.Name), ("object", "result")).ConfigureAwait(false);
        }

        await PublishAsync("he-decrypt-request", reason is null ? EventOutcome.Success : EventOutcome.Failure, requester, reason, cancellationToken,
            ("program", Program.Program.Name), ("owner", Owner)).ConfigureAwait(false);
        return decryption;
    }

    private ValueTask PublishAsync(string action, EventOutcome outcome, string actor, string? reason, CancellationToken cancellationToken,
        params (string Key, string Value)[] attributes) =>
        HeEvents.PublishAsync(_events, _node, action, outcome, actor, reason, cancellationToken, attributes);
}

/// <summary>The HE services' security events (category <c>he</c>), one shape for the analytics service and the data owner.</summary>
internal static class HeEvents
{
    public static ValueTask PublishAsync(ISecurityEventSink events, string node, string action, EventOutcome outcome, string actor, string? reason,
        CancellationToken cancellationToken, (string Key, string Value)[] attributes) =>
        events.PublishAsync(new SecurityEvent
        {
            Node = node,
            Category = EventCategories.HomomorphicEncryption,
            Action = action,
            Outcome = outcome,
            Actor = actor,
            Reason = reason,
            Attributes = attributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal),
        }, cancellationToken);
}
