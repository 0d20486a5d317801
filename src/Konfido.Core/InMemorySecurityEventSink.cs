namespace Konfido.Core;

/// <summary>
/// Keeps every event in memory, in arrival order. For tests, the demo and small tools; it is
/// thread-safe and never drops an event.
/// </summary>
public sealed class InMemorySecurityEventSink : ISecurityEventSink
{
    private readonly List<SecurityEvent> _events = [];
    private readonly Lock _gate = new();

    /// <summary>A snapshot of the events received so far.</summary>
    public IReadOnlyList<SecurityEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return _events.ToArray();
            }
        }
    }

    /// <inheritdoc />
    public ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        lock (_gate)
        {
            _events.Add(securityEvent);
        }

        return ValueTask.CompletedTask;
    }
}
