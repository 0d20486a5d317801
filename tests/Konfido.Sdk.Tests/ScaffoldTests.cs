namespace Konfido.Sdk.Tests;

public sealed class ScaffoldTests
{
    [Fact]
    public void ProjectBuilds() => Assert.Equal("Konfido.Sdk.Tests", typeof(ScaffoldTests).Assembly.GetName().Name);
}
