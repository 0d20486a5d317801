namespace Konfido.Ihe.Tests;

public sealed class ScaffoldTests
{
    [Fact]
    public void ProjectBuilds() => Assert.Equal("Konfido.Ihe.Tests", typeof(ScaffoldTests).Assembly.GetName().Name);
}
