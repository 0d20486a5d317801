using Konfido.Puf.Keys;

namespace Konfido.Fuzzing.Targets;

/// <summary>
/// Fuzzy-extractor helper data as a device reads it back from untrusted storage
/// (<see cref="FuzzyExtractor.Reproduce"/>: a failure is a result, never an exception), for a plain and a
/// debiased (von Neumann) extractor. Invariant: helper data that is accepted reproduces exactly the enrolled key:
/// tampered helper data that yields another key would be a helper-data manipulation attack.
/// </summary>
/// <remarks>Generation draws the codeword from the system RNG: the seeds, and so the inputs, repeat only within a process.</remarks>
public sealed class PufHelperDataTarget : FuzzTarget
{
    private readonly Lazy<Setup[]> _setups = new(() => [new Setup(debias: false), new Setup(debias: true)]);

    /// <inheritdoc />
    public override string Name => "puf-helper-data";

    /// <inheritdoc />
    public override string Description => "PUF fuzzy-extractor helper data (FuzzyExtractor.Reproduce), plain and debiased; invariant: accepted helper data gives the enrolled key";

    /// <inheritdoc />
    public override FuzzResult Run(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var setup = _setups.Value[input.Length > 9 && input[9] == 1 ? 1 : 0];
        var result = setup.Extractor.Reproduce(setup.NoisyResponse, input);
        if (!result.Succeeded)
        {
            return FuzzResult.Reject(result.Failure.ToString());
        }

        if (!result.Key!.AsSpan().SequenceEqual(setup.Key))
        {
            throw new FuzzInvariantException("puf-helper-integrity", "accepted helper data reproduced a key other than the enrolled one");
        }

        return FuzzResult.Accept;
    }

    /// <inheritdoc />
    protected override IEnumerable<byte[]> CreateSeeds() => _setups.Value.Select(s => s.HelperData);

    private sealed class Setup
    {
        public Setup(bool debias)
        {
            var design = FuzzyExtractorDesigner.Choose(0.08, 0.95) ?? throw new InvalidOperationException("no fuzzy extractor design at BER 0.08");
            Extractor = new FuzzyExtractor(FuzzyExtractorSettings.Create(design.Parameters with { Debias = debias }));
            var random = new FuzzRandom(debias ? 11UL : 7UL);
            var bits = debias ? Extractor.CodewordBits * 6 : Extractor.CodewordBits;
            var response = new byte[bits];
            for (var i = 0; i < bits; i++)
            {
                response[i] = (byte)(random.NextUInt64() & 1);
            }

            var generation = Extractor.Generate(response);
            Key = generation.Key;
            HelperData = generation.HelperData;

            // A fresh read with a few bit errors (debiased: the same bits, since pair selection must agree).
            NoisyResponse = (byte[])response.Clone();
            if (!debias)
            {
                for (var i = 0; i < bits; i += 97)
                {
                    NoisyResponse[i] ^= 1;
                }
            }
        }

        public FuzzyExtractor Extractor { get; }

        public byte[] Key { get; }

        public byte[] HelperData { get; }

        public byte[] NoisyResponse { get; }
    }
}
