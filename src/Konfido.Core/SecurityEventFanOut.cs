namespace Konfido.Core;

/// <summary>
/// Hands every event to each of several sinks in order (e.g. the audit ledger, then the SIEM).
/// A failing sink does not stop the others; the first failure is rethrown after all were tried.
/// </summary>
public sealed class SecurityEventFanOut : ISecurityEventSink
{
    private readonly ISecurityEventSink[] _sinks;

    /// <summary>Creates a fan-out over <paramref name="sinks"/>. Requires no null sink.</summary>
    /// <param name="sinks">The sinks, in delivery order.</param>
    public SecurityEventFanOut(IEnumerable<ISecurityEventSink> sinks)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        _sinks = sinks.ToArray();
        foreach (var sink in _sinks)
        {
            ArgumentNullException.ThrowIfNull(sink, nameof(sinks));
        }
    }

    /// <inheritdoc />
    public async ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        List<Exception>? failures = null;
        foreach (var sink in _sinks)
        {
            try
            {
                await sink.PublishAsync(securityEvent, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                (failures ??= []).Add(ex);
            }
        }

        if (failures is { Count: 1 })
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[0]);
        }
        else if (failures is { Count: > 1 })
        {
            throw new AggregateException("Several security-event sinks failed.", failures);
        }
    }
}
