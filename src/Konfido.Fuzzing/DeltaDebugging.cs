// ddmin: A. Zeller and R. Hildebrandt, "Simplifying and Isolating Failure-Inducing Input",
// IEEE TSE 28(2), 2002. Removes ever smaller chunks (complements of a partition into n parts) while the
// failure persists; the result is 1-minimal at the finest granularity reached within the budget.
namespace Konfido.Fuzzing;

/// <summary>Shrinks a failing input while a predicate ("still fails the same way") holds.</summary>
public static class DeltaDebugging
{
    /// <summary>
    /// Minimises <paramref name="input"/>: first by lines (for text), then by bytes. Requires
    /// <paramref name="fails"/>(<paramref name="input"/>) to be true.
    /// </summary>
    /// <param name="input">The failing input.</param>
    /// <param name="fails">True if a candidate still fails the same way.</param>
    /// <param name="maxTests">The most candidates tried.</param>
    /// <param name="byLines">Try removing whole lines first.</param>
    public static byte[] Minimise(byte[] input, Func<byte[], bool> fails, int maxTests = 2000, bool byLines = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(fails);
        var budget = maxTests;
        var current = input;
        if (byLines)
        {
            var lines = SplitLines(current);
            if (lines.Count > 1)
            {
                var kept = Ddmin(lines, chunks => fails([.. chunks.SelectMany(c => c)]), ref budget);
                current = [.. kept.SelectMany(c => c)];
            }
        }

        var bytes = current.Select(b => new[] { b }).ToList();
        var minimal = Ddmin(bytes, chunks => fails([.. chunks.SelectMany(c => c)]), ref budget);
        return [.. minimal.SelectMany(c => c)];
    }

    private static List<byte[]> SplitLines(byte[] data)
    {
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == (byte)'\n')
            {
                lines.Add(data[start..(i + 1)]);
                start = i + 1;
            }
        }

        if (start < data.Length)
        {
            lines.Add(data[start..]);
        }

        return lines;
    }

    private static List<T> Ddmin<T>(List<T> items, Func<List<T>, bool> fails, ref int budget)
    {
        var n = 2;
        while (items.Count >= 2 && budget > 0)
        {
            var chunk = (items.Count + n - 1) / n;
            var reduced = false;
            for (var start = 0; start < items.Count && budget > 0; start += chunk)
            {
                var complement = new List<T>(items.Count);
                complement.AddRange(items.Take(start));
                complement.AddRange(items.Skip(start + chunk));
                budget--;
                if (fails(complement))
                {
                    items = complement;
                    n = Math.Max(n - 1, 2);
                    reduced = true;
                    break;
                }
            }

            if (!reduced)
            {
                if (n >= items.Count)
                {
                    break;
                }

                n = Math.Min(n * 2, items.Count);
            }
        }

        if (items.Count == 1 && budget > 0)
        {
            budget--;
            if (fails([]))
            {
                return [];
            }
        }

        return items;
    }
}
