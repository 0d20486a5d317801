using Konfido.Siem.Anomaly;
using Konfido.Siem.Events;

namespace Konfido.Siem.Tests.Node;

public sealed class AnomalyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    private static EventObject Access(string user, string country = "ES")
    {
        var e = new EventObject();
        e.Set("event.action", "ips-retrieve");
        e.Set("event.outcome", "success");
        e.Set("user.name", user);
        e.Set("source.country", country);
        return e;
    }

    [Fact]
    public void A_burst_far_above_the_baseline_raises_one_finding_per_bucket()
    {
        var detector = new AccessVolumeBaseline(new AnomalyOptions(TimeSpan.FromHours(1), Alpha: 0.2, ZThreshold: 4, MinimumBuckets: 5, MinimumStdDev: 1));
        // Ten hours of 3-5 accesses per hour for dr.a, from ES.
        for (var hour = 0; hour < 10; hour++)
        {
            for (var i = 0; i < 3 + hour % 3; i++)
            {
                Assert.Empty(detector.Observe(Access("dr.a"), T0.AddHours(hour).AddMinutes(i)));
            }
        }

        var baseline = detector.Baseline("professional", "dr.a");
        Assert.NotNull(baseline);
        Assert.InRange(baseline.Value.Mean, 3, 5);
        Assert.Equal(9, baseline.Value.Buckets);

        // Hour 10: a burst of 40.
        var findings = new List<AnomalyFinding>();
        for (var i = 0; i < 40; i++)
        {
            findings.AddRange(detector.Observe(Access("dr.a"), T0.AddHours(10).AddSeconds(i)));
        }

        var professional = Assert.Single(findings, f => f.Dimension == "professional");
        Assert.Equal("dr.a", professional.Key);
        Assert.True(professional.ZScore >= 4);
        Assert.Equal(T0.AddHours(10), professional.BucketStart);
        Assert.Single(findings, f => f.Dimension == "country" && f.Key == "ES");
    }

    [Fact]
    public void Normal_variation_raises_nothing_and_history_is_required()
    {
        var detector = new AccessVolumeBaseline(AnomalyOptions.Default);
        var random = new Random(1);
        var findings = 0;
        for (var hour = 0; hour < 48; hour++)
        {
            var n = 8 + random.Next(5);
            for (var i = 0; i < n; i++)
            {
                findings += detector.Observe(Access("dr.b"), T0.AddHours(hour).AddMinutes(i)).Count;
            }
        }

        Assert.Equal(0, findings);

        var fresh = new AccessVolumeBaseline(AnomalyOptions.Default);
        for (var i = 0; i < 500; i++)
        {
            Assert.Empty(fresh.Observe(Access("new"), T0.AddSeconds(i)));
        }
    }

    [Fact]
    public void Non_access_events_are_ignored_and_bad_options_are_refused()
    {
        var detector = new AccessVolumeBaseline(AnomalyOptions.Default);
        var login = new EventObject();
        login.Set("event.action", "eid-login");
        login.Set("user.name", "x");
        Assert.Empty(detector.Observe(login, T0));
        Assert.Equal(0, detector.KeyCount);
        var ex = Assert.Throws<ArgumentException>(() => new AccessVolumeBaseline(new AnomalyOptions(TimeSpan.Zero, Alpha: 2, MinimumBuckets: 0)));
        Assert.Contains("Bucket", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Alpha", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MinimumBuckets", ex.Message, StringComparison.Ordinal);
    }
}
