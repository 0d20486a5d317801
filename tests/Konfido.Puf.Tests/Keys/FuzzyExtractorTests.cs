using Konfido.Puf.Keys;

namespace Konfido.Puf.Tests.Keys;

public sealed class FuzzyExtractorTests
{
    private static readonly FuzzyExtractorParameters Plain = new(BchM: 7, BchT: 10, Repetition: 3, Blocks: 2, KeyBytes: 32);

    [Theory]
    [InlineData(false, 0.5)]
    [InlineData(true, 0.7)] // biased responses: von Neumann keeps the key unbiased
    public void Key_is_reproduced_from_a_noisy_response(bool debias, double bias)
    {
        var extractor = new FuzzyExtractor(FuzzyExtractorSettings.Create(Plain with { Debias = debias }));
        var random = new Random(42);
        var length = debias ? extractor.CodewordBits * 6 : extractor.CodewordBits;
        for (var trial = 0; trial < 20; trial++)
        {
            var enrolled = RandomBits(length, bias, random);
            var generated = extractor.Generate(enrolled);
            var noisy = Flip(enrolled, 0.04, random);
            var reproduced = extractor.Reproduce(noisy, generated.HelperData);
            Assert.True(reproduced.Succeeded, reproduced.Failure.ToString());
            Assert.Equal(generated.Key, reproduced.Key);
            Assert.Equal(32, generated.Key.Length);
        }
    }

    [Fact]
    public void Two_enrolments_of_the_same_response_give_different_keys_and_helper_data()
    {
        var extractor = new FuzzyExtractor(FuzzyExtractorSettings.Create(Plain));
        var response = RandomBits(extractor.CodewordBits, 0.5, new Random(1));
        var a = extractor.Generate(response);
        var b = extractor.Generate(response);
        Assert.NotEqual(a.Key, b.Key);
        Assert.NotEqual(a.HelperData, b.HelperData);
    }

    [Fact]
    public void A_tampered_offset_bit_is_detected_even_though_the_decoder_corrects_it()
    {
        var extractor = new FuzzyExtractor(FuzzyExtractorSettings.Create(Plain));
        var random = new Random(3);
        var response = RandomBits(extractor.CodewordBits, 0.5, random);
        var generated = extractor.Generate(response);
        var offsetStart = 4 + 6 + 4 + 16 + 4;
        for (var trial = 0; trial < 20; trial++)
        {
            var tampered = (byte[])generated.HelperData.Clone();
            tampered[offsetStart + random.Next(extractor.CodewordBits / 8)] ^= (byte)(1 << random.Next(8));
            var result = extractor.Reproduce(response, tampered);
            Assert.Equal(KeyReproductionFailure.IntegrityCheckFailed, result.Failure);
            Assert.Null(result.Key);
        }
    }

    [Fact]
    public void Tampering_anywhere_in_the_helper_data_never_yields_a_key()
    {
        var extractor = new FuzzyExtractor(FuzzyExtractorSettings.Create(Plain));
        var random = new Random(4);
        var response = RandomBits(extractor.CodewordBits, 0.5, random);
        var generated = extractor.Generate(response);
        for (var position = 0; position < generated.HelperData.Length; position += 3)
        {
            var tampered = (byte[])generated.HelperData.Clone();
            tampered[position] ^= 0x01;
            var result = extractor.Reproduce(response, tampered);
            Assert.False(result.Succeeded, $"byte {position}");
        }

        Assert.Equal(KeyReproductionFailure.MalformedHelperData, extractor.Reproduce(response, generated.HelperData.AsSpan(0, 20)).Failure);
    }

    [Fact]
    public void Another_devices_response_is_refused()
    {
        var extractor = new FuzzyExtractor(FuzzyExtractorSettings.Create(Plain));
        var random = new Random(5);
        var generated = extractor.Generate(RandomBits(extractor.CodewordBits, 0.5, random));
        for (var trial = 0; trial < 20; trial++)
        {
            var other = extractor.Reproduce(RandomBits(extractor.CodewordBits, 0.5, random), generated.HelperData);
            Assert.False(other.Succeeded);
        }
    }

    [Fact]
    public void Too_noisy_responses_fail_as_uncorrectable()
    {
        var extractor = new FuzzyExtractor(FuzzyExtractorSettings.Create(Plain));
        var random = new Random(6);
        var response = RandomBits(extractor.CodewordBits, 0.5, random);
        var generated = extractor.Generate(response);
        var result = extractor.Reproduce(Flip(response, 0.3, random), generated.HelperData);
        Assert.Equal(KeyReproductionFailure.Uncorrectable, result.Failure);
    }

    [Theory]
    [InlineData(0, 1, 1, 1, 1, 32)]
    [InlineData(7, 10, 2, 1, 32, 0)]
    [InlineData(7, 10, 3, 1, 24, 0)]
    [InlineData(13, 10, 3, 1, 32, 0)]
    [InlineData(7, 100, 3, 1, 32, 0)]
    public void Bad_parameters_are_rejected_with_a_reason(int m, int t, int r, int b, int keyBytes, int unused)
    {
        _ = unused;
        Assert.Null(FuzzyExtractorSettings.TryCreate(new FuzzyExtractorParameters(m, t, r, b, keyBytes), out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    internal static byte[] RandomBits(int count, double bias, Random random)
    {
        var bits = new byte[count];
        for (var i = 0; i < count; i++)
        {
            bits[i] = random.NextDouble() < bias ? (byte)1 : (byte)0;
        }

        return bits;
    }

    internal static byte[] Flip(byte[] bits, double rate, Random random)
    {
        var result = (byte[])bits.Clone();
        for (var i = 0; i < result.Length; i++)
        {
            if (random.NextDouble() < rate)
            {
                result[i] ^= 1;
            }
        }

        return result;
    }
}
