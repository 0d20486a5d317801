using Konfido.Puf.Keys;
using Konfido.Puf.Simulation;

namespace Konfido.Puf.Tests.Simulation;

public sealed class SimulatorTests
{
    private static readonly GaborResponseQuantizer Quantizer = new();

    private static byte[] Bits(IPufDriver puf, PufChallenge challenge)
    {
        var bits = new byte[Quantizer.BitsPerFrame];
        Quantizer.Quantize(puf.Measure(challenge), bits);
        return bits;
    }

    [Fact]
    public void Same_seeds_reproduce_the_same_frames()
    {
        var challenge = new PufChallenge(0x0123456789ABCDEF, 3);
        var a = PhotonicPufSimulator.Create(new PhotonicPufModel(), 5, 9).Measure(challenge);
        var b = PhotonicPufSimulator.Create(new PhotonicPufModel(), 5, 9).Measure(challenge);
        Assert.Equal(a.Pixels, b.Pixels);
    }

    [Fact]
    public void Frames_are_speckle_with_unit_contrast()
    {
        // Fully developed speckle has exponential intensity statistics: std/mean = 1 (Goodman, ch. 3).
        var puf = PhotonicPufSimulator.Create(new PhotonicPufModel { MeanPhotons = 1e6, ReadNoiseElectrons = 0 }, 11, 1);
        var contrasts = Enumerable.Range(0, 8).Select(i =>
        {
            var p = puf.Measure(new PufChallenge((ulong)i * 0x9E3779B97F4A7C15UL, i)).Pixels;
            var mean = p.Average();
            return Math.Sqrt(p.Select(x => (x - mean) * (x - mean)).Average()) / mean;
        }).Average();
        Assert.InRange(contrasts, 0.8, 1.2);
    }

    [Fact]
    public void Speckle_grain_follows_the_pupil()
    {
        // The intensity autocorrelation width scales as N / (2R): a smaller pupil gives larger grains.
        static double NeighbourCorrelation(double pupil, int shift)
        {
            var puf = PhotonicPufSimulator.Create(new PhotonicPufModel { PupilRadius = pupil, MeanPhotons = 1e6, ReadNoiseElectrons = 0 }, 12, 1);
            var p = puf.Measure(new PufChallenge(42, 0)).Pixels;
            var mean = p.Average();
            double num = 0, den = 0;
            for (var y = 0; y < 64; y++)
            {
                for (var x = 0; x < 64; x++)
                {
                    var a = p[y * 64 + x] - mean;
                    num += a * (p[y * 64 + (x + shift) % 64] - mean);
                    den += a * a;
                }
            }

            return num / den;
        }

        Assert.True(NeighbourCorrelation(4, 3) > NeighbourCorrelation(16, 3) + 0.2);
        Assert.True(NeighbourCorrelation(8, 16) < 0.2); // far beyond a grain: uncorrelated
    }

    [Fact]
    public void Responses_depend_on_the_challenge_the_device_and_the_temperature()
    {
        var model = new PhotonicPufModel();
        var puf = PhotonicPufSimulator.Create(model, 21, 1);
        var other = PhotonicPufSimulator.Create(model, 22, 1);
        var c = new PufChallenge(0xF0F0F0F0F0F0F0F0, 2);
        var reference = Bits(puf, c);
        double Distance(byte[] x) => (double)BitPacking.HammingDistance(reference, x) / x.Length;

        Assert.InRange(Distance(Bits(puf, c)), 0.0, 0.06);                                   // re-measurement
        Assert.InRange(Distance(Bits(other, c)), 0.38, 0.62);                                // another device
        Assert.InRange(Distance(Bits(puf, c with { WavelengthChannel = 5 })), 0.38, 0.62);   // another wavelength
        Assert.InRange(Distance(Bits(puf, c with { SlmPattern = ~c.SlmPattern })), 0.0, 0.06); // global pi phase: same intensity
        Assert.InRange(Distance(Bits(puf, c with { SlmPattern = c.SlmPattern ^ 0x0000FFFF00000000 })), 0.25, 0.62);
        puf.TemperatureCelsius = 200; // far outside the operating range
        Assert.True(Distance(Bits(puf, c)) > 0.1, "a large temperature change must decorrelate the speckle");
    }

    [Fact]
    public void Invalid_models_are_rejected_with_a_reason()
    {
        Assert.NotNull(PhotonicPufSimulator.Validate(new PhotonicPufModel { GridSize = 48 }));
        Assert.NotNull(PhotonicPufSimulator.Validate(new PhotonicPufModel { PupilRadius = 0 }));
        Assert.NotNull(PhotonicPufSimulator.Validate(new PhotonicPufModel { MeanPhotons = 0 }));
        Assert.Throws<ArgumentException>(() => PhotonicPufSimulator.Create(new PhotonicPufModel { GridSize = 100 }, 1, 1));
    }

    [Fact]
    public void Challenge_expansion_is_deterministic_and_seed_dependent()
    {
        Assert.Equal(PufChallenge.Expand([1, 2], 5), PufChallenge.Expand([1, 2], 5));
        Assert.NotEqual(PufChallenge.Expand([1, 2], 5), PufChallenge.Expand([1, 3], 5));
        Assert.All(PufChallenge.Expand([9], 50), c => Assert.InRange(c.WavelengthChannel, 0, 7));
    }
}
