namespace Konfido.Console.Tests;

public sealed class ScaffoldTests
{
    [Fact]
    public void ProjectBuilds() => Assert.Equal("Konfido.Console.Tests", typeof(ScaffoldTests).Assembly.GetName().Name);
}
