using Konfido.Siem.Events;

namespace Konfido.Siem.Anomaly;

// Exponentially weighted moving mean and variance of the access count per time bucket, per
// professional (user.name) and per requesting country (source.country); an alert when the count
// in the current bucket lies ZThreshold standard deviations above the baseline. Incremental EWM
// variance after T. Finch, "Incremental calculation of weighted mean and variance", University of
// Cambridge Computing Service, 2009, section 9: diff = x - mean; incr = a*diff; mean += incr;
// var = (1 - a)*(var + diff*incr).

/// <summary>Parameters of the access-volume anomaly detector; validate with <see cref="Validate"/>.</summary>
/// <param name="Bucket">The counting period (e.g. one hour).</param>
/// <param name="Alpha">The EWMA smoothing factor in (0, 1]; larger forgets faster.</param>
/// <param name="ZThreshold">How many standard deviations above the mean raise an alert.</param>
/// <param name="MinimumBuckets">Closed buckets of history needed before a key can alert.</param>
/// <param name="MinimumStdDev">A floor on the standard deviation (so a perfectly flat history does not alert on +1).</param>
public sealed record AnomalyOptions(TimeSpan Bucket, double Alpha = 0.1, double ZThreshold = 4.0, int MinimumBuckets = 6, double MinimumStdDev = 2.0)
{
    /// <summary>One-hour buckets, alpha 0.1, z ≥ 4, six buckets of history, σ ≥ 2.</summary>
    public static AnomalyOptions Default { get; } = new(TimeSpan.FromHours(1));

    /// <summary>Every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Bucket <= TimeSpan.Zero)
        {
            problems.Add("Bucket must be positive");
        }

        if (Alpha is <= 0 or > 1 || double.IsNaN(Alpha))
        {
            problems.Add("Alpha must lie in (0, 1]");
        }

        if (ZThreshold <= 0 || double.IsNaN(ZThreshold))
        {
            problems.Add("ZThreshold must be positive");
        }

        if (MinimumBuckets < 1)
        {
            problems.Add("MinimumBuckets must be at least 1");
        }

        if (MinimumStdDev < 0 || double.IsNaN(MinimumStdDev))
        {
            problems.Add("MinimumStdDev must be non-negative");
        }

        return problems;
    }
}

/// <summary>A significant deviation from a baseline.</summary>
/// <param name="Dimension">Either <c>professional</c> or <c>country</c>.</param>
/// <param name="Key">The professional's name or the country code.</param>
/// <param name="BucketStart">The start of the bucket that deviates.</param>
/// <param name="Count">Accesses in the bucket so far.</param>
/// <param name="Mean">The baseline mean per bucket.</param>
/// <param name="StdDev">The baseline standard deviation (after the floor).</param>
/// <param name="ZScore">(Count − Mean) / StdDev.</param>
public sealed record AnomalyFinding(string Dimension, string Key, DateTimeOffset BucketStart, long Count, double Mean, double StdDev, double ZScore);

/// <summary>
/// Baselines of access volume per professional and per country; raises at most one finding per key
/// and bucket. Not thread-safe: feed it from the detection thread, in time order.
/// </summary>
public sealed class AccessVolumeBaseline
{
    private static readonly HashSet<string> AccessActions = new(StringComparer.OrdinalIgnoreCase)
    {
        "patient-discovery", "ips-retrieve", "eprescription-retrieve", "Patient Record", "read",
    };

    private readonly AnomalyOptions _options;
    private readonly Dictionary<string, KeyState> _states = new(StringComparer.Ordinal);

    /// <summary>Creates a detector. Throws <see cref="ArgumentException"/> listing every problem of invalid options.</summary>
    /// <param name="options">The options.</param>
    public AccessVolumeBaseline(AnomalyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid anomaly options: " + string.Join("; ", problems), nameof(options));
        }

        _options = options;
    }

    /// <summary>The number of keys with a baseline.</summary>
    public int KeyCount => _states.Count;

    /// <summary>True if <paramref name="e"/> is a patient-data access this detector counts.</summary>
    /// <param name="e">The event.</param>
    public static bool IsAccess(EventObject e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.GetString("event.outcome") is "success" or null
            && e.GetString("event.action") is { } action && AccessActions.Contains(action);
    }

    /// <summary>Counts an access event (if it is one) and returns any findings it causes.</summary>
    /// <param name="e">The event.</param>
    /// <param name="time">Its time.</param>
    public IReadOnlyList<AnomalyFinding> Observe(EventObject e, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!IsAccess(e))
        {
            return [];
        }

        List<AnomalyFinding>? findings = null;
        if (e.GetString("user.name") is { Length: > 0 } user && Count("professional", user, time) is { } f1)
        {
            (findings ??= []).Add(f1);
        }

        if (e.GetString("source.country") is { Length: > 0 } country && Count("country", country, time) is { } f2)
        {
            (findings ??= []).Add(f2);
        }

        return (IReadOnlyList<AnomalyFinding>?)findings ?? [];
    }

    /// <summary>The current baseline (mean, standard deviation, closed buckets) of a key, or null.</summary>
    /// <param name="dimension"><c>professional</c> or <c>country</c>.</param>
    /// <param name="key">The key.</param>
    public (double Mean, double StdDev, int Buckets)? Baseline(string dimension, string key) =>
        _states.TryGetValue(dimension + ":" + key, out var s) ? (s.Mean, Math.Sqrt(s.Variance), s.Buckets) : null;

    private AnomalyFinding? Count(string dimension, string key, DateTimeOffset time)
    {
        var bucket = time.UtcTicks / _options.Bucket.Ticks;
        var id = dimension + ":" + key;
        if (!_states.TryGetValue(id, out var state))
        {
            _states[id] = state = new KeyState { Bucket = bucket };
        }

        if (bucket > state.Bucket)
        {
            // Close the current bucket and any empty ones in between (at most a day's worth).
            state.Close(state.Count, _options.Alpha);
            var gaps = Math.Min(bucket - state.Bucket - 1, (long)Math.Ceiling(TimeSpan.FromDays(1) / _options.Bucket));
            for (var i = 0; i < gaps; i++)
            {
                state.Close(0, _options.Alpha);
            }

            state.Bucket = bucket;
            state.Count = 0;
            state.Alerted = false;
        }
        else if (bucket < state.Bucket)
        {
            return null; // late event for a closed bucket: not counted twice
        }

        state.Count++;
        if (state.Alerted || state.Buckets < _options.MinimumBuckets)
        {
            return null;
        }

        var sd = Math.Max(Math.Sqrt(state.Variance), _options.MinimumStdDev);
        var z = (state.Count - state.Mean) / sd;
        if (z < _options.ZThreshold)
        {
            return null;
        }

        state.Alerted = true;
        return new AnomalyFinding(dimension, key, new DateTimeOffset(bucket * _options.Bucket.Ticks, TimeSpan.Zero), state.Count, state.Mean, sd, z);
    }

    private sealed class KeyState
    {
        public long Bucket { get; set; }

        public long Count { get; set; }

        public bool Alerted { get; set; }

        public double Mean { get; private set; }

        public double Variance { get; private set; }

        public int Buckets { get; private set; }

        public void Close(double x, double alpha)
        {
            if (Buckets == 0)
            {
                Mean = x;
                Variance = 0;
            }
            else
            {
                var diff = x - Mean;
                var incr = alpha * diff;
                Mean += incr;
                Variance = (1 - alpha) * (Variance + diff * incr);
            }

            Buckets++;
        }
    }
}
