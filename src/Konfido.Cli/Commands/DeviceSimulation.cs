// Plausible physiology for the device simulator (synthetic, not clinical models):
// - Glucose (CGM, every 5 min): a fasting baseline plus meal excursions shaped t·e^(-t/tau) (peak about
//   45 min after a meal, back within 2-3 h), a small dawn rise and AR(1) sensor noise; clamped to the
//   sensor range 2.2-22.2 mmol/L. Targets after Battelino et al., Diabetes Care 42(8), 2019.
// - Blood pressure (cuff, every 30 min): a systolic baseline, diastolic tied to it, a nocturnal dip of
//   about 10-15 % and a morning surge (the usual ambulatory pattern), measurement noise; pulse pressure
//   kept at 20 mmHg or more.
// - Heart rate (watch, every minute): a resting rate, activity bouts (a mean-reverting activity level),
//   lower at night, AR(1) noise; 40-190 /min.
namespace Konfido.Cli;

/// <summary>The kinds of simulated devices and the readings they stream.</summary>
internal enum SimulatedDeviceType
{
    GlucoseMeter,
    BloodPressureCuff,
    PulseWatch,
}

/// <summary>One simulated patient's device: generates readings in simulated time. Not thread-safe.</summary>
internal sealed class SimulatedPhysiology
{
    private readonly Random _random;
    private readonly SimulatedDeviceType _type;
    private readonly double _baseline;
    private readonly double _second;
    private readonly double _mealAmplitude;
    private double _noise;
    private double _activity;
    private DateTimeOffset _time;
    private (string Kind, double Value)? _pending;

    public SimulatedPhysiology(SimulatedDeviceType type, int seed, DateTimeOffset start)
    {
        _random = new Random(seed);
        _type = type;
        _time = start;
        (_baseline, _second, _mealAmplitude) = type switch
        {
            SimulatedDeviceType.GlucoseMeter => (Uniform(5.0, 8.5), 0.0, Uniform(1.5, 5.0)),
            SimulatedDeviceType.BloodPressureCuff => (Uniform(112, 150), Uniform(6, 16), 0.0),
            _ => (Uniform(56, 80), 0.0, 0.0),
        };
    }

    public SimulatedDeviceType Type => _type;

    /// <summary>The reading kinds this device produces.</summary>
    public static IReadOnlyList<string> Kinds(SimulatedDeviceType type) => type switch
    {
        SimulatedDeviceType.GlucoseMeter => [Sdk.ReadingKinds.Glucose],
        SimulatedDeviceType.BloodPressureCuff => [Sdk.ReadingKinds.Systolic, Sdk.ReadingKinds.Diastolic],
        _ => [Sdk.ReadingKinds.HeartRate],
    };

    /// <summary>The next reading (a cuff gives systolic then diastolic of the same measurement).</summary>
    public Sdk.Reading Next()
    {
        if (_pending is { } pending)
        {
            _pending = null;
            return new Sdk.Reading(pending.Kind, pending.Value, _time);
        }

        switch (_type)
        {
            case SimulatedDeviceType.GlucoseMeter:
                _time = _time.AddMinutes(5);
                return new Sdk.Reading(Sdk.ReadingKinds.Glucose, Math.Round(Math.Clamp(Glucose(), 2.2, 22.2), 1), _time);
            case SimulatedDeviceType.BloodPressureCuff:
                _time = _time.AddMinutes(30);
                var (systolic, diastolic) = Pressure();
                _pending = (Sdk.ReadingKinds.Diastolic, diastolic);
                return new Sdk.Reading(Sdk.ReadingKinds.Systolic, systolic, _time);
            default:
                _time = _time.AddMinutes(1);
                return new Sdk.Reading(Sdk.ReadingKinds.HeartRate, HeartRate(), _time);
        }
    }

    private double Glucose()
    {
        var hour = _time.UtcDateTime.TimeOfDay.TotalHours;
        var excursion = 0.0;
        foreach (var meal in new[] { 7.5, 12.75, 19.0 })
        {
            var t = (hour - meal + 24) % 24; // hours since the meal
            const double tau = 0.75;
            excursion += t < 4 ? _mealAmplitude * (t / tau) * Math.Exp(1 - (t / tau)) : 0;
        }

        var dawn = hour is > 4 and < 8 ? 0.4 * Math.Sin(Math.PI * (hour - 4) / 4) : 0;
        _noise = (0.8 * _noise) + (0.15 * Normal());
        return _baseline + excursion + dawn + _noise;
    }

    private (double Systolic, double Diastolic) Pressure()
    {
        var hour = _time.UtcDateTime.TimeOfDay.TotalHours;
        var circadian = hour is >= 23 or < 6 ? -0.12 : hour is >= 6 and < 9 ? 0.05 : 0;
        var systolic = (_baseline * (1 + circadian)) + (6 * Normal());
        var diastolic = (((0.55 * _baseline) + _second) * (1 + (0.8 * circadian))) + (4 * Normal());
        systolic = Math.Round(Math.Clamp(systolic, 80, 220));
        diastolic = Math.Round(Math.Clamp(Math.Min(diastolic, systolic - 20), 40, 130));
        return (systolic, diastolic);
    }

    private double HeartRate()
    {
        var hour = _time.UtcDateTime.TimeOfDay.TotalHours;
        var night = hour is >= 23 or < 6;
        // Mean-reverting activity in [0, 1], with occasional bouts (walking, stairs) by day.
        _activity += (0.1 * (0 - _activity)) + (night ? 0 : (_random.NextDouble() < 0.02 ? Uniform(0.3, 0.8) : 0));
        _activity = Math.Clamp(_activity, 0, 1);
        _noise = (0.7 * _noise) + (2.0 * Normal());
        return Math.Round(Math.Clamp(_baseline - (night ? 8 : 0) + (70 * _activity) + _noise, 40, 190));
    }

    private double Uniform(double low, double high) => low + ((high - low) * _random.NextDouble());

    private double Normal() => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
}
