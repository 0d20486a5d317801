using System.Text;
using System.Text.RegularExpressions;

namespace Konfido.He.Compiler;

/// <summary>
/// A validated program over vectors of <see cref="Slots"/> values: declared inputs (secret or
/// clear, each with a value range), outputs, and the settings of the approximations. Made by
/// <see cref="HeProgramBuilder"/> or <see cref="HeProgramParser"/>; immutable.
/// </summary>
public sealed class HeProgram
{
    /// <summary>The default precision in bits (of the reals after the binary point, for CKKS).</summary>
    public const int DefaultPrecisionBits = 20;

    /// <summary>The default degree of polynomial approximations.</summary>
    public const int DefaultApproximationDegree = 7;

    internal HeProgram(string name, int slots, int precisionBits, int approximationDegree, IReadOnlyList<HeInput> inputs, IReadOnlyList<HeOutput> outputs)
    {
        Name = name;
        Slots = slots;
        PrecisionBits = precisionBits;
        ApproximationDegree = approximationDegree;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The program's name.</summary>
    public string Name { get; }

    /// <summary>The vector length (a power of two, 1..16384).</summary>
    public int Slots { get; }

    /// <summary>Bits of precision wanted after the binary point for values near 1 (CKKS: the scale is 2^(precision + 16)).</summary>
    public int PrecisionBits { get; }

    /// <summary>The degree of the Chebyshev approximations of non-polynomial functions.</summary>
    public int ApproximationDegree { get; }

    /// <summary>The declared inputs, in declaration order.</summary>
    public IReadOnlyList<HeInput> Inputs { get; }

    /// <summary>The outputs, in declaration order.</summary>
    public IReadOnlyList<HeOutput> Outputs { get; }

    /// <summary>The program as source text; parsing it gives an equivalent program.</summary>
    public string ToSource() => ProgramPrinter.Program(this);

    /// <inheritdoc />
    public override string ToString() => ToSource();
}

/// <summary>
/// The C# way to write an <see cref="HeProgram"/>: declare inputs, combine the returned
/// expressions with operators and methods, declare outputs, then <see cref="Build"/>.
/// </summary>
public sealed partial class HeProgramBuilder
{
    private readonly List<HeInput> _inputs = [];
    private readonly Dictionary<string, HeExpression> _inputExpressions = new(StringComparer.Ordinal);
    private readonly List<HeOutput> _outputs = [];

    /// <summary>A builder for a program called <paramref name="name"/> over vectors of <paramref name="slots"/> values.</summary>
    /// <param name="name">An identifier.</param>
    /// <param name="slots">A power of two from 1 to 16384.</param>
    public HeProgramBuilder(string name, int slots)
    {
        RequireIdentifier(name, nameof(name));
        if (slots < 1 || slots > 16384 || (slots & (slots - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(slots), $"slots must be a power of two from 1 to 16384, not {slots}.");
        }

        Name = name;
        Slots = slots;
    }

    /// <summary>The program's name.</summary>
    public string Name { get; }

    /// <summary>The vector length.</summary>
    public int Slots { get; }

    /// <summary>Bits of precision wanted after the binary point for values near 1 (4..34, default 20; CKKS scale 2^(precision + 16)).</summary>
    public int PrecisionBits
    {
        get;
        set
        {
            if (value < 4 || value > 34)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "precision must be 4 to 34 bits.");
            }

            field = value;
        }
    } = HeProgram.DefaultPrecisionBits;

    /// <summary>The degree of polynomial approximations (2..31, default 7).</summary>
    public int ApproximationDegree
    {
        get;
        set
        {
            if (value < 2 || value > 31)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "the approximation degree must be 2 to 31.");
            }

            field = value;
        }
    } = HeProgram.DefaultApproximationDegree;

    /// <summary>Declares a secret (encrypted) real input with values in [low, high].</summary>
    public HeExpression Secret(string name, double low, double high) => Declare(name, true, low, high, false);

    /// <summary>Declares a secret integer input with values in [low, high].</summary>
    public HeExpression SecretInteger(string name, long low, long high) => Declare(name, true, low, high, true);

    /// <summary>Declares a clear real input (e.g. model weights) with values in [low, high].</summary>
    public HeExpression Clear(string name, double low, double high) => Declare(name, false, low, high, false);

    /// <summary>Declares a clear integer input with values in [low, high].</summary>
    public HeExpression ClearInteger(string name, long low, long high) => Declare(name, false, low, high, true);

    /// <summary>Declares an output. Requires a new identifier.</summary>
    public void Output(string name, HeExpression value)
    {
        RequireIdentifier(name, nameof(name));
        ArgumentNullException.ThrowIfNull(value);
        if (_outputs.Any(o => o.Name == name))
        {
            throw new ArgumentException($"output '{name}' is declared twice.", nameof(name));
        }

        _outputs.Add(new HeOutput(name, value));
    }

    /// <summary>Validates and returns the program. Throws <see cref="ArgumentException"/> with the reason.</summary>
    public HeProgram Build()
    {
        if (_outputs.Count == 0)
        {
            throw new ArgumentException("a program needs at least one output.");
        }

        var seen = new HashSet<HeExpression>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<HeExpression>(_outputs.Select(o => o.Value));
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            if (!seen.Add(e))
            {
                continue;
            }

            if (e.Op == HeOp.Input && (!_inputExpressions.TryGetValue(e.Input!.Name, out var declared) || !ReferenceEquals(declared, e)))
            {
                throw new ArgumentException($"input '{e.Input!.Name}' was not declared by this builder.");
            }

            if (e.Op == HeOp.Constant && e.Values!.Count != 1 && e.Values.Count != Slots)
            {
                throw new ArgumentException($"a constant vector has {e.Values.Count} values; the program has {Slots} slots.");
            }

            foreach (var operand in e.Operands)
            {
                stack.Push(operand);
            }
        }

        return new HeProgram(Name, Slots, PrecisionBits, ApproximationDegree, [.. _inputs], [.. _outputs]);
    }

    private HeExpression Declare(string name, bool secret, double low, double high, bool integer)
    {
        RequireIdentifier(name, nameof(name));
        if (_inputExpressions.ContainsKey(name))
        {
            throw new ArgumentException($"input '{name}' is declared twice.", nameof(name));
        }

        if (!double.IsFinite(low) || !double.IsFinite(high) || low > high)
        {
            throw new ArgumentException($"input '{name}': the range [{low}, {high}] must be finite with low <= high.", nameof(high));
        }

        var input = new HeInput(name, secret, low, high, integer);
        var expression = HeExpression.ForInput(input);
        _inputs.Add(input);
        _inputExpressions.Add(name, expression);
        return expression;
    }

    internal static bool IsIdentifier(string? name) => name is not null && IdentifierPattern().IsMatch(name);

    private static void RequireIdentifier(string name, string parameter)
    {
        if (!IsIdentifier(name))
        {
            throw new ArgumentException($"'{name}' is not an identifier (a letter or _, then letters, digits or _).", parameter);
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex IdentifierPattern();
}

/// <summary>Prints programs and expressions in the text language (shared subexpressions become lets).</summary>
internal static class ProgramPrinter
{
    public static string Program(HeProgram program)
    {
        var text = new StringBuilder();
        text.Append("program ").Append(program.Name).Append('\n');
        text.Append("slots ").Append(program.Slots).Append('\n');
        if (program.PrecisionBits != HeProgram.DefaultPrecisionBits)
        {
            text.Append("precision ").Append(program.PrecisionBits).Append('\n');
        }

        if (program.ApproximationDegree != HeProgram.DefaultApproximationDegree)
        {
            text.Append("degree ").Append(program.ApproximationDegree).Append('\n');
        }

        foreach (var input in program.Inputs)
        {
            text.Append(input.IsSecret ? "secret " : "clear ").Append(input.Name)
                .Append(input.IsInteger ? " int" : "")
                .Append(" in [").Append(HeExpression.Number(input.Low)).Append(", ").Append(HeExpression.Number(input.High)).Append("]\n");
        }

        // Name every non-leaf node used more than once, in dependency order.
        var uses = new Dictionary<HeExpression, int>(ReferenceEqualityComparer.Instance);
        var order = new List<HeExpression>();
        foreach (var output in program.Outputs)
        {
            Visit(output.Value, uses, order);
        }

        var names = new Dictionary<HeExpression, string>(ReferenceEqualityComparer.Instance);
        var taken = new HashSet<string>(program.Inputs.Select(i => i.Name).Concat(program.Outputs.Select(o => o.Name)), StringComparer.Ordinal);
        int next = 0;
        foreach (var e in order)
        {
            if (uses[e] > 1 && e.Op is not (HeOp.Input or HeOp.Constant))
            {
                string name;
                do
                {
                    name = "t" + next++;
                }
                while (taken.Contains(name));

                text.Append("let ").Append(name).Append(" = ").Append(Expression(e, names)).Append('\n');
                names[e] = name;
            }
        }

        foreach (var output in program.Outputs)
        {
            text.Append("output ").Append(output.Name).Append(" = ").Append(Expression(output.Value, names)).Append('\n');
        }

        return text.ToString();
    }

    private static void Visit(HeExpression e, Dictionary<HeExpression, int> uses, List<HeExpression> order)
    {
        if (uses.TryGetValue(e, out int count))
        {
            uses[e] = count + 1;
            return;
        }

        uses[e] = 1;
        foreach (var operand in e.Operands)
        {
            Visit(operand, uses, order);
        }

        order.Add(e);
    }

    public static string Expression(HeExpression e, Dictionary<HeExpression, string> names)
    {
        if (names.TryGetValue(e, out var name))
        {
            return name;
        }

        string Arg(int i) => Expression(e.Operands[i], names);
        string Range() => HeExpression.Number(e.Low) + ", " + HeExpression.Number(e.High);
        return e.Op switch
        {
            HeOp.Input => e.Input!.Name,
            HeOp.Constant when e.Values!.Count == 1 => Literal(e.Values[0]),
            HeOp.Constant => "[" + string.Join(", ", e.Values!.Select(HeExpression.Number)) + "]",
            HeOp.Add => "(" + Arg(0) + " + " + Arg(1) + ")",
            HeOp.Sub => "(" + Arg(0) + " - " + Arg(1) + ")",
            HeOp.Mul => "(" + Arg(0) + " * " + Arg(1) + ")",
            HeOp.Neg => "-(" + Arg(0) + ")",
            HeOp.Rotate => "rotate(" + Arg(0) + ", " + e.Steps.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")",
            HeOp.Sum => "sum(" + Arg(0) + ")",
            HeOp.Dot => "dot(" + Arg(0) + ", " + Arg(1) + ")",
            HeOp.Poly => "poly(" + Arg(0) + ", " + string.Join(", ", e.Coefficients!.Select(HeExpression.Number)) + ")",
            HeOp.Approx => FunctionName(e.Function) + "(" + Arg(0) + ", " + Range() + ")",
            HeOp.Equal => "eq(" + Arg(0) + ", " + e.Target.ToString(System.Globalization.CultureInfo.InvariantCulture) + ", " + Range() + ")",
            _ => throw new InvalidOperationException("unknown operation."),
        };
    }

    // A negative literal prints in parentheses so that "a - (-1)" parses back to the same constant.
    private static string Literal(double value) => value < 0 || (value == 0 && double.IsNegative(value))
        ? "(" + HeExpression.Number(value) + ")"
        : HeExpression.Number(value);

    public static string FunctionName(ApproxFunction function) => function switch
    {
        ApproxFunction.Sigmoid => "sigmoid",
        ApproxFunction.Abs => "abs",
        ApproxFunction.Sqrt => "sqrt",
        ApproxFunction.Step => "step",
        _ => "inverse",
    };
}
