using Konfido.Puf.Coding;

namespace Konfido.Puf.Tests.Coding;

public sealed class GaloisFieldTests
{
    public static TheoryData<int> Degrees() => [.. Enumerable.Range(2, 15)];

    [Theory]
    [MemberData(nameof(Degrees))]
    public void Default_polynomials_are_primitive(int m)
    {
        var field = GaloisField.Create(m);
        Assert.Equal((1 << m) - 1, field.Order);
        Assert.Equal(1, field.Exp(field.Order));
    }

    [Theory]
    [InlineData(4, 0x1F)] // x^4+x^3+x^2+x+1 is irreducible but alpha has order 5
    [InlineData(8, 0x11B)] // the AES polynomial is irreducible, not primitive
    [InlineData(8, 0x100)] // divisible by x
    [InlineData(8, 0x1D)] // wrong degree
    public void Non_primitive_polynomials_are_rejected_with_a_reason(int m, int poly)
    {
        Assert.Null(GaloisField.TryCreate(m, poly, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(13)]
    public void Arithmetic_identities_hold_against_shift_and_add(int m)
    {
        var field = GaloisField.Create(m);
        var random = new Random(m);
        for (var i = 0; i < 2000; i++)
        {
            var a = random.Next(1 << m);
            var b = random.Next(1 << m);
            var c = random.Next(1 << m);
            Assert.Equal(NaiveGf2.FieldMultiply(a, b, m, field.PrimitivePolynomial), field.Multiply(a, b));
            Assert.Equal(field.Multiply(a, b), field.Multiply(b, a));
            Assert.Equal(field.Multiply(a, b ^ c), field.Multiply(a, b) ^ field.Multiply(a, c));
            Assert.Equal(field.Multiply(field.Multiply(a, b), c), field.Multiply(a, field.Multiply(b, c)));
            if (a != 0)
            {
                Assert.Equal(1, field.Multiply(a, field.Inverse(a)));
                Assert.Equal(b, field.Divide(field.Multiply(a, b), a));
                Assert.Equal(a, field.Exp(field.Log(a)));
                Assert.Equal(a, field.Pow(a, (1 << m))); // Frobenius: a^(2^m) = a
            }
        }
    }
}
