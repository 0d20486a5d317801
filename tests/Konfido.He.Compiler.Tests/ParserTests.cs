namespace Konfido.He.Compiler.Tests;

public sealed class ParserTests
{
    [Theory]
    [InlineData("vital_signs")]
    [InlineData("copd_risk")]
    [InlineData("glucose_histogram")]
    [InlineData("cross_border")]
    public void Printing_and_reparsing_gives_the_same_program(string name)
    {
        var program = HeProgramParser.Parse(ExampleFiles.Source(name));
        string printed = program.ToSource();
        Assert.Equal(printed, HeProgramParser.Parse(printed).ToSource());
    }

    [Fact]
    public void The_builder_and_the_parser_produce_the_same_program()
    {
        var b = new HeProgramBuilder("vital_signs", 64) { PrecisionBits = 8 };
        var hr = b.Secret("hr", 30, 220);
        var mean = hr.Sum() / 64;
        var variance = (hr * hr).Sum() / 64 - mean * mean;
        b.Output("mean", mean);
        b.Output("variance", variance);
        b.Output("stddev", variance.Sqrt(25, 900));
        var built = b.Build();
        var parsed = HeProgramParser.Parse(ExampleFiles.Source("vital_signs"));
        Assert.Equal(parsed.ToSource(), built.ToSource());
        Assert.Equal(parsed.ToSource(), HeProgramParser.Parse(built.ToSource()).ToSource());
    }

    [Fact]
    public void The_builder_covers_the_functions_of_the_language()
    {
        var b = new HeProgramBuilder("all", 8);
        var x = b.Secret("x", -1, 1);
        var w = b.Clear("w", -2, 2);
        var k = b.SecretInteger("k", 0, 3);
        b.Output("a", x.Rotate(1).Dot(w) + x.Pow(3) - x.Polynomial([1, 2, 3]));
        b.Output("b", x.Sigmoid(-1, 1) + x.Abs(-1, 1) + x.Step(-1, 1) + (x + 2).Sqrt(1, 3) + (x + 2).Inverse(1, 3));
        b.Output("c", x.Min(w, -3, 3) + x.Max(w, -3, 3) + x.GreaterThan(w, -3, 3) + x.LessThan(w, -3, 3));
        b.Output("d", k.EqualTo(2, 0, 3) + -k);
        var built = b.Build();
        var text = """
            program all
            slots 8
            secret x in [-1, 1]
            clear w in [-2, 2]
            secret k int in [0, 3]
            output a = dot(rotate(x, 1), w) + x^3 - poly(x, 1, 2, 3)
            output b = sigmoid(x, -1, 1) + abs(x, -1, 1) + step(x, -1, 1) + sqrt(x + 2, 1, 3) + inverse(x + 2, 1, 3)
            output c = min(x, w, -3, 3) + max(x, w, -3, 3) + gt(x, w, -3, 3) + lt(x, w, -3, 3)
            output d = eq(k, 2, 0, 3) + -k
            """;
        Assert.Equal(HeProgramParser.Parse(text).ToSource(), built.ToSource());
    }

    // Each expected position was counted by hand on the source shown (1-based line:column).
    [Theory]
    [InlineData("slots 4\nsecret x in [0, 1]\noutput y = x * * 2", 3, 16, "expected a value")]
    [InlineData("slots 4\noutput y = z", 2, 12, "'z' is not defined")]
    [InlineData("slots 4\nsecret x", 2, 9, "expected 'in [low, high]'")]
    [InlineData("slots 4\nsecret x in [0, 1]\noutput y = 1 / x", 3, 16, "division is only by a constant")]
    [InlineData("slots 4\nsecret x in [0, 1]\noutput y = foo(x)", 3, 12, "unknown function 'foo'")]
    [InlineData("secret x in [0, 1]", 1, 1, "declare 'slots N'")]
    [InlineData("slots 6", 1, 7, "power of two")]
    [InlineData("slots 4\nlet a = 3 $ 4", 2, 11, "unexpected character '$'")]
    [InlineData("slots 4\nsecret x in [0, 1]\nsecret x in [0, 1]", 3, 8, "already defined")]
    [InlineData("slots 4\nsecret x in [0, 1]\noutput y = sigmoid(x)", 3, 12, "sigmoid takes a value and its range")]
    [InlineData("slots 4\nsecret x in [2, 1]", 2, 14, "is empty")]
    [InlineData("slots 4\nsecret x in [0, 1]\noutput y = sigmoid(x, 1, -1)", 3, 23, "needs low < high")]
    [InlineData("slots 4\nsecret x in [0, 1]\noutput y = rotate(x, 4)", 3, 22, "the step must lie in")]
    [InlineData("slots 4\nsecret x in [0, 1]\noutput y = [1, 2, 3]", 3, 12, "needs 4 values")]
    [InlineData("slots 4\nsecret x in [0, 1]\noutput y = x\noutput y = x", 4, 8, "declared twice")]
    [InlineData("slots 4\nsecret x in [0, 1]\noutput y = (x + 1", 3, 18, "expected ')'")]
    [InlineData("slots 4\nsecret x in [0, 1]", 2, 1, "at least one output")]
    [InlineData("program p\nslots 4\nprogram q", 3, 1, "must come before 'slots'")]
    public void Errors_point_at_line_and_column(string source, int line, int column, string reason)
    {
        var error = Assert.Throws<HeSyntaxException>(() => HeProgramParser.Parse(source));
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.StartsWith($"{line}:{column}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Comments_blank_lines_and_negative_literals_parse()
    {
        var program = HeProgramParser.Parse("# a comment\n\nprogram p   # named\nslots 2\nsecret x in [-1.5, 2e1]\noutput y = -3 * x - (-2)\n");
        Assert.Equal("p", program.Name);
        Assert.Equal(-1.5, program.Inputs[0].Low);
        Assert.Equal(20, program.Inputs[0].High);
        Assert.Equal("(((-3) * x) - (-2))", program.Outputs[0].Value.ToString());
    }

    [Fact]
    public void The_builder_rejects_misuse_with_reasons()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeProgramBuilder("p", 3));
        Assert.Throws<ArgumentException>(() => new HeProgramBuilder("1p", 4));
        var b = new HeProgramBuilder("p", 4);
        var x = b.Secret("x", 0, 1);
        Assert.Throws<ArgumentException>(() => b.Secret("x", 0, 1));
        Assert.Throws<ArgumentException>(() => x.Sqrt(-1, 1));
        Assert.Throws<ArgumentException>(() => x.Inverse(-1, 1));
        Assert.Throws<ArgumentException>(() => x.EqualTo(0, 0, 20));
        var other = new HeProgramBuilder("q", 4).Secret("y", 0, 1);
        b.Output("z", x + other);
        Assert.Contains("not declared by this builder", Assert.Throws<ArgumentException>(b.Build).Message, StringComparison.Ordinal);
    }
}

public sealed class ParserFuzzTests
{
    private static readonly string[] Tokens =
    [
        "program", "slots", "precision", "degree", "secret", "clear", "let", "output", "in", "int", "x", "y", "z", "w",
        "sum", "dot", "rotate", "pow", "poly", "sigmoid", "abs", "sqrt", "step", "inverse", "gt", "lt", "min", "max", "eq",
        "(", ")", "[", "]", ",", "=", "+", "-", "*", "/", "^", "0", "1", "2", "4", "-3", "0.5", "1e3", "#", "$", "\n", "\n",
    ];

    // Token soup must either parse (and then compile or be refused with HeCompilationException)
    // or fail with a positioned HeSyntaxException: never any other exception.
    [Fact]
    public void Random_token_soup_never_crashes_the_parser()
    {
        var random = new Random(42);
        int parsed = 0;
        for (int i = 0; i < 3000; i++)
        {
            var words = Expression(random, 3).Split(' ').ToList();
            if (random.Next(3) == 0)
            {
                // Corrupt a third of them: replace, insert or delete one token.
                int at = random.Next(words.Count);
                switch (random.Next(3))
                {
                    case 0: words[at] = Tokens[random.Next(Tokens.Length)]; break;
                    case 1: words.Insert(at, Tokens[random.Next(Tokens.Length)]); break;
                    default: words.RemoveAt(at); break;
                }
            }

            var text = "slots 4\nsecret x in [0, 1]\nclear w in [0, 1]\noutput y = " + string.Join(' ', words);
            try
            {
                var program = HeProgramParser.Parse(text);
                parsed++;
                Assert.Equal(program.ToSource(), HeProgramParser.Parse(program.ToSource()).ToSource());
                try
                {
                    var compiled = HeCompiler.Compile(program);
                    Assert.Equal(128, compiled.Parameters.SecurityBits);
                }
                catch (HeCompilationException)
                {
                }
            }
            catch (HeSyntaxException ex)
            {
                Assert.True(ex.Line >= 1 && ex.Column >= 1, $"{ex.Message} for:\n{text}");
            }
        }

        Assert.True(parsed > 1000, $"only {parsed} soups parsed: the fuzzer does not reach the compiler");
    }

    private static string Expression(Random random, int depth)
    {
        if (depth == 0 || random.Next(4) == 0)
        {
            return random.Next(3) switch { 0 => "x", 1 => "w", _ => Tokens[random.Next(40, 46)] };
        }

        string a = Expression(random, depth - 1), b = Expression(random, depth - 1);
        return random.Next(10) switch
        {
            0 => $"( {a} + {b} )",
            1 => $"( {a} - {b} )",
            2 => $"( {a} * {b} )",
            3 => $"sum ( {a} )",
            4 => $"dot ( {a} , {b} )",
            5 => $"rotate ( {a} , {random.Next(-3, 4)} )",
            6 => $"sigmoid ( {a} , -4 , 4 )",
            7 => $"max ( {a} , {b} , -2 , 2 )",
            8 => $"- {a}",
            _ => $"{a} ^ 2",
        };
    }
}
