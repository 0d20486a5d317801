// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
// a 64-bit state advanced by the golden-ratio increment and finalised by the MurmurHash3 mixer.
// Chosen over System.Random so that a seed gives the same inputs on every .NET version. Not for secrets.
namespace Konfido.Fuzzing;

/// <summary>The fuzzer's deterministic pseudo-random source (SplitMix64). Not cryptographic.</summary>
public sealed class FuzzRandom
{
    private ulong _state;

    /// <summary>Creates the generator from a seed.</summary>
    /// <param name="seed">The seed.</param>
    public FuzzRandom(ulong seed) => _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>). Requires maxExclusive &gt; 0.</summary>
    /// <param name="maxExclusive">The bound.</param>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (int)(NextUInt64() % (ulong)maxExclusive);
    }

    /// <summary>A uniform integer in [min, maxExclusive). Requires min &lt; maxExclusive.</summary>
    /// <param name="min">The lower bound.</param>
    /// <param name="maxExclusive">The upper bound.</param>
    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    /// <summary>True with probability 1/<paramref name="n"/>.</summary>
    /// <param name="n">The odds.</param>
    public bool OneIn(int n) => Next(n) == 0;

    /// <summary>A random element. Requires a non-empty list.</summary>
    /// <param name="items">The list.</param>
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Fills <paramref name="buffer"/> with random bytes.</summary>
    /// <param name="buffer">The buffer.</param>
    public void NextBytes(Span<byte> buffer)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)NextUInt64();
        }
    }

    /// <summary>A length biased towards small values (most interesting mutations are small): in [1, max].</summary>
    /// <param name="max">The maximum. Requires max &gt;= 1.</param>
    public int SmallLength(int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var bound = Next(4) switch { 0 => 4, 1 => 16, 2 => 128, _ => max };
        return 1 + Next(Math.Min(bound, max));
    }
}
