using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Konfido.Custody;

/// <summary>
/// Imported public keys, kept for reuse. Importing a P-256 public key checks that its point lies on the curve
/// and in the right subgroup, which costs about as much as the key agreement or verification it serves; a node
/// that seals or verifies every answer for the same few peers would otherwise pay it on each. Each pooled key
/// object is used by one caller at a time (<see cref="Rent(string)"/> and <see cref="Lease.Dispose"/>), since the
/// platform does not promise that a key object may be used from several threads at once.
/// </summary>
/// <typeparam name="T">The key type (<see cref="ECDsa"/>, <see cref="ECDiffieHellman"/>).</typeparam>
public sealed class PublicKeyPool<T> : IDisposable where T : AsymmetricAlgorithm
{
    private readonly Func<byte[], T> _import;
    private readonly int _maxKeys;
    private readonly int _maxIdlePerKey;
    private readonly ConcurrentDictionary<string, ConcurrentBag<T>> _idle = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    /// <summary>Creates an empty pool.</summary>
    /// <param name="import">Imports a SubjectPublicKeyInfo (DER); throws for one it does not accept.</param>
    /// <param name="maxKeys">The most distinct keys kept (further ones are imported for each use).</param>
    /// <param name="maxIdlePerKey">The most idle objects kept per key (as many as callers use it at once).</param>
    public PublicKeyPool(Func<byte[], T> import, int maxKeys = 256, int maxIdlePerKey = 16)
    {
        ArgumentNullException.ThrowIfNull(import);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxKeys);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxIdlePerKey);
        _import = import;
        _maxKeys = maxKeys;
        _maxIdlePerKey = maxIdlePerKey;
    }

    /// <summary>A P-256 ECDSA verification key pool.</summary>
    public static PublicKeyPool<ECDsa> ForECDsa() => new(spki =>
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out _);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    });

    /// <summary>A pool of envelope recipients' keys (checked as <see cref="PayloadEnvelope.ImportRecipient"/> checks them).</summary>
    public static PublicKeyPool<ECDiffieHellman> ForEnvelopeRecipients() => new(spki => PayloadEnvelope.ImportRecipient(spki));

    /// <summary>The number of distinct keys with idle objects (for tests and monitoring).</summary>
    public int KeysKept => _idle.Count;

    /// <summary>A key object for the SubjectPublicKeyInfo in <paramref name="subjectPublicKeyInfoBase64"/> (standard base64), pooled or imported now.</summary>
    /// <exception cref="FormatException">Not base64.</exception>
    public Lease Rent(string subjectPublicKeyInfoBase64)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectPublicKeyInfoBase64);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryGetValue(subjectPublicKeyInfoBase64, out var bag) && bag.TryTake(out var pooled))
        {
            return new Lease(this, subjectPublicKeyInfoBase64, pooled);
        }

        return new Lease(this, subjectPublicKeyInfoBase64, _import(Convert.FromBase64String(subjectPublicKeyInfoBase64)));
    }

    /// <summary>A key object for <paramref name="subjectPublicKeyInfo"/> (DER), pooled or imported now.</summary>
    public Lease Rent(byte[] subjectPublicKeyInfo)
    {
        ArgumentNullException.ThrowIfNull(subjectPublicKeyInfo);
        return Rent(Convert.ToBase64String(subjectPublicKeyInfo));
    }

    private void Return(string id, T key)
    {
        if (!_disposed)
        {
            if (!_idle.TryGetValue(id, out var bag) && _idle.Count < _maxKeys)
            {
                bag = _idle.GetOrAdd(id, static _ => []);
            }

            if (bag is not null && bag.Count < _maxIdlePerKey)
            {
                bag.Add(key);
                if (_disposed && bag.TryTake(out var late))
                {
                    late.Dispose(); // disposed meanwhile: nothing may stay behind
                }

                return;
            }
        }

        key.Dispose();
    }

    /// <summary>Disposes every idle key object; leased ones are disposed when returned.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var bag in _idle.Values)
        {
            while (bag.TryTake(out var key))
            {
                key.Dispose();
            }
        }

        _idle.Clear();
    }

    /// <summary>A key object rented from the pool; dispose it to give it back.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly PublicKeyPool<T>? _pool;
        private readonly string _id;

        internal Lease(PublicKeyPool<T> pool, string id, T key) => (_pool, _id, Key) = (pool, id, key);

        /// <summary>The key, for this caller alone until the lease is disposed.</summary>
        public T Key { get; }

        /// <summary>Gives the key back to the pool.</summary>
        public void Dispose() => _pool?.Return(_id, Key);
    }
}
