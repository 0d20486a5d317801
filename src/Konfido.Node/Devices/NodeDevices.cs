using System.Collections.Concurrent;
using Konfido.Core;
using Konfido.He.Compiler.Service;
using Konfido.Puf.Protocol;

namespace Konfido.Node;

/// <summary>
/// The node's mHealth devices: PUF enrolment and authentication (<see cref="PufVerifier"/> over a durable
/// store whose reference responses are encrypted in the node's key custody), the device sessions, and the
/// devices' uploads to the HE analytics. Built by <see cref="KonfidoNode"/>; served by <c>DeviceApi</c>.
/// </summary>
public sealed class NodeDevices : IDisposable
{
    /// <summary>How long a device session lasts.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(1);

    /// <summary>How long an operator has between starting and completing an enrolment.</summary>
    public static readonly TimeSpan EnrolmentWindow = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The most authentications a device may start per <see cref="HelloWindow"/>. Every start consumes one of the device's
    /// single-use challenges, so an unthrottled caller could exhaust a device's pool by naming it.
    /// </summary>
    public const int HellosPerWindow = 6;

    /// <summary>The window of <see cref="HellosPerWindow"/>.</summary>
    public static readonly TimeSpan HelloWindow = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _hellos = new(StringComparer.Ordinal);

    private readonly DeviceDatabase _database;
    private readonly IDisposable? _protector;
    private readonly ConcurrentDictionary<string, (EnrolmentRequest Request, string Operator, DateTimeOffset Expires)> _enrolments = new(StringComparer.Ordinal);

    private NodeDevices(string country, DeviceDatabase database, IReferenceProtector protector, ISecurityEventSink events, HeAnalyticsService analytics)
    {
        Country = country;
        _database = database;
        _protector = protector as IDisposable;
        Events = events;
        Settings = PufProtocolSettings.Create();
        Verifier = new PufVerifier(Settings, database, protector, events, country);
        Sessions = new DeviceSessions(SessionLifetime, TimeProvider.System);
        Analytics = new DeviceAnalytics(analytics, database, events, country);
    }

    /// <summary>The node's country.</summary>
    public string Country { get; }

    /// <summary>The PUF protocol settings devices must use (the defaults).</summary>
    public PufProtocolSettings Settings { get; }

    /// <summary>The PUF verifier (events of category <c>device</c>).</summary>
    public PufVerifier Verifier { get; }

    internal ISecurityEventSink Events { get; }

    internal DeviceSessions Sessions { get; }

    internal DeviceAnalytics Analytics { get; }

    /// <summary>
    /// Opens the device records: <c>devices.db</c> under <paramref name="dataDirectory"/> (in memory when null) and the
    /// reference key in <paramref name="custody"/>. Without a data folder or without custody the records live in memory
    /// under an ephemeral key: enrolments, programs and aggregates then do not survive a restart.
    /// </summary>
    /// <param name="country">The node's country.</param>
    /// <param name="dataDirectory">The node's data folder, or null.</param>
    /// <param name="custody">The node's key custody, or null.</param>
    /// <param name="events">The node's event path.</param>
    /// <param name="analytics">The node's HE analytics service.</param>
    public static NodeDevices Open(string country, string? dataDirectory, Custody.IKeyCustody? custody, ISecurityEventSink events, HeAnalyticsService analytics)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(country);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(analytics);
        var durable = dataDirectory is not null && custody is not null;
        var database = DeviceDatabase.Open(durable ? Path.Combine(dataDirectory!, "devices.db") : null);
        IReferenceProtector protector = custody is not null
            ? new CustodyReferenceProtector(custody)
            : new AesGcmReferenceProtector(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        return new NodeDevices(country, database, protector, events, analytics);
    }

    /// <summary>Every enrolled device (enrolment date and challenges; the references stay protected).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public ValueTask<IReadOnlyList<DeviceEnrolment>> EnrolmentsAsync(CancellationToken cancellationToken = default) => _database.ListAsync(cancellationToken);

    /// <summary>Ends every device session (after an incident or a key rotation): devices authenticate again with their PUF.</summary>
    public void EndAllSessions() => Sessions.EndAll();

    /// <summary>Closes the database and forgets the sessions.</summary>
    public void Dispose()
    {
        Sessions.Dispose();
        _database.Dispose();
        _protector?.Dispose();
    }

    /// <summary>Whether <paramref name="deviceId"/> is enrolled.</summary>
    internal async Task<bool> IsEnrolledAsync(string deviceId, CancellationToken cancellationToken) =>
        await _database.GetAsync(deviceId, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Whether <paramref name="deviceId"/> may start another authentication now (and counts it if so).</summary>
    internal bool AllowHello(string deviceId)
    {
        var now = DateTimeOffset.UtcNow;
        var starts = _hellos.GetOrAdd(deviceId, _ => new Queue<DateTimeOffset>());
        lock (starts)
        {
            while (starts.Count > 0 && starts.Peek() <= now - HelloWindow)
            {
                starts.Dequeue();
            }

            if (starts.Count >= HellosPerWindow)
            {
                return false;
            }

            starts.Enqueue(now);
            return true;
        }
    }

    internal EnrolmentRequest StartEnrolment(string deviceId, string operatorId)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (id, pending) in _enrolments)
        {
            if (pending.Expires < now)
            {
                _enrolments.TryRemove(id, out _);
            }
        }

        var request = Verifier.CreateEnrolmentRequest(deviceId);
        _enrolments[deviceId] = (request, operatorId, now + EnrolmentWindow);
        return request;
    }

    internal EnrolmentRequest? TakeEnrolment(string deviceId, string operatorId) =>
        _enrolments.TryGetValue(deviceId, out var pending) && pending.Operator == operatorId && pending.Expires >= DateTimeOffset.UtcNow
            && _enrolments.TryRemove(new KeyValuePair<string, (EnrolmentRequest, string, DateTimeOffset)>(deviceId, pending))
            ? pending.Request
            : null;
}
