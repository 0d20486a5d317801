using Konfido.Core;
using Konfido.Node;
using Konfido.Testing;

namespace Konfido.Console.Tests;

/// <summary>The console's in-memory view of the event path, against a plain list of what was published.</summary>
public sealed class ConsoleActivityTests
{
    private static SecurityEvent Event(int i, string category = EventCategories.Exchange, string? patient = null, string? actor = null, EventOutcome outcome = EventOutcome.Success) => new()
    {
        Node = "DK",
        Category = category,
        Action = $"action-{i}",
        PatientId = patient,
        Actor = actor,
        Outcome = outcome,
    };

    [Theory]
    [InlineData(0, 0)]
    [InlineData(10, 0)]
    [InlineData(10, 7)]
    [InlineData(ConsoleActivity.Capacity + 100, 0)]
    [InlineData(ConsoleActivity.Capacity + 100, ConsoleActivity.Capacity + 50)]
    public async Task Since_returns_the_kept_events_after_a_sequence_in_order(int published, long after)
    {
        var activity = new ConsoleActivity();
        var reference = new List<SecurityEvent>();
        for (var i = 0; i < published; i++)
        {
            var e = Event(i);
            reference.Add(e);
            await activity.PublishAsync(e);
        }

        var got = activity.Since(after, int.MaxValue);
        // The naive reference: sequence s is the s-th event; only the newest Capacity are kept.
        var expected = reference.Select((e, i) => (Sequence: i + 1L, e)).Where(x => x.Sequence > after && x.Sequence > published - ConsoleActivity.Capacity).ToArray();
        Assert.Equal(expected.Select(x => x.Sequence), got.Select(g => g.Sequence));
        Assert.Equal(expected.Select(x => x.e.Id), got.Select(g => g.Event.Id));
        Assert.Equal(published, activity.LastSequence);
        Assert.Equal(Math.Min(5, expected.Length), activity.Since(after, 5).Count);
        if (published > 0)
        {
            Assert.Equal(reference[^1].Id, activity.BySequence(published)!.Event.Id);
            Assert.Equal(reference[^1].Id, activity.Find(reference[^1].Id)!.Event.Id);
        }

        Assert.Null(activity.BySequence(published + 1));
    }

    [Fact]
    public async Task Patient_identifiers_are_pseudonymised_or_withheld_before_anything_is_kept()
    {
        var pseudonymised = new ConsoleActivity(id => "hmac-sha256:" + new string(id.Reverse().ToArray()));
        var withheld = new ConsoleActivity();
        await pseudonymised.PublishAsync(Event(1, patient: "120356-1233"));
        await withheld.PublishAsync(Event(1, patient: "120356-1233"));
        Assert.Equal("hmac-sha256:3321-653021", pseudonymised.Since(0).Single().Event.PatientId);
        Assert.Equal("(withheld)", withheld.Since(0).Single().Event.PatientId);
    }

    [Fact]
    public async Task Counts_per_minute_add_up_by_category_with_empty_minutes_as_zero()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 24, 10, 0, 30, TimeSpan.Zero));
        var activity = new ConsoleActivity(time: clock);
        await activity.PublishAsync(Event(1));
        await activity.PublishAsync(Event(2, EventCategories.Siem));
        clock.Advance(TimeSpan.FromMinutes(2));
        await activity.PublishAsync(Event(3));
        var minutes = activity.PerMinute(5);
        Assert.Equal(5, minutes.Count);
        Assert.Equal([0, 0, 2, 0, 1], minutes.Select(m => m.Total));
        Assert.Equal(1, minutes[2].ByCategory[EventCategories.Siem]);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 2, 0, TimeSpan.Zero), minutes[^1].Minute);
        // Past the hour kept, old minutes are gone.
        clock.Advance(TimeSpan.FromMinutes(ConsoleActivity.MinutesKept + 5));
        Assert.Equal(0, activity.PerMinute(ConsoleActivity.MinutesKept).Sum(m => m.Total));
    }

    [Fact]
    public async Task Devices_and_analytics_are_summarised_from_their_events()
    {
        var activity = new ConsoleActivity();
        await activity.PublishAsync(Event(1, EventCategories.Device, actor: "meter-1"));
        await activity.PublishAsync(Event(2, EventCategories.Device, actor: "meter-1", outcome: EventOutcome.Failure));
        await activity.PublishAsync(Event(3, EventCategories.Device, actor: "meter-2"));
        await activity.PublishAsync(Event(4, EventCategories.HomomorphicEncryption));
        var devices = activity.Devices().OrderBy(d => d.DeviceId, StringComparer.Ordinal).ToArray();
        Assert.Equal(["meter-1", "meter-2"], devices.Select(d => d.DeviceId));
        Assert.Equal((1, 1, EventOutcome.Failure), (devices[0].Successes, devices[0].Failures, devices[0].LastOutcome));
        Assert.Equal("action-4", Assert.Single(activity.Analytics()).Event.Action);
        var listed = await new ObservedDeviceSource(activity).ListAsync();
        Assert.Equal("refused", listed.Single(d => d.DeviceId == "meter-1").Status);
    }

    [Fact]
    public async Task A_waiter_wakes_on_the_next_event()
    {
        var activity = new ConsoleActivity();
        var waiting = activity.WaitAsync(0, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        await activity.PublishAsync(Event(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(activity.WaitAsync(0, CancellationToken.None).IsCompleted);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}

/// <summary>The node staff in the professional registry file.</summary>
public sealed class StaffRegistryTests
{
    [Fact]
    public void Staff_round_trip_through_the_registry_file_and_bad_roles_are_named()
    {
        using var directory = new TemporaryDirectory("konfido-console-registry");
        var path = Path.Combine(directory.Path, "professionals.json");
        ProfessionalRegistry.Save(path, DemoProfessionals.For("DK"), DemoProfessionals.Staff("DK"));
        var registry = ProfessionalRegistry.Load(path);
        Assert.Equal(ConsoleRole.Operator, registry.FindStaff(DemoProfessionals.Operator("DK"))!.Role);
        Assert.Equal(ConsoleRole.Auditor, registry.FindStaff(DemoProfessionals.Auditor("DK"))!.Role);
        Assert.Null(registry.Find(DemoProfessionals.Operator("DK")));
        Assert.Null(registry.FindStaff(DemoProfessionals.Identifier("DK", Konfido.Eid.CrossBorder.HcpRole.Doctor)));
        Assert.Equal(3, registry.All.Count);

        File.WriteAllText(path, File.ReadAllText(path).Replace("\"auditor\"", "\"superuser\"", StringComparison.Ordinal));
        var error = Assert.Throws<NodeConfigurationException>(() => ProfessionalRegistry.Load(path));
        Assert.Contains("staff[1].role", error.Message, StringComparison.Ordinal);
        Assert.Contains("superuser", error.Message, StringComparison.Ordinal);
    }
}
