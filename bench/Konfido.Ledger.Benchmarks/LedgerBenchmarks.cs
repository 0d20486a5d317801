using BenchmarkDotNet.Attributes;
using Konfido.Ledger.Log;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Storage;

namespace Konfido.Ledger.Benchmarks;

/// <summary>Durable appends per second through the batching writer into SQLite (WAL, synchronous=FULL).</summary>
[MemoryDiagnoser]
public class DurableAppendBenchmarks
{
    private string _directory = "";
    private SqliteLogStorage? _storage;
    private MerkleLog? _log;
    private byte[][] _entries = [];

    /// <summary>Appends in flight at once (callers waiting for durability).</summary>
    [Params(20_000)]
    public int Concurrent { get; set; }

    /// <summary>The most entries per durable transaction.</summary>
    [Params(8192)]
    public int Batch { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"konfido-append-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
        _storage = await SqliteLogStorage.OpenAsync(Path.Combine(_directory, "log.db"));
        _log = await MerkleLog.OpenAsync(_storage, new MerkleLogOptions { MaxBatchSize = Batch, QueueCapacity = Concurrent });
        var random = new Random(1);
        // Entries of about the size of a pseudonymised security event.
        _entries = Enumerable.Range(0, Concurrent).Select(_ => { var b = new byte[300]; random.NextBytes(b); return b; }).ToArray();
    }

    [Benchmark(OperationsPerInvoke = 20_000)]
    public Task AppendDurable() => Task.WhenAll(_entries.Select(e => _log!.AppendAsync(e).AsTask()));

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _log!.DisposeAsync();
        await _storage!.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>
/// Inclusion proofs in a 10-million-entry log in a SQLite file (built once and reused from the temp
/// folder), and verification of such proofs.
/// </summary>
[MemoryDiagnoser]
public class ProofBenchmarks
{
    private SqliteLogStorage? _storage;
    private MerkleLog? _log;
    private long[] _indexes = [];
    private int _next;
    private MerkleHash[] _proof = [];
    private MerkleHash _leaf;
    private MerkleHash _root;
    private long _proofIndex;
    private MerkleHash[] _consistency = [];
    private MerkleHash _oldRoot;
    private long _oldSize;

    /// <summary>The tree size.</summary>
    [Params(10_000_000)]
    public long Size { get; set; }

    /// <summary>Tiles the proof cache holds: 16384 (128 MiB, leaf tiles mostly read from SQLite) or 131072 (all 78k tiles of 10M entries in RAM).</summary>
    [Params(16_384, 131_072)]
    public int CacheTiles { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"konfido-ledger-bench-{Size}.db");
        _storage = await SqliteLogStorage.OpenAsync(path);
        _log = await MerkleLog.OpenAsync(_storage, new MerkleLogOptions { MaxBatchSize = 200_000, QueueCapacity = 200_000, TileCacheCapacity = CacheTiles });
        if (_log.Head.Size < Size)
        {
            Console.Error.WriteLine($"Building a {Size}-entry log in {path} (once) ...");
            var entry = new byte[16];
            while (_log.Head.Size < Size)
            {
                var chunk = (int)Math.Min(200_000, Size - _log.Head.Size);
                var start = _log.Head.Size;
                await Task.WhenAll(Enumerable.Range(0, chunk).Select(i =>
                {
                    var data = new byte[16];
                    BitConverter.TryWriteBytes(data, start + i);
                    return _log.AppendAsync(data).AsTask();
                }));
            }

            _ = entry;
        }

        // A serving node's cache is warm: load the upper levels once.
        await _log.WarmUpAsync(CacheTiles > 100_000 ? 0 : 3);
        var random = new Random(7);
        _indexes = Enumerable.Range(0, 4096).Select(_ => random.NextInt64(Size)).ToArray();
        _proofIndex = _indexes[0];
        _proof = await _log.ProveInclusionAsync(_proofIndex, Size);
        _leaf = await _log.LeafHashAsync(_proofIndex);
        _root = await _log.RootAtAsync(Size);
        _oldSize = Size - 1_234_567;
        _oldRoot = await _log.RootAtAsync(_oldSize);
        _consistency = await _log.ProveConsistencyAsync(_oldSize, Size);
        if (!MerkleProof.VerifyInclusion(_proofIndex, Size, _leaf, _proof, _root).IsValid)
        {
            throw new InvalidOperationException("The benchmark proof does not verify.");
        }
    }

    /// <summary>An inclusion proof for a random leaf (tiles from the cache or the SQLite file).</summary>
    [Benchmark]
    public async Task<MerkleHash[]> ProveInclusion()
    {
        var index = _indexes[_next++ & 4095];
        return await _log!.ProveInclusionAsync(index, Size);
    }

    /// <summary>A consistency proof between two large sizes.</summary>
    [Benchmark]
    public ValueTask<MerkleHash[]> ProveConsistency() => _log!.ProveConsistencyAsync(_oldSize, Size);

    /// <summary>Verifies an inclusion proof of 24 hashes (RFC 9162 §2.1.3.2).</summary>
    [Benchmark]
    public bool VerifyInclusion() => MerkleProof.VerifyInclusion(_proofIndex, Size, _leaf, _proof, _root).IsValid;

    /// <summary>Verifies a consistency proof (RFC 9162 §2.1.4.2).</summary>
    [Benchmark]
    public bool VerifyConsistency() => MerkleProof.VerifyConsistency(_oldSize, Size, _consistency, _oldRoot, _root).IsValid;

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _log!.DisposeAsync();
        await _storage!.DisposeAsync();
    }
}
