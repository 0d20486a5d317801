namespace Konfido.Eid.Saml;

/// <summary>
/// Remembers assertion IDs until they expire so that a captured assertion cannot be replayed
/// (SAML profiles 2.0 section 4.1.4.5). A node with several processes backs it with shared storage.
/// </summary>
public interface IAssertionReplayCache
{
    /// <summary>
    /// Records <paramref name="assertionId"/> until <paramref name="expiresAt"/>; false if it was
    /// already recorded and has not expired (a replay). Requires a non-empty id.
    /// </summary>
    /// <param name="assertionId">The assertion's ID.</param>
    /// <param name="expiresAt">When the assertion can no longer be accepted anyway.</param>
    /// <param name="now">The current time.</param>
    bool TryRecord(string assertionId, DateTimeOffset expiresAt, DateTimeOffset now);
}

/// <summary>An in-process <see cref="IAssertionReplayCache"/>, bounded in size, thread-safe.</summary>
public sealed class InMemoryAssertionReplayCache : IAssertionReplayCache
{
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly int _capacity;

    /// <summary>Creates a cache holding at most <paramref name="capacity"/> live IDs. Requires capacity &gt; 0.</summary>
    /// <param name="capacity">The largest number of unexpired IDs held; beyond it new IDs are refused (fail closed).</param>
    public InMemoryAssertionReplayCache(int capacity = 1_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    /// <inheritdoc />
    public bool TryRecord(string assertionId, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(assertionId);
        lock (_gate)
        {
            if (_seen.TryGetValue(assertionId, out var until) && until > now)
            {
                return false;
            }

            if (_seen.Count >= _capacity)
            {
                foreach (var (id, expiry) in _seen.ToArray())
                {
                    if (expiry <= now)
                    {
                        _seen.Remove(id);
                    }
                }

                if (_seen.Count >= _capacity)
                {
                    return false;
                }
            }

            _seen[assertionId] = expiresAt;
            return true;
        }
    }
}
