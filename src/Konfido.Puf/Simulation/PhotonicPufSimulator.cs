// A photonic PUF in simulation: coherent light shaped by a binary-phase SLM passes a thick
// disordered medium, modelled as three random phase screens separated by Fourier transforms
// (a multi-plane scattering model: each output pixel mixes every input pixel with random phases,
// and the medium is not shift-invariant), then an imaging system with a circular pupil of radius
// R (in spatial-frequency pixels) that sets the speckle grain to about N/(2R) detector pixels.
// The detector records |E|^2 with Poisson shot noise and Gaussian read noise.
// References: J. W. Goodman, "Speckle Phenomena in Optics" (2007), ch. 3-4 (fully developed speckle,
// grain size ~ lambda z / D); R. Pappu et al., "Physical one-way functions", Science 297 (2002);
// U. Rührmair et al., "Optical PUFs reloaded", IACR eprint 2013/215 (linear-optics attacks).
// Perturbations: temperature changes the optical path of every screen (thermal coefficient kappa,
// phase = 2 pi h (1 + kappa dT) / lambda), drifts the laser wavelength and shifts the detector
// (misalignment); each measurement adds a random sub-pixel shift.
// Sizes: N = 64 (default), SLM 8×8 macro-pixels, 4 FFTs of N×N per frame.
using System.Numerics;

namespace Konfido.Puf.Simulation;

/// <summary>
/// The physical parameters of the simulated photonic PUF as a user writes them (validated by
/// <see cref="PhotonicPufSimulator.Create"/>). The defaults model a 64×64 detector crop, speckle grains of
/// about 4 pixels, a medium about 200 wavelengths thick, a wavelength-stabilised laser, enrolment at
/// 25 °C and a worst case of 60 °C.
/// </summary>
public sealed record PhotonicPufModel
{
    /// <summary>Detector and simulation grid size N (power of two, 16..256).</summary>
    public int GridSize { get; init; } = 64;

    /// <summary>Radius of the imaging pupil in spatial-frequency pixels; speckle grain ≈ N/(2R) pixels.</summary>
    public double PupilRadius { get; init; } = 8;

    /// <summary>The maximum optical path of each phase screen, in nominal wavelengths.</summary>
    public double PathDepthWaves { get; init; } = 200;

    /// <summary>The nominal laser wavelength of channel 0, in nanometres.</summary>
    public double WavelengthNm { get; init; } = 780;

    /// <summary>The spacing of the laser's wavelength channels (the challenge's wavelength part), in nanometres.</summary>
    public double ChannelSpacingNm { get; init; } = 4;

    /// <summary>Relative optical-path change per kelvin (thermo-optic plus expansion).</summary>
    public double ThermalCoefficientPerKelvin { get; init; } = 3e-6;

    /// <summary>Laser wavelength drift per kelvin, in nanometres (a stabilised laser).</summary>
    public double LaserDriftNmPerKelvin { get; init; } = 0.0005;

    /// <summary>Random detector shift per measurement (standard deviation, pixels).</summary>
    public double MisalignmentSigmaPixels { get; init; } = 0.03;

    /// <summary>Systematic detector shift per kelvin away from the nominal temperature, in pixels.</summary>
    public double MisalignmentPixelsPerKelvin { get; init; } = 0.002;

    /// <summary>The mean photo-electron count per pixel (sets the shot noise).</summary>
    public double MeanPhotons { get; init; } = 2000;

    /// <summary>The detector read noise, electrons RMS.</summary>
    public double ReadNoiseElectrons { get; init; } = 4;

    /// <summary>The temperature at which devices are enrolled, in °C.</summary>
    public double NominalTemperatureCelsius { get; init; } = 25;

    /// <summary>The worst-case operating temperature of the model, in °C (the fuzzy extractor is sized for it).</summary>
    public double WorstCaseTemperatureCelsius { get; init; } = 60;
}

/// <summary>
/// The default <see cref="IPufDriver"/>: a seeded, reproducible simulation of one photonic PUF device
/// (see the file header for the physics). Not thread-safe: use one instance per thread.
/// </summary>
public sealed class PhotonicPufSimulator : IPufDriver
{
    private readonly Fft2D _fft;
    private readonly double[][] _screens; // optical path of the three screens, nanometres
    private readonly bool[] _aperture;
    private readonly bool[] _pupil;
    private readonly SplitMix64 _noise;
    private readonly Complex[] _field;
    private readonly Dictionary<(int Channel, double Temperature), Complex[][]> _phaseFactors = [];

    private PhotonicPufSimulator(PhotonicPufModel model, ulong deviceSeed, ulong noiseSeed)
    {
        Model = model;
        DeviceSeed = deviceSeed;
        var n = model.GridSize;
        _fft = new Fft2D(n);
        _field = new Complex[n * n];
        var device = new SplitMix64(deviceSeed ^ 0x5EED_0F_D15C_0000UL);
        var depth = model.PathDepthWaves * model.WavelengthNm;
        _screens = new double[3][];
        for (var s = 0; s < 3; s++)
        {
            _screens[s] = new double[n * n];
            for (var i = 0; i < n * n; i++)
            {
                _screens[s][i] = device.NextDouble() * depth;
            }
        }

        _aperture = new bool[n * n];
        _pupil = new bool[n * n];
        var half = n / 2.0;
        for (var y = 0; y < n; y++)
        {
            for (var x = 0; x < n; x++)
            {
                var dx = x + 0.5 - half;
                var dy = y + 0.5 - half;
                _aperture[y * n + x] = dx * dx + dy * dy <= (half - 1) * (half - 1);
                var u = Frequency(x, n);
                var v = Frequency(y, n);
                _pupil[y * n + x] = u * u + v * v <= model.PupilRadius * model.PupilRadius;
            }
        }

        _noise = new SplitMix64(noiseSeed);
        TemperatureCelsius = model.NominalTemperatureCelsius;
    }

    /// <summary>The physical model.</summary>
    public PhotonicPufModel Model { get; }

    /// <summary>The seed that fixes this device's disordered medium.</summary>
    public ulong DeviceSeed { get; }

    /// <summary>The current device temperature in °C (starts at the nominal temperature).</summary>
    public double TemperatureCelsius { get; set; }

    /// <inheritdoc />
    public int FrameWidth => Model.GridSize;

    /// <inheritdoc />
    public int FrameHeight => Model.GridSize;

    /// <summary>
    /// Validates <paramref name="model"/> and builds device <paramref name="deviceSeed"/>; measurement noise
    /// comes from <paramref name="noiseSeed"/>. Throws <see cref="ArgumentException"/> naming the bad parameter.
    /// </summary>
    /// <param name="model">The physical model.</param>
    /// <param name="deviceSeed">Identifies the device's medium.</param>
    /// <param name="noiseSeed">Seeds the shot/read noise and misalignment of measurements.</param>
    public static PhotonicPufSimulator Create(PhotonicPufModel model, ulong deviceSeed, ulong noiseSeed)
    {
        ArgumentNullException.ThrowIfNull(model);
        var error = Validate(model);
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(model));
        }

        return new PhotonicPufSimulator(model, deviceSeed, noiseSeed);
    }

    /// <summary>Explains why <paramref name="model"/> is unusable, or null if it is fine.</summary>
    /// <param name="model">The physical model.</param>
    public static string? Validate(PhotonicPufModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.GridSize is < 16 or > 256 || (model.GridSize & (model.GridSize - 1)) != 0)
        {
            return $"GridSize must be a power of two between 16 and 256, got {model.GridSize}";
        }

        if (model.GridSize % 8 != 0)
        {
            return "GridSize must be a multiple of the 8 SLM macro-pixels";
        }

        if (!(model.PupilRadius >= 1 && model.PupilRadius <= model.GridSize / 2.0))
        {
            return $"PupilRadius must lie in [1, GridSize/2], got {model.PupilRadius}";
        }

        if (!(model.PathDepthWaves > 0) || !(model.WavelengthNm > 0) || !(model.ChannelSpacingNm >= 0))
        {
            return "PathDepthWaves and WavelengthNm must be positive and ChannelSpacingNm non-negative";
        }

        if (!(model.MeanPhotons > 0) || !(model.ReadNoiseElectrons >= 0) || !(model.MisalignmentSigmaPixels >= 0))
        {
            return "MeanPhotons must be positive; ReadNoiseElectrons and MisalignmentSigmaPixels non-negative";
        }

        if (!double.IsFinite(model.ThermalCoefficientPerKelvin) || !double.IsFinite(model.LaserDriftNmPerKelvin)
            || !double.IsFinite(model.MisalignmentPixelsPerKelvin) || !double.IsFinite(model.NominalTemperatureCelsius)
            || !double.IsFinite(model.WorstCaseTemperatureCelsius))
        {
            return "temperature coefficients and temperatures must be finite";
        }

        return null;
    }

    /// <inheritdoc />
    public ResponseFrame Measure(PufChallenge challenge)
    {
        if (challenge.WavelengthChannel is < 0 or >= PufChallenge.WavelengthChannels)
        {
            throw new ArgumentOutOfRangeException(nameof(challenge), challenge.WavelengthChannel, "unknown wavelength channel");
        }

        var n = Model.GridSize;
        var delta = TemperatureCelsius - Model.NominalTemperatureCelsius;
        var lambda = Model.WavelengthNm + challenge.WavelengthChannel * Model.ChannelSpacingNm + Model.LaserDriftNmPerKelvin * delta;
        var waveNumber = 2 * Math.PI * (1 + Model.ThermalCoefficientPerKelvin * delta) / lambda;
        var field = _field.AsSpan();
        var macro = n / 8;
        var factors = PhaseFactors(challenge.WavelengthChannel, waveNumber);

        // SLM plane: binary phase (±1 amplitude) inside the circular input aperture, then screen 0.
        for (var y = 0; y < n; y++)
        {
            for (var x = 0; x < n; x++)
            {
                var i = y * n + x;
                if (!_aperture[i])
                {
                    field[i] = Complex.Zero;
                    continue;
                }

                var bit = (int)(challenge.SlmPattern >> ((y / macro) * 8 + (x / macro)) & 1);
                field[i] = bit == 1 ? -factors[0][i] : factors[0][i];
            }
        }

        _fft.Transform(field, inverse: false);
        Multiply(field, factors[1]);
        _fft.Transform(field, inverse: true);
        Multiply(field, factors[2]);
        _fft.Transform(field, inverse: false);

        // Imaging pupil and detector shift (Fourier shift theorem: multiply by e^{-2 pi i (u dx + v dy)/N}).
        var shift = Model.MisalignmentPixelsPerKelvin * delta;
        var dx = shift + Model.MisalignmentSigmaPixels * _noise.NextGaussian();
        var dy = shift + Model.MisalignmentSigmaPixels * _noise.NextGaussian();
        for (var y = 0; y < n; y++)
        {
            var v = Frequency(y, n);
            for (var x = 0; x < n; x++)
            {
                var i = y * n + x;
                if (!_pupil[i])
                {
                    field[i] = Complex.Zero;
                    continue;
                }

                var u = Frequency(x, n);
                field[i] *= Complex.FromPolarCoordinates(1, -2 * Math.PI * (u * dx + v * dy) / n);
            }
        }

        _fft.Transform(field, inverse: true);

        // Intensity, exposure normalised to the mean photon count, shot and read noise.
        var pixels = new double[n * n];
        var total = 0.0;
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = field[i].Real * field[i].Real + field[i].Imaginary * field[i].Imaginary;
            total += pixels[i];
        }

        var scale = total > 0 ? Model.MeanPhotons * pixels.Length / total : 0;
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = _noise.NextPoisson(pixels[i] * scale) + Model.ReadNoiseElectrons * _noise.NextGaussian();
        }

        return new ResponseFrame(n, n, pixels);
    }

    private static void Multiply(Span<Complex> field, Complex[] factors)
    {
        for (var i = 0; i < field.Length; i++)
        {
            field[i] *= factors[i];
        }
    }

    // e^{i k h} for the three screens at one wavelength channel and temperature, cached because
    // protocols and evaluations measure many challenges under the same conditions.
    private Complex[][] PhaseFactors(int channel, double waveNumber)
    {
        var key = (channel, TemperatureCelsius);
        if (_phaseFactors.TryGetValue(key, out var cached))
        {
            return cached;
        }

        if (_phaseFactors.Count >= 32)
        {
            _phaseFactors.Clear();
        }

        var factors = new Complex[3][];
        for (var s = 0; s < 3; s++)
        {
            factors[s] = new Complex[_screens[s].Length];
            for (var i = 0; i < factors[s].Length; i++)
            {
                factors[s][i] = Complex.FromPolarCoordinates(1, waveNumber * _screens[s][i]);
            }
        }

        _phaseFactors[key] = factors;
        return factors;
    }

    private static int Frequency(int index, int n) => index < n / 2 ? index : index - n;
}
