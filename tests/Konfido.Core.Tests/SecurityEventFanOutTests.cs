namespace Konfido.Core.Tests;

public sealed class SecurityEventFanOutTests
{
    private static SecurityEvent Sample(string action = "ips-retrieve") => new()
    {
        Node = "DK",
        Category = EventCategories.Exchange,
        Action = action,
    };

    [Fact]
    public async Task Delivers_every_event_to_every_sink_in_order()
    {
        var first = new InMemorySecurityEventSink();
        var second = new InMemorySecurityEventSink();
        var fanOut = new SecurityEventFanOut([first, second]);

        await fanOut.PublishAsync(Sample("a"));
        await fanOut.PublishAsync(Sample("b"));

        Assert.Equal(["a", "b"], first.Events.Select(e => e.Action));
        Assert.Equal(["a", "b"], second.Events.Select(e => e.Action));
    }

    [Fact]
    public async Task A_failing_sink_does_not_stop_the_others_and_the_failure_surfaces()
    {
        var after = new InMemorySecurityEventSink();
        var fanOut = new SecurityEventFanOut([new ThrowingSink(), after]);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await fanOut.PublishAsync(Sample()));
        Assert.Single(after.Events);
    }

    [Fact]
    public void Events_get_distinct_ids_and_utc_timestamps()
    {
        var a = Sample();
        var b = Sample();
        Assert.NotEqual(a.Id, b.Id);
        Assert.Equal(TimeSpan.Zero, a.Timestamp.Offset);
    }

    private sealed class ThrowingSink : ISecurityEventSink
    {
        public ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("sink down");
    }
}
