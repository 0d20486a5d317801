using Konfido.He.Arithmetic;

namespace Konfido.He.Tests;

public sealed class ParameterTests
{
    [Theory]
    [InlineData(1024, 27)]
    [InlineData(2048, 54)]
    [InlineData(4096, 109)]
    [InlineData(8192, 218)]
    [InlineData(16384, 438)]
    [InlineData(32768, 881)]
    public void Default_chains_reach_exactly_the_128_bit_limits(int n, int bits)
    {
        var chain = CoeffModulus.BFVDefault(n);
        Assert.Equal(bits, chain.Sum(q => q.BitCount));
        Assert.Equal(bits, CoeffModulus.MaxBitCount(n));
        Assert.Empty(HeContext.Validate(new EncryptionParameters(SchemeType.Ckks) { PolyModulusDegree = n, CoeffModulus = chain }));
    }

    [Fact]
    public void Every_rejection_has_its_own_message()
    {
        var good = CoeffModulus.BFVDefault(4096);
        Assert.Contains(HeContext.Validate(new EncryptionParameters(SchemeType.Bfv) { PolyModulusDegree = 3000, CoeffModulus = good, PlainModulus = new Modulus(65537) }),
            m => m.Contains("power of two"));
        Assert.Contains(HeContext.Validate(new EncryptionParameters(SchemeType.Ckks) { PolyModulusDegree = 4096, CoeffModulus = CoeffModulus.Create(4096, [60, 60]) }),
            m => m.Contains("120 bits, above the 109-bit limit"));
        Assert.Contains(HeContext.Validate(new EncryptionParameters(SchemeType.Ckks) { PolyModulusDegree = 4096, CoeffModulus = [new Modulus(1000001)] }),
            m => m.Contains("not prime"));
        Assert.Contains(HeContext.Validate(new EncryptionParameters(SchemeType.Ckks) { PolyModulusDegree = 4096, CoeffModulus = [new Modulus(1000003)] }),
            m => m.Contains("not congruent to 1 mod 2N"));
        Assert.Contains(HeContext.Validate(new EncryptionParameters(SchemeType.Bfv) { PolyModulusDegree = 4096, CoeffModulus = good }),
            m => m.Contains("needs a plain modulus"));
        Assert.Contains(HeContext.Validate(new EncryptionParameters(SchemeType.Bfv) { PolyModulusDegree = 4096, CoeffModulus = [good[0], good[0]], PlainModulus = new Modulus(65537) }),
            m => m.Contains("appears twice"));
        Assert.Contains(HeContext.Validate(new EncryptionParameters(SchemeType.Bfv) { PolyModulusDegree = 4096, CoeffModulus = good, PlainModulus = good[0] }),
            m => m.Contains("not coprime"));
        Assert.Contains(HeContext.Validate(new EncryptionParameters(SchemeType.Ckks) { PolyModulusDegree = 4096, CoeffModulus = good, PlainModulus = new Modulus(17) }),
            m => m.Contains("CKKS takes no plain modulus"));
        Assert.Contains(HeContext.Validate(new EncryptionParameters(SchemeType.None) { PolyModulusDegree = 4096, CoeffModulus = good }),
            m => m.Contains("no scheme"));
        // 192-bit security lowers the limit.
        Assert.Contains(HeContext.Validate(new EncryptionParameters(SchemeType.Ckks) { PolyModulusDegree = 4096, CoeffModulus = good }, SecurityLevel.Tc192),
            m => m.Contains("75-bit limit"));
        var ex = Assert.Throws<ArgumentException>(() => new HeContext(new EncryptionParameters(SchemeType.Ckks) { PolyModulusDegree = 4096, CoeffModulus = CoeffModulus.Create(4096, [60, 60]) }));
        Assert.Contains("HomomorphicEncryption.org", ex.Message);
    }

    [Fact]
    public void The_chain_has_a_key_level_and_data_levels()
    {
        var context = new HeContext(new EncryptionParameters(SchemeType.Ckks) { PolyModulusDegree = 8192, CoeffModulus = CoeffModulus.Create(8192, [60, 40, 40, 60]) });
        Assert.Equal(4, context.KeyContextData.ModulusCount);
        Assert.Equal(3, context.FirstContextData.ModulusCount);
        Assert.Equal(1, context.LastContextData.ModulusCount);
        Assert.Equal(context.FirstContextData, context.KeyContextData.Next);
        Assert.True(context.UsingKeySwitching);
        Assert.Null(context.GetContextData(new ParmsId(12345)));
    }
}
