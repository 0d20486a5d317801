using System.Collections.Concurrent;
using Konfido.Puf.Protocol;

namespace Konfido.Node;

/// <summary>An authenticated device: its PUF session (the keys its uploads are sealed under) and when it ends.</summary>
internal sealed class DeviceSessionEntry(PufSession keys, DateTimeOffset expires)
{
    private readonly Lock _gate = new();

    public string DeviceId => keys.DeviceId;

    public string SessionId => keys.SessionId;

    public DateTimeOffset Expires { get; } = expires;

    /// <summary>True once the session was ended (its keys are gone).</summary>
    public bool Ended { get; private set; }

    /// <summary>Opens a sealed record; null if altered, replayed or reordered (the session's counter only grows), or the session ended.</summary>
    public byte[]? Open(ReadOnlySpan<byte> record, ReadOnlySpan<byte> associatedData)
    {
        lock (_gate)
        {
            return Ended ? null : keys.Open(record, associatedData);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            Ended = true;
            keys.Dispose();
        }
    }
}

/// <summary>The node's device sessions, in memory (a restarted node forgets them; devices authenticate again). Thread-safe.</summary>
internal sealed class DeviceSessions(TimeSpan lifetime, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<string, DeviceSessionEntry> _sessions = new(StringComparer.Ordinal);

    public DeviceSessionEntry Open(PufSession keys)
    {
        Sweep();
        var entry = new DeviceSessionEntry(keys, time.GetUtcNow() + lifetime);
        _sessions[keys.SessionId] = entry;
        return entry;
    }

    public DeviceSessionEntry? Find(string? sessionId)
    {
        if (sessionId is null || !_sessions.TryGetValue(sessionId, out var entry))
        {
            return null;
        }

        if (entry.Expires > time.GetUtcNow())
        {
            return entry;
        }

        if (_sessions.TryRemove(sessionId, out var expired))
        {
            expired.Dispose();
        }

        return null;
    }

    public void Dispose() => EndAll();

    public void EndAll()
    {
        foreach (var id in _sessions.Keys)
        {
            if (_sessions.TryRemove(id, out var entry))
            {
                entry.Dispose();
            }
        }
    }

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (id, entry) in _sessions)
        {
            if (entry.Expires <= now && _sessions.TryRemove(id, out _))
            {
                entry.Dispose();
            }
        }
    }
}
