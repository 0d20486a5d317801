using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Konfido.Fuzzing;

/// <summary>How long and how a fuzzing run goes. Bounds: at least one of <see cref="MaxInputs"/> and <see cref="Duration"/>.</summary>
public sealed record FuzzOptions
{
    /// <summary>The random seed: the same seed over the same corpus gives the same inputs.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The most inputs per target (seeds included), or null for no limit.</summary>
    public long? MaxInputs { get; init; }

    /// <summary>The wall time per target, or null for no limit.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>The time limit of one input; longer is a hang (a crash).</summary>
    public TimeSpan InputTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest input made by mutation.</summary>
    public int MaxInputLength { get; init; } = 256 * 1024;

    /// <summary>The most inputs kept in the corpus (seeds and inputs with new behaviour).</summary>
    public int CorpusLimit { get; init; } = 512;

    /// <summary>Stop a target after this many hangs (each leaves a thread behind).</summary>
    public int MaxHangs { get; init; } = 2;

    /// <summary>Minimise crashing inputs by delta debugging (hangs are not minimised).</summary>
    public bool Minimise { get; init; } = true;

    /// <summary>The most candidate inputs tried to minimise one crash.</summary>
    public int MinimiseBudget { get; init; } = 1500;

    /// <summary>Where reproducers are written (<c>DIR/TARGET/crash-*.bin</c> and <c>.txt</c>), or null for none.</summary>
    public string? ReproducerDirectory { get; init; }

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> naming the problem.</summary>
    public void Validate()
    {
        if (MaxInputs is null && Duration is null)
        {
            throw new ArgumentException("a fuzzing run needs MaxInputs or Duration");
        }

        if (MaxInputs is < 1 || Duration is { } d && d <= TimeSpan.Zero || InputTimeout <= TimeSpan.Zero || MaxInputLength < 16 || CorpusLimit < 1 || MaxHangs < 1)
        {
            throw new ArgumentException("fuzz options out of range: MaxInputs >= 1, Duration > 0, InputTimeout > 0, MaxInputLength >= 16, CorpusLimit >= 1, MaxHangs >= 1");
        }
    }
}

/// <summary>Progress of a running target (reported about once a second).</summary>
/// <param name="Target">The target.</param>
/// <param name="InputsTried">Inputs so far.</param>
/// <param name="Crashes">Crashing inputs so far.</param>
/// <param name="Elapsed">Time so far.</param>
public readonly record struct FuzzProgress(string Target, long InputsTried, long Crashes, TimeSpan Elapsed);

/// <summary>
/// The fuzzer: runs a target's seeds, then mutated inputs (see <see cref="Mutator"/>) until the input or time
/// bound, each under a time limit; classifies outcomes; keeps inputs that showed a new rejection reason or
/// were accepted as new corpus entries (behaviour feedback without instrumentation); minimises and writes
/// each distinct crash.
/// </summary>
public sealed class FuzzEngine
{
    private const int MaxCorpusEntry = 64 * 1024;
    private readonly FuzzOptions _options;

    /// <summary>Creates the engine. Throws <see cref="ArgumentException"/> for invalid options.</summary>
    /// <param name="options">The options.</param>
    public FuzzEngine(FuzzOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>The random stream of a target: the run's seed mixed with the target's name (FNV-1a), stable across runs.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="target">The target's name.</param>
    public static ulong TargetSeed(ulong seed, string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var hash = 0xCBF29CE484222325UL;
        foreach (var b in Encoding.UTF8.GetBytes(target))
        {
            hash = (hash ^ b) * 0x100000001B3UL;
        }

        return seed ^ hash;
    }

    /// <summary>The input sequence the engine would try for a corpus, without feedback (for determinism checks).</summary>
    /// <param name="target">The target (its seeds, shape and dictionary).</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="count">How many mutated inputs.</param>
    /// <param name="maxInputLength">The largest input.</param>
    public static IEnumerable<byte[]> Generate(FuzzTarget target, ulong seed, int count, int maxInputLength = 512 * 1024)
    {
        ArgumentNullException.ThrowIfNull(target);
        var mutator = new Mutator(new FuzzRandom(TargetSeed(seed, target.Name)), target.Shape, target.Dictionary, maxInputLength);
        var corpus = target.Seeds.Count > 0 ? target.Seeds : [[]];
        for (var i = 0; i < count; i++)
        {
            yield return mutator.Mutate(corpus);
        }
    }

    /// <summary>Fuzzes one target within the options' bounds.</summary>
    /// <param name="target">The target.</param>
    /// <param name="progress">Called about once a second, or null.</param>
    /// <param name="cancellationToken">Stops the run early (the report covers what ran).</param>
    public FuzzTargetReport Run(FuzzTarget target, Action<FuzzProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var seeds = target.Seeds;
        var corpus = new List<byte[]>(seeds.Count > 0 ? seeds : [[]]);
        var mutator = new Mutator(new FuzzRandom(TargetSeed(_options.Seed, target.Name)), target.Shape, target.Dictionary, _options.MaxInputLength);
        var behaviours = new HashSet<string>(StringComparer.Ordinal);
        var crashes = new Dictionary<string, (InputVerdict First, byte[] Input, int Count)>(StringComparer.Ordinal);
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        long tried = 0, accepted = 0, rejected = 0, crashed = 0, hangs = 0;
        var clock = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        using (var runner = new InputRunner(target, _options.InputTimeout))
        {
            while (!cancellationToken.IsCancellationRequested
                && (_options.MaxInputs is not { } max || tried < max)
                && (_options.Duration is not { } duration || clock.Elapsed < duration || tried < seeds.Count))
            {
                var input = tried < seeds.Count ? seeds[(int)tried] : mutator.Mutate(corpus);
                BinaryPrimitives.WriteInt32LittleEndian(length, input.Length);
                digest.AppendData(length);
                digest.AppendData(input);
                var verdict = runner.Run(input);
                tried++;
                switch (verdict.Outcome)
                {
                    case FuzzOutcome.Accepted:
                        accepted++;
                        break;
                    case FuzzOutcome.Rejected:
                        rejected++;
                        break;
                    default:
                        crashed++;
                        var signature = verdict.Signature!;
                        crashes[signature] = crashes.TryGetValue(signature, out var seen) ? seen with { Count = seen.Count + 1 } : (verdict, input, 1);
                        break;
                }

                if (verdict.Hung && ++hangs >= _options.MaxHangs)
                {
                    break;
                }

                // Huge inputs are tried, but not kept: every mutation of them would be slow.
                if (verdict.Outcome != FuzzOutcome.Crash && tried > seeds.Count && input.Length <= MaxCorpusEntry && corpus.Count < _options.CorpusLimit
                    && behaviours.Add(BehaviourKey(verdict)))
                {
                    corpus.Add(input);
                }

                if (progress is not null && clock.Elapsed - lastProgress >= TimeSpan.FromSeconds(1))
                {
                    lastProgress = clock.Elapsed;
                    progress(new FuzzProgress(target.Name, tried, crashed, clock.Elapsed));
                }
            }

            clock.Stop();
            var unique = crashes.OrderBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => Finish(target, runner, c.Key, c.Value.First, c.Value.Input, c.Value.Count))
                .ToList();
            return new FuzzTargetReport(target.Name, tried, accepted, rejected, crashed, hangs, unique, clock.Elapsed, corpus.Count,
                Convert.ToHexStringLower(digest.GetHashAndReset()));
        }
    }

    private FuzzCrash Finish(FuzzTarget target, InputRunner runner, string signature, InputVerdict first, byte[] input, int count)
    {
        var minimised = input;
        if (_options.Minimise && !first.Hung && runner.Abandoned < _options.MaxHangs)
        {
            minimised = DeltaDebugging.Minimise(input, candidate =>
            {
                if (runner.Abandoned >= _options.MaxHangs)
                {
                    return false;
                }

                return runner.Run(candidate).Signature == signature;
            }, _options.MinimiseBudget, byLines: target.Shape != InputShape.Binary);
        }

        var message = first.Hung
            ? $"no result within {_options.InputTimeout.TotalSeconds:0.###} s"
            : OneLine(first.Exception!.Message);
        string? reproducer = null;
        if (_options.ReproducerDirectory is { } directory)
        {
            var folder = Path.Combine(directory, target.Name);
            Directory.CreateDirectory(folder);
            var name = "crash-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(signature)))[..12];
            reproducer = Path.Combine(folder, name + ".bin");
            File.WriteAllBytes(reproducer, minimised);
            File.WriteAllBytes(Path.Combine(folder, name + ".original.bin"), input);
            File.WriteAllText(Path.Combine(folder, name + ".txt"),
                $"target: {target.Name}\nsignature: {signature}\ncount: {count}\nmessage: {message}\ninput: {input.Length} bytes, minimised: {minimised.Length} bytes\nreplay: konfido fuzz replay --target {target.Name} {reproducer}\n\n{first.Exception}\n");
        }

        return new FuzzCrash(signature, message, first.Exception?.ToString(), count, input, minimised, reproducer);
    }

    private static string BehaviourKey(InputVerdict verdict)
    {
        var reason = verdict.Reason ?? "";
        var builder = new StringBuilder(verdict.Outcome == FuzzOutcome.Accepted ? "A:" : "R:");
        foreach (var c in reason.AsSpan(0, Math.Min(reason.Length, 100)))
        {
            // Digits, quotes' contents vary with the input; the shape of the reason is the behaviour.
            builder.Append(char.IsAsciiDigit(c) ? '#' : c);
        }

        return builder.ToString();
    }

    private static string OneLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        var line = end < 0 ? message : message[..end];
        return line.Length <= 300 ? line : line[..297] + "...";
    }
}
