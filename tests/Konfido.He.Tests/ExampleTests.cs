using Konfido.He.Examples;

namespace Konfido.He.Tests;

public sealed class ExampleTests
{
    public static TheoryData<string> Names => new() { "1", "2", "3", "4", "5", "6", "7" };

    [Theory]
    [MemberData(nameof(Names))]
    public void Example_runs_and_its_results_are_correct(string number)
    {
        using var output = new StringWriter();
        Func<TextWriter, bool> run = number switch
        {
            "1" => Example1BfvBasics.Run,
            "2" => Example2Encoders.Run,
            "3" => Example3Levels.Run,
            "4" => Example4Bgv.Run,
            "5" => Example5Ckks.Run,
            "6" => Example6Rotation.Run,
            _ => Example7Serialization.Run,
        };
        bool ok = run(output);
        Assert.True(ok, output.ToString());
        Assert.NotEmpty(output.ToString());
    }
}
