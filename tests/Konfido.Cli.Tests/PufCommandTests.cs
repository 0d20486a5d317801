using System.Numerics;
using System.Text.Json;

namespace Konfido.Cli.Tests;

public sealed class PufCommandTests
{
    [Theory]
    [InlineData("8", "4", "0x11d", "00112233445566778899aabbccddeeff")]
    [InlineData("8", "4", "11D", "ff")]
    [InlineData("13", "8", "0x201b", "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")]
    [InlineData("5", "2", "0x25", "a5b6")]
    public async Task Bch_encode_prints_the_remainder_left_justified(string m, string t, string poly, string data)
    {
        var result = await CliRun.RunAsync("puf", "bch-encode", "--m", m, "--t", t, "--poly", poly, "--data", data);
        Assert.Equal(0, result.ExitCode);
        var parity = Convert.FromHexString(result.Stdout.Trim());
        var mi = int.Parse(m, System.Globalization.CultureInfo.InvariantCulture);
        var ti = int.Parse(t, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal((mi * ti + 7) / 8, parity.Length);

        // Check by naive long division: the codeword d(x)·x^r + p(x) must be divisible by g(x)
        // (g itself is checked against published generator polynomials in Konfido.Puf.Tests/Vectors).
        var code = Konfido.Puf.Coding.BchCode.Create(new Konfido.Puf.Coding.BchParameters(mi, ti, Convert.ToInt32(poly.Replace("0x", "", StringComparison.OrdinalIgnoreCase), 16)));
        var g = code.GeneratorPolynomial;
        var r = code.ParityBits;
        var d = new BigInteger(Convert.FromHexString(data), isUnsigned: true, isBigEndian: true);
        var p = new BigInteger(parity, isUnsigned: true, isBigEndian: true) >> (parity.Length * 8 - r);
        var codeword = (d << r) ^ p;
        Assert.True(Mod(codeword, g).IsZero);
    }

    [Fact]
    public async Task Bch_encode_of_a_textbook_code_matches_hand_division()
    {
        // BCH(31,21), t = 2, g(x) = x^10+x^9+x^8+x^6+x^5+x^3+1 (Lin & Costello, Appendix C), r = 10.
        // The message byte 0x01 is d(x) = 1, so the parity is x^10 mod g(x), by hand below.
        var result = await CliRun.RunAsync("puf", "bch-encode", "--m", "5", "--t", "2", "--poly", "25", "--data", "01");
        Assert.Equal(0, result.ExitCode);
        // x^10 mod (x^10+x^9+x^8+x^6+x^5+x^3+1) = x^9+x^8+x^6+x^5+x^3+1 = 0b1101101001 -> left-justified in 2 bytes.
        Assert.Equal("da40", result.Stdout.Trim());
    }

    [Theory]
    [InlineData("8", "4", "0x11b", "00")] // not primitive
    [InlineData("8", "4", "zz", "00")]
    [InlineData("8", "4", "0x11d", "xyz")]
    [InlineData("4", "2", "0x13", "0000")] // 16 bits > k = 7
    [InlineData("17", "2", "0x13", "00")]
    public async Task Bch_encode_rejects_bad_input_with_exit_2(string m, string t, string poly, string data)
    {
        var result = await CliRun.RunAsync("puf", "bch-encode", "--m", m, "--t", t, "--poly", poly, "--data", data);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Eval_prints_the_contract_fields_and_plots()
    {
        var plots = Path.Combine(Path.GetTempPath(), "konfido-puf-plots-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = await CliRun.RunAsync("puf", "eval", "--devices", "4", "--challenges", "3", "--repeats", "2", "--trials", "4", "--json", "--plots", plots);
            Assert.Equal(0, result.ExitCode);
            using var doc = JsonDocument.Parse(result.Stdout);
            var root = doc.RootElement;
            Assert.InRange(root.GetProperty("uniqueness").GetDouble(), 40, 60);
            Assert.InRange(root.GetProperty("reliability").GetDouble(), 90, 100);
            Assert.InRange(root.GetProperty("uniformity").GetDouble(), 45, 55);
            Assert.InRange(root.GetProperty("bit_aliasing").GetDouble(), 40, 60);
            Assert.InRange(root.GetProperty("min_entropy_per_bit").GetDouble(), 0.8, 1);
            Assert.InRange(root.GetProperty("raw_ber").GetDouble(), 0.005, 0.15);
            var key = root.GetProperty("key_failure_rate");
            Assert.Equal(4, key.GetProperty("trials").GetInt32());
            Assert.Equal(0, key.GetProperty("measured").GetDouble());
            Assert.True(key.GetProperty("analytic_bound").GetDouble() <= 1e-9);
            Assert.True(File.Exists(Path.Combine(plots, "hamming-distances.png")));
        }
        finally
        {
            if (Directory.Exists(plots))
            {
                Directory.Delete(plots, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Eval_rejects_too_few_devices()
    {
        var result = await CliRun.RunAsync("puf", "eval", "--devices", "1");
        Assert.Equal(2, result.ExitCode);
    }

    private static BigInteger Mod(BigInteger a, BigInteger g)
    {
        var dg = (int)g.GetBitLength() - 1;
        while (!a.IsZero && (int)a.GetBitLength() - 1 >= dg)
        {
            a ^= g << ((int)a.GetBitLength() - 1 - dg);
        }

        return a;
    }
}
