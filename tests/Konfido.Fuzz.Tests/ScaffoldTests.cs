namespace Konfido.Fuzz.Tests;

public sealed class ScaffoldTests
{
    [Fact]
    public void ProjectBuilds() => Assert.Equal("Konfido.Fuzz.Tests", typeof(ScaffoldTests).Assembly.GetName().Name);
}
