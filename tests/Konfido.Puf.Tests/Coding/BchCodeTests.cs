using Konfido.Puf.Coding;

namespace Konfido.Puf.Tests.Coding;

public sealed class BchCodeTests
{
    public static TheoryData<int, int> Codes() => new()
    {
        { 4, 2 }, { 5, 3 }, { 6, 4 }, { 8, 8 }, { 8, 18 }, { 9, 12 }, { 10, 20 }, { 13, 8 }, { 14, 4 }, { 16, 3 },
    };

    [Theory]
    [MemberData(nameof(Codes))]
    public void Parity_is_the_remainder_of_naive_long_division(int m, int t)
    {
        var code = BchCode.Create(new BchParameters(m, t));
        var g = code.GeneratorPolynomial;
        Assert.Equal(code.ParityBits, NaiveGf2.Degree(g));
        Assert.True(code.ParityBits <= m * t);
        var random = new Random(m * 100 + t);
        for (var trial = 0; trial < 20; trial++)
        {
            var dataBits = random.Next(1, Math.Min(512, code.MaxDataBits) + 1);
            var data = new byte[(dataBits + 7) / 8];
            random.NextBytes(data);
            var parity = code.ComputeParity(data, dataBits);
            Assert.Equal((m * t + 7) / 8, parity.Length);

            var d = new System.Numerics.BigInteger(data, isUnsigned: true, isBigEndian: true) >> (data.Length * 8 - dataBits);
            var remainder = NaiveGf2.Mod(d << code.ParityBits, g);
            // Left-justified: the remainder's deg g bits occupy the top of ceil(m t / 8) bytes.
            var expected = remainder << (parity.Length * 8 - code.ParityBits);
            Assert.Equal(expected, new System.Numerics.BigInteger(parity, isUnsigned: true, isBigEndian: true));
        }
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void Decoder_corrects_up_to_t_errors(int m, int t)
    {
        var code = BchCode.Create(new BchParameters(m, t));
        var random = new Random(m * 1000 + t);
        var dataBits = Math.Min(code.MaxDataBits, 600);
        for (var trial = 0; trial < 30; trial++)
        {
            var (message, codeword) = RandomCodeword(code, dataBits, random);
            Assert.True(NaiveGf2.Mod(NaiveGf2.FromBits(codeword), code.GeneratorPolynomial).IsZero);
            var received = (byte[])codeword.Clone();
            var errors = random.Next(0, t + 1);
            FlipDistinct(received, errors, random);
            Assert.Equal(errors, code.Decode(received));
            Assert.Equal(codeword, received);
            Assert.Equal(message, received[..dataBits]);
        }
    }

    [Theory]
    [InlineData(4, 2)]
    [InlineData(6, 3)]
    [InlineData(8, 8)]
    [InlineData(10, 12)]
    public void Beyond_t_errors_the_decoder_fails_detectably_or_lands_on_another_codeword(int m, int t)
    {
        var code = BchCode.Create(new BchParameters(m, t));
        var random = new Random(m + t);
        var dataBits = code.MaxDataBits;
        var detected = 0;
        const int trials = 200;
        for (var trial = 0; trial < trials; trial++)
        {
            var (_, codeword) = RandomCodeword(code, dataBits, random);
            var received = (byte[])codeword.Clone();
            FlipDistinct(received, t + 1 + random.Next(0, 3), random);
            var before = (byte[])received.Clone();
            var result = code.Decode(received);
            if (result < 0)
            {
                detected++;
                Assert.Equal(before, received); // left unchanged
            }
            else
            {
                // A miscorrection must still be a codeword within t of the received word, never the original.
                Assert.True(result <= t);
                Assert.NotEqual(codeword, received);
                Assert.True(NaiveGf2.Mod(NaiveGf2.FromBits(received), code.GeneratorPolynomial).IsZero);
                Assert.Equal(result, before.Zip(received).Count(p => p.First != p.Second));
            }
        }

        // For these codes most patterns of weight t+1..t+3 fall outside every decoding sphere.
        Assert.True(detected > trials / 2, $"only {detected} of {trials} detected");
    }

    [Fact]
    public void Shortened_codewords_decode_and_a_root_outside_the_short_word_is_detected()
    {
        var code = BchCode.Create(new BchParameters(8, 4));
        var random = new Random(7);
        for (var trial = 0; trial < 50; trial++)
        {
            var (_, codeword) = RandomCodeword(code, 40, random);
            var received = (byte[])codeword.Clone();
            FlipDistinct(received, 4, random);
            Assert.Equal(4, code.Decode(received));
            Assert.Equal(codeword, received);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 1)]
    [InlineData(4, 0)]
    [InlineData(4, 8)]
    [InlineData(6, 40)]
    public void Unusable_parameters_are_rejected_with_a_reason(int m, int t)
    {
        Assert.Null(BchCode.TryCreate(new BchParameters(m, t), out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    internal static (byte[] Message, byte[] Codeword) RandomCodeword(BchCode code, int dataBits, Random random)
    {
        var message = new byte[dataBits];
        for (var i = 0; i < dataBits; i++)
        {
            message[i] = (byte)random.Next(2);
        }

        var codeword = new byte[dataBits + code.ParityBits];
        code.Encode(message, codeword);
        return (message, codeword);
    }

    internal static void FlipDistinct(byte[] word, int count, Random random)
    {
        var positions = Enumerable.Range(0, word.Length).OrderBy(_ => random.Next()).Take(count);
        foreach (var p in positions)
        {
            word[p] ^= 1;
        }
    }
}
