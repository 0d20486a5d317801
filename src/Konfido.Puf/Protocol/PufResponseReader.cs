using Konfido.Puf.Simulation;

namespace Konfido.Puf.Protocol;

/// <summary>Device side: measures a challenge seed's frames on an <see cref="IPufDriver"/> and binarises them.</summary>
public sealed class PufResponseReader
{
    /// <summary>Creates the reader. The quantizer's frame size must match the driver's frames.</summary>
    /// <param name="driver">The PUF.</param>
    /// <param name="quantizer">The binarisation.</param>
    public PufResponseReader(IPufDriver driver, GaborResponseQuantizer quantizer)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentNullException.ThrowIfNull(quantizer);
        if (driver.FrameWidth != quantizer.FrameSize || driver.FrameHeight != quantizer.FrameSize)
        {
            throw new ArgumentException("the quantizer's frame size differs from the driver's frames", nameof(quantizer));
        }

        Driver = driver;
        Quantizer = quantizer;
    }

    /// <summary>The PUF.</summary>
    public IPufDriver Driver { get; }

    /// <summary>The binarisation.</summary>
    public GaborResponseQuantizer Quantizer { get; }

    /// <summary>
    /// Reads <paramref name="bits"/> response bits for a challenge seed (as many frames as needed), combining
    /// <paramref name="reads"/> reads per bit by majority. Requires bits &gt;= 1 and reads odd.
    /// </summary>
    /// <param name="seed">The challenge seed.</param>
    /// <param name="bits">How many bits.</param>
    /// <param name="reads">Reads per frame (odd).</param>
    public byte[] Read(ReadOnlySpan<byte> seed, int bits, int reads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        if (reads < 1 || reads % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(reads), reads, "reads must be odd and positive");
        }

        var perFrame = Quantizer.BitsPerFrame;
        var frames = (bits + perFrame - 1) / perFrame;
        var challenges = PufChallenge.Expand(seed, frames);
        var counts = new int[frames * perFrame];
        var frameBits = new byte[perFrame];
        for (var f = 0; f < frames; f++)
        {
            for (var r = 0; r < reads; r++)
            {
                Quantizer.Quantize(Driver.Measure(challenges[f]), frameBits);
                for (var i = 0; i < perFrame; i++)
                {
                    counts[f * perFrame + i] += frameBits[i];
                }
            }
        }

        var result = new byte[bits];
        for (var i = 0; i < bits; i++)
        {
            result[i] = counts[i] * 2 > reads ? (byte)1 : (byte)0;
        }

        return result;
    }
}
