// The ring R_Q = Z_Q[X]/(X^N + 1) in RNS/NTT form.
// References: Lattigo ring package (tuneinsight/lattigo, ring/ring.go) for the layout of a ring as
// a list of per-prime subrings; Bajard et al. SAC 2016 for the RNS representation.
// Sizes: N a power of two in [2, 2^17], up to 64 NTT-friendly primes below 2^61.
using Konfido.He.Arithmetic;

namespace Konfido.He.Rings;

/// <summary>
/// R_Q in RNS form: one NTT table per prime. Operations work limb by limb and run the limbs on
/// up to <see cref="Threads"/> threads (1 keeps everything on the calling thread).
/// </summary>
public sealed class RnsRing
{
    private readonly NttTables[] _tables;
    private readonly Parallelism _parallelism;

    /// <summary>Creates the ring over the given NTT tables (all of the same degree).</summary>
    public RnsRing(IReadOnlyList<NttTables> tables, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (tables.Count == 0)
        {
            throw new ArgumentException("a ring needs at least one prime.", nameof(tables));
        }

        _tables = [.. tables];
        Degree = _tables[0].Degree;
        if (_tables.Any(t => t.Degree != Degree))
        {
            throw new ArgumentException("all tables must have the same degree.", nameof(tables));
        }

        Base = new RnsBase(_tables.Select(t => t.Modulus));
        Threads = threads;
        _parallelism = new Parallelism(threads);
    }

    /// <summary>Creates the ring of degree N over the given primes (each = 1 mod 2N).</summary>
    public RnsRing(int degree, IEnumerable<ulong> primes, int threads = 1)
        : this([.. primes.Select(p => new NttTables(degree, new Modulus(p)))], threads)
    {
    }

    /// <summary>N.</summary>
    public int Degree { get; }

    /// <summary>The number of primes k.</summary>
    public int LimbCount => _tables.Length;

    /// <summary>The RNS base.</summary>
    public RnsBase Base { get; }

    /// <summary>Threads used over the limbs.</summary>
    public int Threads { get; }

    /// <summary>The NTT tables of prime i.</summary>
    public NttTables Tables(int index) => _tables[index];

    /// <summary>A new zero polynomial of this ring.</summary>
    public RnsPolynomial CreatePolynomial() => new(Degree, LimbCount);

    /// <summary>c = a + b. Requires equal forms.</summary>
    public void Add(RnsPolynomial a, RnsPolynomial b, RnsPolynomial c)
    {
        CheckPair(a, b, c);
        ForEachLimb(i => PolyArithmetic.Add(a.Limb(i), b.Limb(i), c.Limb(i), _tables[i].Modulus), heavy: false);
        c.IsNttForm = a.IsNttForm;
    }

    /// <summary>c = a - b. Requires equal forms.</summary>
    public void Subtract(RnsPolynomial a, RnsPolynomial b, RnsPolynomial c)
    {
        CheckPair(a, b, c);
        ForEachLimb(i => PolyArithmetic.Subtract(a.Limb(i), b.Limb(i), c.Limb(i), _tables[i].Modulus), heavy: false);
        c.IsNttForm = a.IsNttForm;
    }

    /// <summary>c = -a.</summary>
    public void Negate(RnsPolynomial a, RnsPolynomial c)
    {
        CheckPair(a, a, c);
        ForEachLimb(i => PolyArithmetic.Negate(a.Limb(i), c.Limb(i), _tables[i].Modulus), heavy: false);
        c.IsNttForm = a.IsNttForm;
    }

    /// <summary>c = a * b coefficient-wise (the ring product when both are in NTT form).</summary>
    public void MultiplyPointwise(RnsPolynomial a, RnsPolynomial b, RnsPolynomial c)
    {
        CheckPair(a, b, c);
        ForEachLimb(i => PolyArithmetic.Multiply(a.Limb(i), b.Limb(i), c.Limb(i), _tables[i].Modulus), heavy: false);
        c.IsNttForm = a.IsNttForm;
    }

    /// <summary>c = a * b in R_Q, whatever the forms of a and b; c is left in the form of a.</summary>
    public void Multiply(RnsPolynomial a, RnsPolynomial b, RnsPolynomial c)
    {
        CheckPair(a, a, c);
        CheckPair(b, b, c);
        bool aNtt = a.IsNttForm;
        var aa = Copy(a);
        var bb = Copy(b);
        ToNtt(aa);
        ToNtt(bb);
        MultiplyPointwise(aa, bb, c);
        if (!aNtt)
        {
            FromNtt(c);
        }
    }

    /// <summary>Transforms to NTT form (no-op when already there).</summary>
    public void ToNtt(RnsPolynomial a)
    {
        ArgumentNullException.ThrowIfNull(a);
        CheckShape(a);
        if (!a.IsNttForm)
        {
            ForEachLimb(i => _tables[i].Forward(a.Limb(i)), heavy: true);
            a.IsNttForm = true;
        }
    }

    /// <summary>Transforms to coefficient form (no-op when already there).</summary>
    public void FromNtt(RnsPolynomial a)
    {
        ArgumentNullException.ThrowIfNull(a);
        CheckShape(a);
        if (a.IsNttForm)
        {
            ForEachLimb(i => _tables[i].Inverse(a.Limb(i)), heavy: true);
            a.IsNttForm = false;
        }
    }

    /// <summary>Sets a to the residues of the signed integer coefficients.</summary>
    public void SetCoefficients(RnsPolynomial a, ReadOnlySpan<long> coefficients)
    {
        ArgumentNullException.ThrowIfNull(a);
        CheckShape(a);
        if (coefficients.Length > Degree)
        {
            throw new ArgumentException("too many coefficients.", nameof(coefficients));
        }

        for (int i = 0; i < LimbCount; i++)
        {
            var q = _tables[i].Modulus;
            var limb = a.Limb(i);
            limb.Clear();
            for (int j = 0; j < coefficients.Length; j++)
            {
                long c = coefficients[j];
                limb[j] = c >= 0 ? q.Reduce((ulong)c) : q.Negate(q.Reduce((ulong)-c));
            }
        }

        a.IsNttForm = false;
    }

    /// <summary>Coefficient j of a (coefficient form) as an integer in (-Q/2, Q/2].</summary>
    public System.Numerics.BigInteger CoefficientCentered(RnsPolynomial a, int index)
    {
        ArgumentNullException.ThrowIfNull(a);
        Span<ulong> residues = stackalloc ulong[LimbCount];
        for (int i = 0; i < LimbCount; i++)
        {
            residues[i] = a.Data[i * Degree + index];
        }

        return Base.ComposeCentered(residues);
    }

    /// <summary>Runs body(i) for every limb, on up to <see cref="Threads"/> threads when heavy.</summary>
    internal void ForEachLimb(Action<int> body, bool heavy) => _parallelism.For(LimbCount, heavy ? Degree : 0, body);

    private RnsPolynomial Copy(RnsPolynomial a)
    {
        var copy = CreatePolynomial();
        a.Data.AsSpan().CopyTo(copy.Data);
        copy.IsNttForm = a.IsNttForm;
        return copy;
    }

    private void CheckShape(RnsPolynomial a)
    {
        if (a.Degree != Degree || a.LimbCount != LimbCount)
        {
            throw new ArgumentException($"polynomial shape {a.LimbCount}x{a.Degree} does not match the ring {LimbCount}x{Degree}.");
        }
    }

    private void CheckPair(RnsPolynomial a, RnsPolynomial b, RnsPolynomial c)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        CheckShape(a);
        CheckShape(b);
        CheckShape(c);
        if (a.IsNttForm != b.IsNttForm)
        {
            throw new ArgumentException("operands must both be in NTT form or both in coefficient form.");
        }
    }
}

/// <summary>
/// Runs independent jobs (RNS limbs) on up to <see cref="Threads"/> threads, only when it pays:
/// the work must repay waking a pool worker, and when a worker fails to show up or keeps the
/// caller waiting (the cores are busy with other processes) the next calls stay on the calling
/// thread for a while before trying again. Results never depend on the schedule: jobs write
/// disjoint outputs.
/// </summary>
internal sealed class Parallelism
{
    // Below this much work (in coefficients of NTT-like work, about 100 µs on one core), waking a
    // pool worker (about 10 µs, far more when the machine is loaded) costs more than it saves.
    private const long MinimumParallelWork = 16384;

    // Calls kept serial after a parallel call that no worker joined.
    private const int BackOffCalls = 32;

    private readonly ParallelOptions _options;
    private int _serialCallsLeft;

    /// <summary>A scheduler over up to <paramref name="threads"/> threads (1: always the caller's).</summary>
    public Parallelism(int threads)
    {
        Threads = threads;
        _options = new ParallelOptions { MaxDegreeOfParallelism = threads };
    }

    /// <summary>The most threads used.</summary>
    public int Threads { get; }

    /// <summary>
    /// body(i) for i in [0, count), each job about <paramref name="workPerJob"/> coefficients of
    /// NTT-like work (an NTT of N points counts N).
    /// </summary>
    public void For(int count, long workPerJob, Action<int> body)
    {
        if (Threads <= 1 || count < 2 || count * workPerJob < MinimumParallelWork || BackingOff())
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        // Parallel.For runs jobs on the calling thread too. The cores are busy when no worker
        // came (the caller ran every job) or when the caller, done with its jobs, waited for a
        // worker longer than two of its own jobs take (the worker was pre-empted mid-job).
        int caller = Environment.CurrentManagedThreadId;
        int helped = 0;
        long callerTicks = 0, lastCallerEnd = 0;
        int callerJobs = 0;
        Parallel.For(0, count, _options, i =>
        {
            if (Environment.CurrentManagedThreadId != caller)
            {
                Volatile.Write(ref helped, 1);
                body(i);
                return;
            }

            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            body(i);
            lastCallerEnd = System.Diagnostics.Stopwatch.GetTimestamp();
            callerTicks += lastCallerEnd - start;
            callerJobs++;
        });
        long waited = System.Diagnostics.Stopwatch.GetTimestamp() - lastCallerEnd;
        if (Volatile.Read(ref helped) == 0 || (callerJobs > 0 && waited > 2 * callerTicks / callerJobs))
        {
            Volatile.Write(ref _serialCallsLeft, BackOffCalls);
        }
    }

    private bool BackingOff()
    {
        if (Volatile.Read(ref _serialCallsLeft) <= 0)
        {
            return false;
        }

        Interlocked.Decrement(ref _serialCallsLeft);
        return true;
    }
}
