using System.Text;
using System.Text.Json;
using Konfido.Fuzzing;
using Konfido.Fuzzing.Targets;

namespace Konfido.Fuzz.Tests;

public sealed class EngineTests
{
    [Fact]
    public void The_same_seed_gives_the_same_inputs_and_another_seed_other_inputs()
    {
        var target = new CheckpointTarget();
        var a = FuzzEngine.Generate(target, 42, 500).ToList();
        var b = FuzzEngine.Generate(new CheckpointTarget(), 42, 500).ToList();
        var c = FuzzEngine.Generate(target, 43, 500).ToList();

        Assert.Equal(a.Count, b.Count);
        Assert.True(a.Zip(b).All(p => p.First.AsSpan().SequenceEqual(p.Second)));
        Assert.False(a.Zip(c).All(p => p.First.AsSpan().SequenceEqual(p.Second)));
    }

    [Fact]
    public void Two_runs_with_the_same_seed_try_the_same_inputs_with_the_same_outcomes()
    {
        var options = new FuzzOptions { Seed = 7, MaxInputs = 1_500 };
        var first = new FuzzEngine(options).Run(new SignedNoteTarget());
        var second = new FuzzEngine(options).Run(new SignedNoteTarget());
        var other = new FuzzEngine(options with { Seed = 8 }).Run(new SignedNoteTarget());

        Assert.Equal(first.InputsSha256, second.InputsSha256);
        Assert.Equal((first.Accepted, first.Rejected, first.Crashes, first.CorpusSize), (second.Accepted, second.Rejected, second.Crashes, second.CorpusSize));
        Assert.NotEqual(first.InputsSha256, other.InputsSha256);
    }

    [Theory]
    [InlineData(InputShape.Binary)]
    [InlineData(InputShape.Text)]
    [InlineData(InputShape.Xml)]
    [InlineData(InputShape.Json)]
    [InlineData(InputShape.Yaml)]
    public void Mutations_change_the_input_and_respect_the_length_limit(InputShape shape)
    {
        var seed = shape switch
        {
            InputShape.Xml => "<a x=\"1\"><b y=\"2\">text</b><c/></a>",
            InputShape.Json => "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":true}",
            InputShape.Yaml => "title: x\ndetection:\n  sel:\n    a: 1\n  condition: sel\n",
            _ => "line one 123\nline two\n",
        };
        var mutator = new Mutator(new FuzzRandom(5), shape, ["TOKEN"], maxLength: 4096);
        var corpus = new[] { Encoding.UTF8.GetBytes(seed) };
        var outputs = Enumerable.Range(0, 2_000).Select(_ => mutator.Mutate(corpus)).ToList();

        Assert.All(outputs, o => Assert.True(o.Length <= 4096));
        var distinct = outputs.Select(Convert.ToBase64String).Distinct().Count();
        Assert.True(distinct > 1_000, $"only {distinct} distinct inputs out of 2000");
        Assert.True(outputs.Count(o => o.AsSpan().SequenceEqual(corpus[0])) < 200);
    }

    [Fact]
    public void Json_mutations_mostly_stay_well_formed_json()
    {
        var mutator = new Mutator(new FuzzRandom(9), InputShape.Json, [], maxLength: 1 << 20);
        var corpus = new[] { Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Jensen\",\"given\":[\"Lars\"]}],\"birthDate\":\"1956-03-12\"}") };
        var wellFormed = 0;
        for (var i = 0; i < 1_000; i++)
        {
            var bytes = mutator.MutateStructure(corpus[0], corpus);
            try
            {
                using var _ = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 10_000 });
                wellFormed++;
            }
            catch (JsonException)
            {
            }
        }

        // Structure-aware mutations exist to get past the parser's front door.
        Assert.True(wellFormed > 400, $"{wellFormed} of 1000 structural mutations are well-formed JSON");
    }

    [Fact]
    public void Delta_debugging_finds_a_one_minimal_input()
    {
        var input = Encoding.UTF8.GetBytes("the quick brown fox\njumps over\nthe lazy dog: X and Y\n");
        var tests = 0;
        var minimal = DeltaDebugging.Minimise(input, candidate =>
        {
            tests++;
            var text = Encoding.UTF8.GetString(candidate);
            return text.Contains('X', StringComparison.Ordinal) && text.Contains('Y', StringComparison.Ordinal);
        });

        Assert.Equal("XY", Encoding.UTF8.GetString(minimal));
        Assert.True(tests < 2_000);
    }

    [Fact]
    public void Delta_debugging_stops_at_its_budget()
    {
        var input = new byte[1000];
        var tests = 0;
        var result = DeltaDebugging.Minimise(input, _ => { tests++; return false; }, maxTests: 50, byLines: false);
        Assert.Equal(input.Length, result.Length);
        Assert.True(tests <= 50);
    }

    [Fact]
    public void Options_without_a_bound_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new FuzzEngine(new FuzzOptions()));
        Assert.Throws<ArgumentException>(() => new FuzzEngine(new FuzzOptions { MaxInputs = 0 }));
    }

    [Fact]
    public void A_crash_signature_is_the_exception_type_and_top_frame()
    {
        Exception caught;
        try
        {
            Throw();
            return;
        }
        catch (InvalidOperationException ex)
        {
            caught = ex;
        }

        Assert.Equal($"System.InvalidOperationException@{typeof(EngineTests).FullName}.Throw", CrashSignature.Of(caught, hung: false));
        Assert.Equal("hang", CrashSignature.Of(null, hung: true));
        Assert.Equal("invariant:x", CrashSignature.Of(new FuzzInvariantException("x", "y"), hung: false));
    }

    private static void Throw() => throw new InvalidOperationException("boom");

    [Fact]
    public void Random_numbers_are_reproducible_and_in_range()
    {
        var a = new FuzzRandom(1);
        var b = new FuzzRandom(1);
        for (var i = 0; i < 1000; i++)
        {
            var x = a.Next(17);
            Assert.Equal(x, b.Next(17));
            Assert.InRange(x, 0, 16);
        }
    }
}
