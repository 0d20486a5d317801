// Parameter selection: the smallest N (4096..32768) whose 128-bit limit on log q (HE standard 2018,
// Table 1; CoeffModulus.MaxBitCount) holds the chain the plan needs.
//
// CKKS: chain = [q0, s x depth, special]. The scale 2^s with s = precision + 16 leaves 16 bits for
// the noise of a fresh public-key encryption (measured ~2^16..2^17 at N = 8192: the sum of
// e0 + u e + s e1 over N coefficients), so values near 1 keep about `precision` bits. q0 must hold the final values
// (|v| * 2^s < q0 / 2); more generally every register at level l with scale 2^(e s) and values up to
// 2^m needs e s + m + 2 <= log2(q0) + (depth - l) s. The special prime is at least as large as
// every other prime (key-switching noise, as in SEAL), and gets up to 20 more bits when the limit
// leaves room.
//
// BFV: t is a batching prime with room for the outputs (|v| < t/2). Noise is estimated per register
// in bits consumed from the fresh budget (Costache-Smart "Which ring-based SHE scheme is best?",
// CT-RSA 2016, and SEAL's observed budgets): a ciphertext product costs log t + log N + 6 bits, a
// plaintext product log t + log N / 2 + 2 (log |k| + 1 for a uniform integer k), additions and
// rotations one bit. The data modulus needs log t + (consumed) + log N + 10 bits; the test suite
// checks that every shipped program decrypts exactly and `he run` reports the remaining budget.
using System.Numerics;

namespace Konfido.He.Compiler;

internal static class ParameterSelection
{
    private static readonly int[] Degrees = [4096, 8192, 16384, 32768];

    public static HeParameters Choose(HeProgram program, Graph graph, Schedule schedule, SchemeType scheme)
    {
        var reasons = new List<string>();
        foreach (int n in Degrees)
        {
            if (program.Slots > n / 2)
            {
                reasons.Add($"N={n}: {program.Slots} slots exceed N/2");
                continue;
            }

            var candidate = scheme == SchemeType.Ckks ? Ckks(program, schedule, n, reasons) : Bfv(graph, schedule, n, reasons);
            if (candidate is not null)
            {
                return candidate;
            }
        }

        throw new HeCompilationException("no parameters within the 128-bit security limits fit the program: " + string.Join("; ", reasons));
    }

    private static HeParameters? Ckks(HeProgram program, Schedule schedule, int n, List<string> reasons)
    {
        int depth = schedule.Depth;
        int s = Math.Clamp(program.PrecisionBits + 16, 20, 50);
        int q0 = s + 10;
        foreach (var register in schedule.Registers.Concat(schedule.Constraints))
        {
            q0 = Math.Max(q0, register.ScaleExponent * s + register.MagnitudeBits + 2 - (depth - register.Level) * s);
        }

        if (q0 > 60)
        {
            reasons.Add($"N={n}: the values need a first prime of {q0} bits (> 60); lower the precision or the input ranges");
            return null;
        }

        // Key switching adds noise ~ N q_i / P: a special prime P well above the data primes keeps
        // rotations and relinearisations below the rescaling noise. Spend up to 20 spare bits on it.
        int limit = CoeffModulus.MaxBitCount(n, SecurityLevel.Tc128);
        int special = Math.Max(q0, s);
        int spare = limit - (q0 + (depth * s) + special);
        special = Math.Min(60, special + Math.Clamp(spare - 2, 0, 20));
        var bits = new List<int> { q0 };
        bits.AddRange(Enumerable.Repeat(s, depth));
        bits.Add(special);
        if (bits.Sum() > limit)
        {
            reasons.Add($"N={n}: depth {depth} at scale 2^{s} needs log q = {bits.Sum()} > {limit}");
            return null;
        }

        var candidate = new HeParameters(SchemeType.Ckks, n, bits, 0, s);
        if (candidate.LogQ > limit)
        {
            reasons.Add($"N={n}: depth {depth} at scale 2^{s} needs log q = {candidate.LogQ} > {limit}");
            return null;
        }

        return candidate;
    }

    private static HeParameters? Bfv(Graph graph, Schedule schedule, int n, List<string> reasons)
    {
        int logN = BitOperations.Log2((uint)n);
        double magnitude = schedule.Outputs.Where(o => o.Register >= 0).Select(o => graph[o.ClearNode].Range.Magnitude).DefaultIfEmpty(1).Max();
        int t = Math.Max((int)Math.Ceiling(Math.Log2(magnitude + 1)) + 2, logN + 3);
        while (t <= 60 && !HasBatchingPrime(n, t))
        {
            t++;
        }

        if (t > 60)
        {
            reasons.Add($"N={n}: outputs up to {magnitude} need a plaintext modulus over 60 bits");
            return null;
        }

        var noise = new int[schedule.Registers.Count];
        foreach (var step in schedule.Steps)
        {
            int a = step.A >= 0 ? noise[step.A] : 0;
            int b = step.B >= 0 ? noise[step.B] : 0;
            noise[step.Result] = step.Code switch
            {
                PlanCode.LoadInput => 0,
                PlanCode.Multiply => Math.Max(a, b) + t + logN + 6,
                PlanCode.MultiplyPlain => a + PlainCost(graph[step.Plain], t, logN),
                PlanCode.Add or PlanCode.Sub => Math.Max(a, b) + 1,
                PlanCode.Negate => a,
                _ => a + 1,
            };
        }

        int consumed = noise.DefaultIfEmpty(0).Max();
        int dataBits = t + consumed + logN + 10;
        int count = (dataBits + 55) / 56;
        int size = (dataBits + count - 1) / count;
        size = Math.Max(size, 20);
        if (size == t)
        {
            size++;
        }

        var bits = Enumerable.Repeat(size, count).Append(size).ToList();
        int total = bits.Sum();
        int limit = CoeffModulus.MaxBitCount(n, SecurityLevel.Tc128);
        if (total > limit)
        {
            reasons.Add($"N={n}: the noise estimate needs log q = {total} > {limit}");
            return null;
        }

        return new HeParameters(SchemeType.Bfv, n, bits, t, 0);
    }

    private static bool HasBatchingPrime(int n, int bits)
    {
        try
        {
            _ = PlainModulus.Batching(n, bits);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static int PlainCost(Node clear, int t, int logN)
    {
        if (clear.IsUniformConstant && clear.Values![0] == Math.Floor(clear.Values[0]))
        {
            return (int)Math.Ceiling(Math.Log2(Math.Abs(clear.Values[0]) + 1)) + 1;
        }

        return t + (logN / 2) + 2;
    }
}
