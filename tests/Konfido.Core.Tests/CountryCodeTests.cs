namespace Konfido.Core.Tests;

public sealed class CountryCodeTests
{
    [Theory]
    [InlineData("dk", "DK")]
    [InlineData("ES", "ES")]
    [InlineData("It", "IT")]
    public void Parses_two_letters_to_upper_case(string text, string expected) =>
        Assert.Equal(expected, CountryCode.Parse(text).Value);

    [Theory]
    [InlineData("")]
    [InlineData("D")]
    [InlineData("DNK")]
    [InlineData("D1")]
    [InlineData(null)]
    public void Rejects_anything_else(string? text) => Assert.False(CountryCode.TryParse(text, out _));
}
