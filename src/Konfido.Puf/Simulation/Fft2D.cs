// Radix-2 decimation-in-time FFT (Cooley & Tukey, Math. Comp. 19 (1965)) on complex doubles, applied
// to the rows then the columns of a square N×N grid (N a power of two, 8..1024).
// Forward: X[k] = sum_j x[j] e^{-2 pi i jk/N}; inverse: the conjugate kernel scaled by 1/N.
using System.Numerics;

namespace Konfido.Puf.Simulation;

/// <summary>An in-place 2-D FFT on an N×N row-major grid with precomputed twiddles. Thread-safe (no mutable state).</summary>
internal sealed class Fft2D
{
    private readonly Complex[] _twiddles; // e^{-2 pi i k / N}, k < N/2
    private readonly int[] _bitReversed;

    public Fft2D(int size)
    {
        if (size < 8 || size > 1024 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "the grid size must be a power of two between 8 and 1024");
        }

        Size = size;
        _twiddles = new Complex[size / 2];
        for (var k = 0; k < size / 2; k++)
        {
            var angle = -2 * Math.PI * k / size;
            _twiddles[k] = new Complex(Math.Cos(angle), Math.Sin(angle));
        }

        _bitReversed = new int[size];
        var bits = System.Numerics.BitOperations.Log2((uint)size);
        for (var i = 0; i < size; i++)
        {
            var r = 0;
            for (var b = 0; b < bits; b++)
            {
                r |= (i >> b & 1) << (bits - 1 - b);
            }

            _bitReversed[i] = r;
        }
    }

    public int Size { get; }

    /// <summary>Transforms the grid in place (rows, then columns). Requires grid.Length == N·N.</summary>
    public void Transform(Span<Complex> grid, bool inverse)
    {
        var n = Size;
        if (grid.Length != n * n)
        {
            throw new ArgumentException($"the grid must hold {n * n} values", nameof(grid));
        }

        for (var row = 0; row < n; row++)
        {
            Transform1D(grid.Slice(row * n, n), inverse);
        }

        Span<Complex> column = n <= 256 ? stackalloc Complex[n] : new Complex[n];
        for (var col = 0; col < n; col++)
        {
            for (var row = 0; row < n; row++)
            {
                column[row] = grid[row * n + col];
            }

            Transform1D(column, inverse);
            for (var row = 0; row < n; row++)
            {
                grid[row * n + col] = column[row];
            }
        }

        if (inverse)
        {
            var scale = 1.0 / (n * (double)n);
            for (var i = 0; i < grid.Length; i++)
            {
                grid[i] *= scale;
            }
        }
    }

    private void Transform1D(Span<Complex> data, bool inverse)
    {
        var n = data.Length;
        for (var i = 0; i < n; i++)
        {
            var j = _bitReversed[i];
            if (j > i)
            {
                (data[i], data[j]) = (data[j], data[i]);
            }
        }

        for (var half = 1; half < n; half <<= 1)
        {
            var stride = n / (2 * half);
            for (var start = 0; start < n; start += 2 * half)
            {
                for (var k = 0; k < half; k++)
                {
                    var w = _twiddles[k * stride];
                    if (inverse)
                    {
                        w = Complex.Conjugate(w);
                    }

                    var a = data[start + k];
                    var b = data[start + k + half] * w;
                    data[start + k] = a + b;
                    data[start + k + half] = a - b;
                }
            }
        }
    }
}
