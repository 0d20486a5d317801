// The run-time of compiled programs, split by who holds what:
//  - HeKeyHolder (the data owner / patient): generates the keys of one compiled program, keeps the
//    secret key, hands out the evaluation keys (public, relinearisation, the Galois keys of the
//    rotations used) and decrypts results;
//  - HeInputEncryptor (a device): encrypts inputs with the public key only;
//  - HeProgramServer (the node): evaluates the plan over serialised ciphertexts with the
//    evaluation keys; it has no way to receive a secret key.
// Vectors of L slots are replicated across the N/2 CKKS slots (both BFV rows), so rotations are
// cyclic with period L, as the language defines them.
using System.Diagnostics;
using System.Numerics;
using Konfido.He.Serialization;

namespace Konfido.He.Compiler.Runtime;

/// <summary>Encodes program vectors into plaintexts and back.</summary>
internal sealed class SlotCodec
{
    private readonly HeContext _context;
    private readonly CKKSEncoder? _ckks;
    private readonly BatchEncoder? _batch;
    private readonly int _slots;

    public SlotCodec(HeContext context, int slots)
    {
        _context = context;
        _slots = slots;
        if (context.Parameters.Scheme == SchemeType.Ckks)
        {
            _ckks = new CKKSEncoder(context);
        }
        else
        {
            _batch = new BatchEncoder(context);
        }
    }

    /// <summary>A packing mask: <paramref name="values"/> on the physical slots [k L, k L + L) of every row, 0 elsewhere.</summary>
    public Plaintext EncodeMask(int block, double[] values, ParmsId level, double scale)
    {
        int rowSlots = _ckks?.SlotCount ?? _batch!.SlotCount / 2;
        var physical = new double[_ckks?.SlotCount ?? _batch!.SlotCount];
        for (int i = 0; i < physical.Length; i++)
        {
            physical[i] = (i % rowSlots) / _slots == block ? values[i % _slots] : 0;
        }

        var plain = new Plaintext();
        if (_ckks is not null)
        {
            _ckks.Encode(physical, level, scale, plain);
        }
        else
        {
            ulong t = _context.Parameters.PlainModulus!.Value.Value;
            _batch!.Encode([.. physical.Select(v => v == 0 ? 0 : Residue(v, t))], plain);
        }

        return plain;
    }

    /// <summary>The value at one physical slot, broadcast to the program's length.</summary>
    public double[] DecodeAt(Plaintext plain, int physicalSlot)
    {
        double value;
        if (_ckks is not null)
        {
            var all = new double[_ckks.SlotCount];
            _ckks.Decode(plain, all);
            value = all[physicalSlot];
        }
        else
        {
            var all = new long[_batch!.SlotCount];
            _batch.Decode(plain, all);
            value = all[physicalSlot];
        }

        var result = new double[_slots];
        Array.Fill(result, value);
        return result;
    }

    public Plaintext Encode(double[] values, ParmsId level, double scale, bool uniform)
    {
        var plain = new Plaintext();
        if (_ckks is not null)
        {
            if (uniform)
            {
                _ckks.Encode(values[0], level, scale, plain);
            }
            else
            {
                var replicated = new double[_ckks.SlotCount];
                for (int i = 0; i < replicated.Length; i++)
                {
                    replicated[i] = values[i % _slots];
                }

                _ckks.Encode(replicated, level, scale, plain);
            }

            return plain;
        }

        ulong t = _context.Parameters.PlainModulus!.Value.Value;
        if (uniform)
        {
            var constant = new Plaintext(1);
            constant[0] = Residue(values[0], t);
            return constant;
        }

        var slots = new ulong[_batch!.SlotCount];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = Residue(values[i % _slots], t);
        }

        _batch.Encode(slots, plain);
        return plain;
    }

    public double[] Decode(Plaintext plain)
    {
        var result = new double[_slots];
        if (_ckks is not null)
        {
            var all = new double[_ckks.SlotCount];
            _ckks.Decode(plain, all);
            Array.Copy(all, result, _slots);
        }
        else
        {
            var all = new long[_batch!.SlotCount];
            _batch.Decode(plain, all);
            for (int i = 0; i < _slots; i++)
            {
                result[i] = all[i];
            }
        }

        return result;
    }

    // An integer maps to its residue; 1/D (from exact Lagrange interpolation) to D's inverse mod t.
    private static ulong Residue(double value, ulong t)
    {
        if (value == Math.Floor(value))
        {
            var r = (BigInteger)value % t;
            return (ulong)(r < 0 ? r + t : r);
        }

        double inverse = Math.Round(1 / value);
        if (Math.Abs(1 / value - inverse) > 1e-6 || inverse == 0)
        {
            throw new InvalidOperationException($"the constant {value} is neither an integer nor the reciprocal of one.");
        }

        var d = (BigInteger)inverse % t;
        if (d < 0)
        {
            d += t;
        }

        return (ulong)BigInteger.ModPow(d, t - 2, t);
    }
}

/// <summary>Checks and completes input vectors against a program's declarations.</summary>
internal static class InputCheck
{
    public static double[] Vector(HeProgram program, string name, IReadOnlyList<double> values)
    {
        var input = program.Inputs.FirstOrDefault(i => i.Name == name)
            ?? throw new ArgumentException($"the program has no input '{name}'.", nameof(name));
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != program.Slots && values.Count != 1)
        {
            throw new ArgumentException($"input '{name}' needs {program.Slots} values (or one), got {values.Count}.", nameof(values));
        }

        var result = new double[program.Slots];
        for (int i = 0; i < result.Length; i++)
        {
            double v = values[values.Count == 1 ? 0 : i];
            if (!double.IsFinite(v) || v < input.Low || v > input.High)
            {
                throw new ArgumentException($"input '{name}'[{i}] = {v} lies outside its declared range [{input.Low}, {input.High}].", nameof(values));
            }

            if (input.IsInteger && v != Math.Floor(v))
            {
                throw new ArgumentException($"input '{name}'[{i}] = {v} is not an integer.", nameof(values));
            }

            result[i] = v;
        }

        return result;
    }
}

/// <summary>Decrypted outputs, with the smallest remaining BFV noise budget (null for CKKS).</summary>
/// <param name="Outputs">Each output's vector.</param>
/// <param name="NoiseBudgetBits">BFV: the smallest invariant noise budget of the outputs, in bits.</param>
public sealed record HeDecryption(IReadOnlyDictionary<string, double[]> Outputs, int? NoiseBudgetBits);

/// <summary>
/// The data owner of one compiled program: generates its keys, keeps the secret key, and decrypts.
/// Give <see cref="EvaluationKeys"/> to servers and devices; never the holder itself. Dispose
/// zeroises the secret key.
/// </summary>
public sealed class HeKeyHolder : IDisposable
{
    private readonly CompiledProgram _program;
    private readonly HeContext _context;
    private readonly SecretKey? _secretKey;
    private readonly IHeSecretKeyVault? _vault;
    private readonly string? _keyName;
    private readonly SlotCodec _codec;
    private bool _disposed;

    /// <summary>Generates fresh keys for <paramref name="program"/>; the holder keeps the secret key in memory.</summary>
    public HeKeyHolder(CompiledProgram program)
        : this(program, null, null)
    {
    }

    /// <summary>
    /// Generates fresh keys for <paramref name="program"/> and hands the secret key at once to
    /// <paramref name="vault"/> as <paramref name="keyName"/> (then zeroises every copy here): each
    /// decryption loads it inside <see cref="IHeSecretKeyVault.Use{TResult}"/> and zeroises it again.
    /// </summary>
    /// <param name="program">The compiled program.</param>
    /// <param name="vault">Where the secret key lives (a key custody).</param>
    /// <param name="keyName">The key's name in the vault (unused there).</param>
    public HeKeyHolder(CompiledProgram program, IHeSecretKeyVault? vault, string? keyName)
    {
        ArgumentNullException.ThrowIfNull(program);
        if ((vault is null) != (keyName is null))
        {
            throw new ArgumentException("A vault and a key name go together.", nameof(keyName));
        }

        _program = program;
        _context = new HeContext(program.EncryptionParameters, SecurityLevel.Tc128, program.Options.Threads);
        var keygen = new KeyGenerator(_context);
        var secretKey = keygen.SecretKey;
        keygen.CreatePublicKey(out var publicKey);
        var keys = new HeBundle();
        keys.Set(KeyNames.Public, HeSerializer.Save(publicKey));
        if (program.NeedsRelinKeys)
        {
            keygen.CreateRelinKeys(out var relinKeys);
            keys.Set(KeyNames.Relin, HeSerializer.Save(relinKeys));
        }

        if (program.Statistics.RotationSteps.Count > 0)
        {
            keygen.CreateGaloisKeys(program.Statistics.RotationSteps, out var galoisKeys);
            keys.Set(KeyNames.Galois, HeSerializer.Save(galoisKeys));
        }

        EvaluationKeys = keys;
        _codec = new SlotCodec(_context, program.Program.Slots);
        if (vault is null)
        {
            _secretKey = secretKey;
            return;
        }

        var serialised = HeSerializer.Save(secretKey);
        try
        {
            vault.Store(keyName!, serialised);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(serialised);
            secretKey.Clear();
        }

        (_vault, _keyName) = (vault, keyName);
    }

    /// <summary>True if the secret key lives in a vault rather than in this object.</summary>
    public bool SecretKeyInVault => _vault is not null;

    /// <summary>The public key, relinearisation keys (if the plan multiplies ciphertexts) and Galois keys of the rotations used.</summary>
    public HeBundle EvaluationKeys { get; }

    /// <summary>The compiled program the keys belong to.</summary>
    public CompiledProgram Program => _program;

    /// <summary>An encryptor for the program's secret inputs (public key only).</summary>
    public HeInputEncryptor CreateEncryptor() => new(_program, EvaluationKeys);

    /// <summary>Zeroises the secret key; the holder can no longer decrypt.</summary>
    public void Dispose()
    {
        _secretKey?.Clear();
        _disposed = true;
    }

    /// <summary>Decrypts a server's result. Throws <see cref="HeFormatException"/> for malformed or foreign ciphertexts.</summary>
    public HeDecryption Decrypt(HeBundle result)
    {
        ArgumentNullException.ThrowIfNull(result);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_vault is null)
        {
            return Decrypt(result, _secretKey!);
        }

        return _vault.Use(_keyName!, serialised =>
        {
            var secretKey = HeSerializer.LoadSecretKey(_context, serialised);
            try
            {
                return Decrypt(result, secretKey);
            }
            finally
            {
                secretKey.Clear();
            }
        });
    }

    private HeDecryption Decrypt(HeBundle result, SecretKey key)
    {
        var decryptor = new Decryptor(_context, key);
        var outputs = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var decrypted = new Dictionary<string, (Plaintext Plain, int? Budget)>(StringComparer.Ordinal);
        int? budget = null;
        foreach (var output in _program.Schedule.Outputs)
        {
            if (output.Register < 0)
            {
                outputs[output.Name] = ResultNames.ReadClear(result, output.Name);
                continue;
            }

            var bytes = result.Find(ResultNames.Encrypted(output.Name))
                ?? throw new HeFormatException($"the result has no output '{output.Name}'.");
            string source = output.Name;
            if (ResultNames.TryAlias(bytes, out var alias))
            {
                source = alias;
                bytes = result.Find(ResultNames.Encrypted(alias)) is { } target && !ResultNames.TryAlias(target, out _)
                    ? target
                    : throw new HeFormatException($"output '{output.Name}' refers to a missing output '{alias}'.");
            }

            if (!decrypted.TryGetValue(source, out var entry))
            {
                var ciphertext = HeSerializer.LoadCiphertext(_context, bytes);
                var decryptedPlain = new Plaintext();
                decryptor.Decrypt(ciphertext, decryptedPlain);
                entry = (decryptedPlain, _program.Scheme != SchemeType.Ckks ? decryptor.InvariantNoiseBudget(ciphertext) : null);
                decrypted[source] = entry;
            }

            var plain = entry.Plain;
            outputs[output.Name] = output.PhysicalSlot >= 0 ? _codec.DecodeAt(plain, output.PhysicalSlot) : _codec.Decode(plain);
            if (entry.Budget is int b)
            {
                budget = budget is null ? b : Math.Min(budget.Value, b);
            }
        }

        return new HeDecryption(outputs, budget);
    }
}

/// <summary>Encrypts a program's secret inputs with its public key (what a device runs).</summary>
public sealed class HeInputEncryptor
{
    private readonly CompiledProgram _program;
    private readonly HeContext _context;
    private readonly Encryptor _encryptor;
    private readonly SlotCodec _codec;

    /// <summary>An encryptor from the key holder's evaluation keys (only the public key is used). Throws <see cref="HeFormatException"/> for a bad key.</summary>
    public HeInputEncryptor(CompiledProgram program, HeBundle evaluationKeys)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(evaluationKeys);
        _program = program;
        _context = new HeContext(program.EncryptionParameters, SecurityLevel.Tc128, program.Options.Threads);
        var publicKey = HeSerializer.LoadPublicKey(_context, evaluationKeys.Find(KeyNames.Public)
            ?? throw new HeFormatException("the evaluation keys have no public key."));
        _encryptor = new Encryptor(_context, publicKey);
        _codec = new SlotCodec(_context, program.Program.Slots);
    }

    /// <summary>Encrypts one secret input. Requires the program's slot count (or one value) within the declared range.</summary>
    public byte[] Encrypt(string input, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!_program.SecretInputs.Contains(input))
        {
            throw new ArgumentException($"'{input}' is not a secret input of the program.", nameof(input));
        }

        var vector = InputCheck.Vector(_program.Program, input, values);
        double scale = Math.Pow(2, _program.Parameters.ScaleBits);
        var plain = _codec.Encode(vector, _context.FirstParmsId, scale, uniform: false);
        var ciphertext = new Ciphertext();
        _encryptor.Encrypt(plain, ciphertext);
        return HeSerializer.Save(ciphertext);
    }

    /// <summary>Encrypts every secret input found in <paramref name="inputs"/> (all must be present).</summary>
    public HeBundle EncryptInputs(IReadOnlyDictionary<string, double[]> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var bundle = new HeBundle();
        foreach (var name in _program.SecretInputs)
        {
            if (!inputs.TryGetValue(name, out var values))
            {
                throw new ArgumentException($"secret input '{name}' is missing.", nameof(inputs));
            }

            bundle.Set(name, Encrypt(name, values));
        }

        return bundle;
    }
}

/// <summary>
/// Evaluates a compiled program over encrypted inputs with evaluation keys only (the node's side).
/// Every key and ciphertext is checked on load; malformed or foreign data raises <see cref="HeFormatException"/>.
/// </summary>
public sealed class HeProgramServer
{
    private readonly CompiledProgram _program;
    private readonly HeContext _context;
    private readonly Evaluator _evaluator;
    private readonly RelinKeys? _relinKeys;
    private readonly GaloisKeys? _galoisKeys;
    private readonly SlotCodec _codec;
    private readonly CKKSEncoder? _ckksEncoder;
    private readonly ParmsId[] _levels;
    private readonly double[] _scales;

    /// <summary>A server for <paramref name="program"/> with the key holder's <paramref name="evaluationKeys"/>.</summary>
    public HeProgramServer(CompiledProgram program, HeBundle evaluationKeys)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(evaluationKeys);
        _program = program;
        _context = new HeContext(program.EncryptionParameters, SecurityLevel.Tc128, program.Options.Threads);
        foreach (var name in evaluationKeys.Names)
        {
            if (name is not (KeyNames.Public or KeyNames.Relin or KeyNames.Galois))
            {
                throw new HeFormatException($"the evaluation keys hold an unexpected entry '{name}' (a server accepts only public, relinearisation and Galois keys).");
            }
        }

        if (program.NeedsRelinKeys)
        {
            _relinKeys = HeSerializer.LoadRelinKeys(_context, evaluationKeys.Find(KeyNames.Relin)
                ?? throw new HeFormatException("the evaluation keys lack the relinearisation keys the program needs."));
        }

        if (program.Statistics.RotationSteps.Count > 0)
        {
            _galoisKeys = HeSerializer.LoadGaloisKeys(_context, evaluationKeys.Find(KeyNames.Galois)
                ?? throw new HeFormatException("the evaluation keys lack the Galois keys the program's rotations need."));
            foreach (int step in program.Statistics.RotationSteps)
            {
                if (!_galoisKeys.HasKey(GaloisElement(step, program.Parameters.PolyModulusDegree)))
                {
                    throw new HeFormatException($"the Galois keys lack the rotation by {step}.");
                }
            }
        }

        _evaluator = new Evaluator(_context);
        _codec = new SlotCodec(_context, program.Program.Slots);
        _ckksEncoder = program.Scheme == SchemeType.Ckks ? new CKKSEncoder(_context) : null;
        var levels = new List<ParmsId>();
        for (var level = _context.FirstContextData; level is not null; level = level.Next)
        {
            levels.Add(level.ParmsId);
        }

        _levels = [.. levels];

        // Canonical scales: S_0 = 2^s, S_(c+1) = S_c * S_c / q_c (q_c: the last prime at level c).
        _scales = new double[_levels.Length];
        if (program.Scheme == SchemeType.Ckks)
        {
            _scales[0] = Math.Pow(2, program.Parameters.ScaleBits);
            for (int c = 0; c + 1 < _levels.Length; c++)
            {
                _scales[c + 1] = _scales[c] * _scales[c] / LastPrime(c);
            }
        }
    }

    private double LastPrime(int level) => _context.GetContextData(_levels[level])!.Moduli[^1].Value;

    private int LevelOf(Ciphertext ciphertext) => Array.IndexOf(_levels, ciphertext.ParmsId);

    // The canonical scale of level c for a value with e scale factors (1 or 2).
    private double Canonical(int level, int exponent) => exponent == 1 ? _scales[level] : _scales[level] * _scales[level];

    /// <summary>The program served.</summary>
    public CompiledProgram Program => _program;

    // The Galois element of a rotation by `step` slots: 3^e mod 2N with e = step (or N/2 + step if negative).
    private static ulong GaloisElement(int step, int degree)
    {
        int e = step >= 0 ? step : degree / 2 + step;
        return (ulong)BigInteger.ModPow(3, e, 2 * degree);
    }

    /// <summary>Checks that <paramref name="data"/> is a fresh ciphertext of this program's parameters. Throws <see cref="HeFormatException"/> if not.</summary>
    public void ValidateCiphertext(ReadOnlySpan<byte> data)
    {
        var ciphertext = HeSerializer.LoadCiphertext(_context, data);
        if (ciphertext.ParmsId != _context.FirstParmsId || ciphertext.Size != 2)
        {
            throw new HeFormatException("the ciphertext is not a fresh encryption at the program's first level.");
        }
    }

    /// <summary>
    /// Runs the program. <paramref name="encryptedInputs"/> holds one ciphertext per secret input,
    /// <paramref name="clearInputs"/> one vector per clear input. Returns the encrypted (and clear) outputs.
    /// Throws <see cref="HeFormatException"/> for malformed or foreign ciphertexts, <see cref="ArgumentException"/> for missing inputs.
    /// </summary>
    public HeBundle Evaluate(HeBundle encryptedInputs, IReadOnlyDictionary<string, double[]>? clearInputs = null)
    {
        ArgumentNullException.ThrowIfNull(encryptedInputs);
        clearInputs ??= new Dictionary<string, double[]>();
        var clear = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var name in _program.ClearInputs)
        {
            if (!clearInputs.TryGetValue(name, out var values))
            {
                throw new ArgumentException($"clear input '{name}' is missing.", nameof(clearInputs));
            }

            clear[name] = InputCheck.Vector(_program.Program, name, values);
        }

        foreach (var name in encryptedInputs.Names)
        {
            if (!_program.SecretInputs.Contains(name))
            {
                throw new ArgumentException($"'{name}' is not a secret input of the program.", nameof(encryptedInputs));
            }
        }

        var graph = _program.Graph;
        var clearValues = new double[]?[graph.Nodes.Count];
        double[] ClearValue(int node)
        {
            if (clearValues[node] is { } known)
            {
                return known;
            }

            var value = ClearMath.Evaluate(graph[node], ClearValue, graph.Slots, clear);
            clearValues[node] = value;
            return value;
        }

        var schedule = _program.Schedule;
        var lastUse = new int[schedule.Registers.Count];
        for (int s = 0; s < schedule.Steps.Count; s++)
        {
            var step = schedule.Steps[s];
            if (step.A >= 0)
            {
                lastUse[step.A] = s;
            }

            if (step.B >= 0)
            {
                lastUse[step.B] = s;
            }
        }

        foreach (var output in schedule.Outputs.Where(o => o.Register >= 0))
        {
            lastUse[output.Register] = int.MaxValue;
        }

        var registers = new Ciphertext?[schedule.Registers.Count];
        for (int s = 0; s < schedule.Steps.Count; s++)
        {
            var step = schedule.Steps[s];
            var a = step.A >= 0 ? registers[step.A]! : null;
            var b = step.B >= 0 ? registers[step.B]! : null;
            var result = new Ciphertext();
            switch (step.Code)
            {
                case PlanCode.LoadInput:
                {
                    var bytes = encryptedInputs.Find(step.Input!)
                        ?? throw new ArgumentException($"secret input '{step.Input}' is missing.", nameof(encryptedInputs));
                    try
                    {
                        result = HeSerializer.LoadCiphertext(_context, bytes);
                    }
                    catch (HeFormatException ex)
                    {
                        throw new HeFormatException($"input '{step.Input}': {ex.Message}", ex);
                    }

                    if (result.ParmsId != _context.FirstParmsId || result.Size != 2)
                    {
                        throw new HeFormatException($"input '{step.Input}': not a fresh encryption at the program's first level.");
                    }

                    break;
                }

                case PlanCode.Add or PlanCode.Sub:
                    AlignScale(a!, b!, () =>
                    {
                        if (step.Code == PlanCode.Add)
                        {
                            _evaluator.Add(a!, b!, result);
                        }
                        else
                        {
                            _evaluator.Sub(a!, b!, result);
                        }
                    });
                    break;
                case PlanCode.Negate:
                    _evaluator.Negate(a!, result);
                    break;
                case PlanCode.AddPlain or PlanCode.SubPlain or PlanCode.PlainSub:
                {
                    var plain = Plain(step.Plain, a!, a!.Scale, ClearValue);
                    if (step.Code == PlanCode.PlainSub)
                    {
                        _evaluator.Negate(a, result);
                        _evaluator.AddPlainInplace(result, plain);
                    }
                    else if (step.Code == PlanCode.AddPlain)
                    {
                        _evaluator.AddPlain(a, plain, result);
                    }
                    else
                    {
                        _evaluator.SubPlain(a, plain, result);
                    }

                    break;
                }

                case PlanCode.Multiply:
                    _evaluator.Multiply(a!, b!, result);
                    break;
                case PlanCode.MultiplyPlain:
                {
                    double scale = step.Scale == PlainScale.Canonical && _program.Scheme == SchemeType.Ckks
                        ? Canonical(LevelOf(a!), 2) / a!.Scale
                        : 1.0;
                    _evaluator.MultiplyPlain(a!, Plain(step.Plain, a!, scale, ClearValue), result);
                    break;
                }

                case PlanCode.Rotate:
                    if (_program.Scheme == SchemeType.Ckks)
                    {
                        _evaluator.RotateVector(a!, step.Steps, _galoisKeys!, result);
                    }
                    else
                    {
                        _evaluator.RotateRows(a!, step.Steps, _galoisKeys!, result);
                    }

                    break;
                case PlanCode.Relinearize:
                    _evaluator.Relinearize(a!, _relinKeys!, result);
                    break;
                case PlanCode.Rescale:
                    _evaluator.RescaleToNext(a!, result);
                    break;
                case PlanCode.ModSwitch:
                    result = a!.Clone();
                    if (_program.Scheme != SchemeType.Ckks)
                    {
                        _evaluator.ModSwitchToInplace(result, _levels[step.Level]);
                        break;
                    }

                    for (int level = LevelOf(result); level < step.Level; level++)
                    {
                        // Multiply by 1 at scale X, rescale by q: the scale becomes exactly the next level's canonical one.
                        int exponent = schedule.Registers[step.A].ScaleExponent;
                        double x = Canonical(level + 1, exponent) * LastPrime(level) / result.Scale;
                        var one = new Plaintext();
                        _ckksEncoder!.Encode(1.0, result.ParmsId, x, one);
                        _evaluator.MultiplyPlainInplace(result, one);
                        _evaluator.RescaleToNextInplace(result);
                        result.Scale = Canonical(level + 1, exponent);
                    }

                    break;
                default:
                    throw new InvalidOperationException($"unknown plan step {step.Code}.");
            }

            registers[step.Result] = result;
            if (step.A >= 0 && lastUse[step.A] == s)
            {
                registers[step.A] = null;
            }

            if (step.B >= 0 && lastUse[step.B] == s)
            {
                registers[step.B] = null;
            }
        }

        var bundle = new HeBundle();
        var written = new Dictionary<int, string>();
        foreach (var output in schedule.Outputs)
        {
            if (output.Register >= 0 && written.TryGetValue(output.Register, out var first))
            {
                // Packed outputs share one ciphertext: send it once.
                bundle.Set(ResultNames.Encrypted(output.Name), System.Text.Encoding.UTF8.GetBytes(ResultNames.AliasPrefix + first));
            }
            else if (output.Register >= 0)
            {
                bundle.Set(ResultNames.Encrypted(output.Name), HeSerializer.Save(registers[output.Register]!));
                written[output.Register] = output.Name;
            }
            else
            {
                ResultNames.WriteClear(bundle, output.Name, ClearValue(output.ClearNode));
            }
        }

        return bundle;
    }

    private Plaintext Plain(int node, Ciphertext at, double scale, Func<int, double[]> clearValue)
    {
        var graphNode = _program.Graph[node];
        if (graphNode.MaskBlock is int block)
        {
            var maskValues = graphNode.Args.Length == 1 ? clearValue(graphNode.Args[0]) : Enumerable.Repeat(graphNode.Values![0], _program.Program.Slots).ToArray();
            return _codec.EncodeMask(block, maskValues, at.ParmsId, scale);
        }

        var values = clearValue(node);
        return _codec.Encode(values, at.ParmsId, scale, graphNode.IsUniformConstant);
    }

    // Canonical scales agree up to floating-point rounding of their computation (~1e-15 relative):
    // the addition relabels b's scale to a's.
    private void AlignScale(Ciphertext a, Ciphertext b, Action operation)
    {
        double saved = b.Scale;
        if (_program.Scheme == SchemeType.Ckks && !ReferenceEquals(a, b) && saved != a.Scale)
        {
            Debug.Assert(Math.Abs(saved / a.Scale - 1) < 1e-9, "the scheduler keeps canonical scales.");
            b.Scale = a.Scale;
        }

        try
        {
            operation();
        }
        finally
        {
            b.Scale = saved;
        }
    }
}

/// <summary>Entry names of evaluation-key bundles.</summary>
public static class KeyNames
{
    /// <summary>The public key.</summary>
    public const string Public = "public";

    /// <summary>The relinearisation keys.</summary>
    public const string Relin = "relin";

    /// <summary>The Galois (rotation) keys.</summary>
    public const string Galois = "galois";
}

/// <summary>Entry names of result bundles.</summary>
internal static class ResultNames
{
    public const string AliasPrefix = "alias:";

    // A ciphertext never starts with these bytes (the serialiser's magic differs).
    public static bool TryAlias(byte[] payload, out string target)
    {
        var prefix = System.Text.Encoding.UTF8.GetBytes(AliasPrefix);
        if (payload.Length > prefix.Length && payload.AsSpan(0, prefix.Length).SequenceEqual(prefix))
        {
            target = System.Text.Encoding.UTF8.GetString(payload, prefix.Length, payload.Length - prefix.Length);
            return true;
        }

        target = "";
        return false;
    }

    public static string Encrypted(string output) => "out:" + output;

    public static string Clear(string output) => "clear:" + output;

    public static void WriteClear(HeBundle bundle, string output, double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        bundle.Set(Clear(output), bytes);
    }

    public static double[] ReadClear(HeBundle bundle, string output)
    {
        var bytes = bundle.Find(Clear(output)) ?? throw new HeFormatException($"the result has no clear output '{output}'.");
        if (bytes.Length % 8 != 0)
        {
            throw new HeFormatException($"clear output '{output}' has a bad length.");
        }

        var values = new double[bytes.Length / 8];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * 8));
        }

        return values;
    }
}

/// <summary>Uses a secret key lent by a vault; the span is valid only during the call.</summary>
/// <typeparam name="TResult">What the use computes.</typeparam>
/// <param name="secretKey">The serialised secret key (<see cref="HeSerializer"/> form).</param>
public delegate TResult HeSecretKeyUse<out TResult>(ReadOnlySpan<byte> secretKey);

/// <summary>
/// Where a data owner's HE secret key lives between decryptions (a key custody, an HSM): the key
/// enters once, serialised, through <see cref="Store"/>, and is lent back only inside <see cref="Use{TResult}"/>,
/// after which the vault zeroises its clear copy.
/// </summary>
public interface IHeSecretKeyVault
{
    /// <summary>Takes the serialised secret key as <paramref name="name"/>; the caller zeroises its copy. Requires an unused name.</summary>
    /// <param name="name">The key's name.</param>
    /// <param name="secretKey">The serialised secret key.</param>
    void Store(string name, ReadOnlySpan<byte> secretKey);

    /// <summary>Runs <paramref name="use"/> over secret key <paramref name="name"/>. Requires a stored, live key.</summary>
    /// <typeparam name="TResult">What the use computes.</typeparam>
    /// <param name="name">The key's name.</param>
    /// <param name="use">The computation; it must not keep or copy the span.</param>
    TResult Use<TResult>(string name, HeSecretKeyUse<TResult> use);
}
