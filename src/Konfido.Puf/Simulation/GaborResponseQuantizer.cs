// Binarisation of a speckle frame by Gabor-filter hashing: the frame is filtered with a zero-mean
// Gabor kernel at a grid of sample points spaced about one speckle grain apart, and each filter
// output becomes one bit by comparison with the median of the frame's outputs (so that a global
// change of brightness does not flip bits and each frame has balanced ones and zeros).
// References: Pappu et al., Science 297 (2002) (Gabor hash of speckle); J. G. Daugman, "High
// confidence visual recognition of persons by a test of statistical independence", IEEE PAMI 15
// (1993) (Gabor phase-quadrant coding). Default: 64×64 frame, stride 4, sigma 2 px, period 4 px,
// orientation 45°, 256 bits per frame.
namespace Konfido.Puf.Simulation;

/// <summary>Turns a <see cref="ResponseFrame"/> into response bits (one bit per byte). Immutable and thread-safe.</summary>
public sealed class GaborResponseQuantizer
{
    private readonly double[] _kernel;
    private readonly int _radius;
    private readonly int[] _wrap; // index i + radius -> i mod FrameSize, for i in [-radius, FrameSize + radius)

    /// <summary>
    /// Creates a quantizer for square frames of <paramref name="frameSize"/> pixels. Requires frameSize to be a
    /// multiple of stride, stride &gt;= 1, sigma &gt; 0, period &gt; 0.
    /// </summary>
    /// <param name="frameSize">The frame width and height.</param>
    /// <param name="stride">The spacing of sample points, in pixels (about one speckle grain).</param>
    /// <param name="sigma">The Gaussian envelope of the kernel, pixels.</param>
    /// <param name="period">The carrier period of the kernel, pixels.</param>
    /// <param name="orientationDegrees">The carrier orientation.</param>
    public GaborResponseQuantizer(int frameSize = 64, int stride = 4, double sigma = 2, double period = 4, double orientationDegrees = 45)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameSize, stride);
        if (frameSize % stride != 0)
        {
            throw new ArgumentException("the frame size must be a multiple of the stride", nameof(stride));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(period);
        FrameSize = frameSize;
        Stride = stride;
        _radius = (int)Math.Ceiling(2.5 * sigma);
        var width = 2 * _radius + 1;
        _kernel = new double[width * width];
        _wrap = new int[frameSize + 2 * _radius];
        for (var i = 0; i < _wrap.Length; i++)
        {
            _wrap[i] = ((i - _radius) % frameSize + frameSize) % frameSize;
        }

        var theta = orientationDegrees * Math.PI / 180;
        var sum = 0.0;
        for (var y = -_radius; y <= _radius; y++)
        {
            for (var x = -_radius; x <= _radius; x++)
            {
                var along = x * Math.Cos(theta) + y * Math.Sin(theta);
                var value = Math.Exp(-(x * x + y * y) / (2 * sigma * sigma)) * Math.Cos(2 * Math.PI * along / period);
                _kernel[(y + _radius) * width + x + _radius] = value;
                sum += value;
            }
        }

        // Zero mean: a uniform brightness offset gives no filter response.
        for (var i = 0; i < _kernel.Length; i++)
        {
            _kernel[i] -= sum / _kernel.Length;
        }
    }

    /// <summary>The frame width and height this quantizer expects.</summary>
    public int FrameSize { get; }

    /// <summary>The spacing of sample points.</summary>
    public int Stride { get; }

    /// <summary>Response bits per frame.</summary>
    public int BitsPerFrame => (FrameSize / Stride) * (FrameSize / Stride);

    /// <summary>Writes the frame's response bits (0/1) into <paramref name="bits"/>. Requires bits.Length == <see cref="BitsPerFrame"/>.</summary>
    /// <param name="frame">The frame; its size must be <see cref="FrameSize"/>.</param>
    /// <param name="bits">Receives the bits.</param>
    public void Quantize(ResponseFrame frame, Span<byte> bits)
    {
        var values = new double[BitsPerFrame];
        Filter(frame, values);
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        var median = 0.5 * (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]);
        if (bits.Length != values.Length)
        {
            throw new ArgumentException($"bits must hold {values.Length} values", nameof(bits));
        }

        for (var i = 0; i < values.Length; i++)
        {
            bits[i] = values[i] > median ? (byte)1 : (byte)0;
        }
    }

    /// <summary>The Gabor filter outputs at the sample points (row-major), before thresholding.</summary>
    /// <param name="frame">The frame; its size must be <see cref="FrameSize"/>.</param>
    /// <param name="values">Receives <see cref="BitsPerFrame"/> outputs.</param>
    public void Filter(ResponseFrame frame, Span<double> values)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Width != FrameSize || frame.Height != FrameSize || frame.Pixels.Length != FrameSize * FrameSize)
        {
            throw new ArgumentException($"expected a {FrameSize}×{FrameSize} frame, got {frame.Width}×{frame.Height}", nameof(frame));
        }

        var samples = FrameSize / Stride;
        if (values.Length != samples * samples)
        {
            throw new ArgumentException($"values must hold {samples * samples} entries", nameof(values));
        }

        var width = 2 * _radius + 1;
        var n = FrameSize;
        for (var sy = 0; sy < samples; sy++)
        {
            for (var sx = 0; sx < samples; sx++)
            {
                var cy = sy * Stride + Stride / 2;
                var cx = sx * Stride + Stride / 2;
                var acc = 0.0;
                for (var ky = -_radius; ky <= _radius; ky++)
                {
                    var row = _wrap[cy + ky + _radius] * n; // periodic boundary, as the FFT model is
                    var k = (ky + _radius) * width;
                    for (var kx = 0; kx < width; kx++)
                    {
                        acc += _kernel[k + kx] * frame.Pixels[row + _wrap[cx + kx]];
                    }
                }

                values[sy * samples + sx] = acc;
            }
        }
    }
}
