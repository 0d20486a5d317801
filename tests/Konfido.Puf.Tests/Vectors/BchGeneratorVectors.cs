using System.Numerics;
using Konfido.Puf.Coding;

namespace Konfido.Puf.Tests.Vectors;

/// <summary>
/// Published generator polynomials of binary BCH codes.
/// Sources: S. Lin, D. J. Costello, "Error Control Coding" (2nd ed.), Table 6.1 / Appendix C (the
/// (15,7), (15,5), (31,21), (31,16) and (63,51) codes with the primitive polynomials x^4+x+1,
/// x^5+x^2+1, x^6+x+1); the (255,91) t=25 code's coefficients as published in
/// KU-Cryptographic-Protocol-Lab/Fuzzy_Extractor, FE/inc/bch/bch_255_91_25/bch_255_91_25_poly.h
/// (ascending order, GF(2^8) with x^8+x^4+x^3+x^2+1).
/// </summary>
public sealed class BchGeneratorVectors
{
    [Theory]
    [InlineData(4, 2, 0x13, "1D1")] // x^8+x^7+x^6+x^4+1
    [InlineData(4, 3, 0x13, "537")] // x^10+x^8+x^5+x^4+x^2+x+1
    [InlineData(5, 2, 0x25, "769")] // x^10+x^9+x^8+x^6+x^5+x^3+1
    [InlineData(5, 3, 0x25, "8FAF")] // x^15+x^11+x^10+x^9+x^8+x^7+x^5+x^3+x^2+x+1
    [InlineData(6, 2, 0x43, "1539")] // x^12+x^10+x^8+x^5+x^4+x^3+1
    public void Textbook_generator_polynomials(int m, int t, int poly, string expectedHex)
    {
        var code = BchCode.Create(new BchParameters(m, t, poly));
        var expected = BigInteger.Parse("0" + expectedHex, System.Globalization.NumberStyles.HexNumber);
        Assert.Equal(expected, code.GeneratorPolynomial);
    }

    [Fact]
    public void Bch_255_91_25_generator_matches_the_published_coefficients()
    {
        byte[] ascending =
        [
            1,0,0,0,1,1,1,0,1,0,0,1,0,0,1,1,1,0,0,0,1,0,1,0,1,1,1,0,0,0,0,1,0,1,1,1,0,1,0,0,1,1,1,1,1,0,0,0,1,0,1,1,0,1,1,0,1,1,1,1,0,0,0,1,0,0,1,0,0,1,0,1,0,1,0,1,1,0,1,1,1,0,0,1,0,1,0,1,1,1,1,0,0,1,1,0,0,1,1,1,1,0,0,1,0,1,1,1,0,1,0,1,1,1,1,0,0,0,0,1,0,0,1,0,0,1,1,1,1,0,1,0,1,1,0,0,0,0,1,1,0,0,0,0,1,0,1,0,1,1,0,1,0,0,0,0,1,0,1,1,1,1,0,1,1,
        ];
        var code = BchCode.Create(new BchParameters(8, 25, 0x11D));
        Assert.Equal(91, code.MaxDataBits);
        var expected = BigInteger.Zero;
        for (var i = ascending.Length - 1; i >= 0; i--)
        {
            expected = (expected << 1) | ascending[i];
        }

        Assert.Equal(expected, code.GeneratorPolynomial);
    }
}
