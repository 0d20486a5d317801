// CRT batching of BFV/BGV plaintexts: N slots modulo a prime t = 1 (mod 2N), arranged as a 2 x N/2
// matrix whose rows rotate cyclically under X -> X^(3^k) and swap under X -> X^(2N-1).
// References: N. Smart, F. Vercauteren, "Fully homomorphic SIMD operations", DCC 71 (2014);
// Gentry–Halevi–Smart, "Fully homomorphic encryption with polylog overhead", EUROCRYPT 2012.
using Konfido.He.Arithmetic;

namespace Konfido.He;

/// <summary>Encodes N integers modulo t into one BFV/BGV plaintext (2 rows of N/2 slots).</summary>
public sealed class BatchEncoder
{
    private readonly NttTables _tables;
    private readonly int[] _slotToNtt;
    private readonly Modulus _t;

    /// <summary>The encoder. Requires batching (t prime, t = 1 mod 2N).</summary>
    public BatchEncoder(HeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Parameters.Scheme is not (SchemeType.Bfv or SchemeType.Bgv))
        {
            throw new ArgumentException("batching is for BFV and BGV.", nameof(context));
        }

        if (!context.BatchingEnabled)
        {
            throw new ArgumentException("batching needs a prime plain modulus t = 1 (mod 2N); use PlainModulus.Batching.", nameof(context));
        }

        int n = context.Parameters.PolyModulusDegree;
        _t = context.Parameters.PlainModulus!.Value;
        _tables = new NttTables(n, _t);
        SlotCount = n;
        _slotToNtt = new int[n];
        int logN = System.Numerics.BitOperations.Log2((uint)n);
        ulong twoN = 2UL * (ulong)n, e = 1;
        for (int i = 0; i < n / 2; i++)
        {
            _slotToNtt[i] = NttTables.BitReverse((int)((e - 1) >> 1), logN);
            ulong conjugate = twoN - e;
            _slotToNtt[n / 2 + i] = NttTables.BitReverse((int)((conjugate - 1) >> 1), logN);
            e = e * 3 % twoN;
        }
    }

    /// <summary>The number of slots, N (rows of N/2).</summary>
    public int SlotCount { get; }

    /// <summary>Encodes up to N values, each in [0, t) (missing slots are zero).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Encode(ReadOnlySpan<ulong> values, Plaintext destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (values.Length > SlotCount)
        {
            throw new ArgumentException($"at most {SlotCount} values fit.", nameof(values));
        }

        destination.Resize(SlotCount);
        destination.IsNttForm = false;
        destination.Scale = 1.0;
        destination.ParmsId = default;
        var data = destination.Data;
        for (int s = 0; s < values.Length; s++)
        {
            if (values[s] >= _t.Value)
            {
                throw new ArgumentException($"value {values[s]} in slot {s} is not below t = {_t.Value}.", nameof(values));
            }

            data[_slotToNtt[s]] = values[s];
        }

        _tables.Inverse(data);
    }

    /// <summary>Encodes up to N signed values, each in (-t/2, t/2].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Encode(ReadOnlySpan<long> values, Plaintext destination)
    {
        var reduced = new ulong[values.Length];
        long half = (long)(_t.Value >> 1);
        for (int s = 0; s < values.Length; s++)
        {
            long v = values[s];
            if (v > half || v < -half)
            {
                throw new ArgumentException($"value {v} in slot {s} is outside [-t/2, t/2].", nameof(values));
            }

            reduced[s] = v >= 0 ? (ulong)v : _t.Value - (ulong)(-v);
        }

        Encode(reduced, destination);
    }

    /// <summary>Decodes the N slot values in [0, t).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Decode(Plaintext plain, Span<ulong> destination)
    {
        ArgumentNullException.ThrowIfNull(plain);
        if (destination.Length < SlotCount)
        {
            throw new ArgumentException($"the destination needs {SlotCount} slots.", nameof(destination));
        }

        if (plain.IsNttForm || plain.CoeffCount > SlotCount)
        {
            throw new ArgumentException("not a BFV/BGV plaintext of this context.", nameof(plain));
        }

        var values = new ulong[SlotCount];
        for (int i = 0; i < plain.CoeffCount; i++)
        {
            values[i] = _t.Reduce(plain.Data[i]);
        }

        _tables.Forward(values);
        for (int s = 0; s < SlotCount; s++)
        {
            destination[s] = values[_slotToNtt[s]];
        }
    }

    /// <summary>Decodes the N slot values as signed integers in (-t/2, t/2].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Decode(Plaintext plain, Span<long> destination)
    {
        var values = new ulong[SlotCount];
        Decode(plain, values);
        if (destination.Length < SlotCount)
        {
            throw new ArgumentException($"the destination needs {SlotCount} slots.", nameof(destination));
        }

        ulong half = _t.Value >> 1;
        for (int s = 0; s < SlotCount; s++)
        {
            destination[s] = values[s] > half ? -(long)(_t.Value - values[s]) : (long)values[s];
        }
    }

    /// <summary>Decodes into a new array of N values in [0, t).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public ulong[] Decode(Plaintext plain)
    {
        var values = new ulong[SlotCount];
        Decode(plain, values.AsSpan());
        return values;
    }
}
