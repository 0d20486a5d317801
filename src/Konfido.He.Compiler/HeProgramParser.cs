// The text language of HE programs. One statement per line; '#' starts a comment.
//
//   program vital_signs                 # optional name
//   slots 64                            # vector length (power of two), before any declaration
//   precision 20                        # optional: bits after the binary point (CKKS)
//   degree 7                            # optional: degree of approximations
//   secret hr in [30, 220]              # an encrypted real input and its range
//   secret band int in [0, 3]           # an encrypted integer input (exact BFV programs)
//   clear w in [-4, 4]                  # a clear input (e.g. model weights)
//   let mean = sum(hr) / 64
//   output mean                         # outputs a let of the same name
//   output var = sum((hr - mean)^2) / 64
//
// Expressions: + - * (left associative), '/' by a constant, unary '-', x^k (k a small integer),
// numbers, [v0, v1, ...] constant vectors, parentheses, and the functions
//   sum(x) dot(a, b) rotate(x, k) pow(x, k) poly(x, c0, c1, ...)
//   sigmoid|abs|sqrt|step|inverse(x, low, high)     approximated on [low, high] when secret
//   gt(a, b, low, high) lt(a, b, low, high)          comparisons (the difference lies in [low, high])
//   min(a, b, low, high) max(a, b, low, high)        via |a - b| on [low, high]
//   eq(x, c, low, high)                              exact integer equality over [low, high]
using System.Globalization;

namespace Konfido.He.Compiler;

/// <summary>A syntax or semantic error in program text, with its 1-based line and column.</summary>
public sealed class HeSyntaxException : FormatException
{
    /// <summary>An error at <paramref name="line"/>:<paramref name="column"/>.</summary>
    public HeSyntaxException(int line, int column, string reason)
        : base(string.Create(CultureInfo.InvariantCulture, $"{line}:{column}: {reason}"))
    {
        Line = line;
        Column = column;
        Reason = reason;
    }

    /// <summary>Creates an exception without position (for serialisers).</summary>
    public HeSyntaxException()
        : this(0, 0, "syntax error")
    {
    }

    /// <summary>Creates an exception without position (for serialisers).</summary>
    public HeSyntaxException(string message)
        : this(0, 0, message)
    {
    }

    /// <summary>Creates an exception without position (for serialisers).</summary>
    public HeSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    /// <summary>The 1-based line.</summary>
    public int Line { get; }

    /// <summary>The 1-based column.</summary>
    public int Column { get; }

    /// <summary>What is wrong, without the position.</summary>
    public string Reason { get; } = "";
}

/// <summary>Parses program text into an <see cref="HeProgram"/> (through <see cref="HeProgramBuilder"/>).</summary>
public static class HeProgramParser
{
    /// <summary>Parses <paramref name="source"/>. Throws <see cref="HeSyntaxException"/> naming line and column.</summary>
    public static HeProgram Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ParserState(source).Run();
    }

    private enum TokenKind
    {
        Identifier,
        Number,
        Symbol,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Line, int Column);

    private sealed class ParserState(string source)
    {
        private readonly Dictionary<string, HeExpression> _names = new(StringComparer.Ordinal);
        private HeProgramBuilder? _builder;
        private string _name = "main";
        private int? _precision;
        private int? _degree;
        private List<Token> _tokens = [];
        private int _position;
        private int _line;

        public HeProgram Run()
        {
            var lines = source.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                _line = i + 1;
                _tokens = Lex(lines[i], _line);
                _position = 0;
                if (Peek.Kind != TokenKind.End)
                {
                    Statement();
                }
            }

            if (_builder is null)
            {
                throw new HeSyntaxException(Math.Max(1, lines.Length), 1, "the program declares no 'slots'");
            }

            try
            {
                return _builder.Build();
            }
            catch (ArgumentException ex)
            {
                throw new HeSyntaxException(Math.Max(1, lines.Length), 1, ex.Message);
            }
        }

        private Token Peek => _tokens[_position];

        private Token Next() => _tokens[_position++];

        private void Statement()
        {
            var keyword = Expect(TokenKind.Identifier, "a statement (program, slots, precision, degree, secret, clear, let, output)");
            switch (keyword.Text)
            {
                case "program":
                    RequireNoBuilder(keyword, "program");
                    _name = Expect(TokenKind.Identifier, "a program name").Text;
                    break;
                case "slots":
                {
                    RequireNoBuilder(keyword, "slots");
                    var token = Peek;
                    int slots = Integer("the number of slots");
                    try
                    {
                        _builder = new HeProgramBuilder(_name, slots);
                    }
                    catch (ArgumentException ex)
                    {
                        throw Error(token, ex.Message);
                    }

                    if (_precision is int p)
                    {
                        _builder.PrecisionBits = p;
                    }

                    if (_degree is int d)
                    {
                        _builder.ApproximationDegree = d;
                    }

                    break;
                }

                case "precision":
                {
                    var token = Peek;
                    int bits = Integer("the precision in bits");
                    if (bits < 4 || bits > 34)
                    {
                        throw Error(token, "precision must be 4 to 34 bits");
                    }

                    _precision = bits;
                    if (_builder is not null)
                    {
                        _builder.PrecisionBits = bits;
                    }

                    break;
                }

                case "degree":
                {
                    var token = Peek;
                    int degree = Integer("the approximation degree");
                    if (degree < 2 || degree > 31)
                    {
                        throw Error(token, "the approximation degree must be 2 to 31");
                    }

                    _degree = degree;
                    if (_builder is not null)
                    {
                        _builder.ApproximationDegree = degree;
                    }

                    break;
                }

                case "secret" or "clear":
                    Declaration(keyword);
                    break;
                case "let":
                {
                    var name = NewName();
                    Expect("=");
                    _names[name.Text] = Expression();
                    break;
                }

                case "output":
                    OutputStatement();
                    break;
                default:
                    throw Error(keyword, $"unknown statement '{keyword.Text}' (expected program, slots, precision, degree, secret, clear, let or output)");
            }

            if (Peek.Kind != TokenKind.End)
            {
                throw Error(Peek, $"unexpected '{Peek.Text}' after the statement");
            }
        }

        private void RequireNoBuilder(Token keyword, string what)
        {
            if (_builder is not null)
            {
                throw Error(keyword, $"'{what}' must come before 'slots' and appear once");
            }
        }

        private HeProgramBuilder Builder(Token at) =>
            _builder ?? throw Error(at, "declare 'slots N' before inputs, lets and outputs");

        private void Declaration(Token keyword)
        {
            var builder = Builder(keyword);
            var name = NewName();
            bool integer = false;
            if (Peek.Kind == TokenKind.Identifier && Peek.Text == "int")
            {
                Next();
                integer = true;
            }

            if (Peek.Kind != TokenKind.Identifier || Peek.Text != "in")
            {
                throw Error(Peek, $"expected 'in [low, high]' (every input declares its range), found '{Describe(Peek)}'");
            }

            Next();
            Expect("[");
            var lowToken = Peek;
            double low = SignedNumber();
            Expect(",");
            double high = SignedNumber();
            Expect("]");
            if (low > high)
            {
                throw Error(lowToken, $"the range [{HeExpression.Number(low)}, {HeExpression.Number(high)}] is empty");
            }

            if (integer && (low != Math.Floor(low) || high != Math.Floor(high)))
            {
                throw Error(lowToken, "an int input needs integer bounds");
            }

            bool secret = keyword.Text == "secret";
            _names[name.Text] = (secret, integer) switch
            {
                (true, true) => builder.SecretInteger(name.Text, (long)low, (long)high),
                (true, false) => builder.Secret(name.Text, low, high),
                (false, true) => builder.ClearInteger(name.Text, (long)low, (long)high),
                _ => builder.Clear(name.Text, low, high),
            };
        }

        private void OutputStatement()
        {
            var at = Peek;
            var builder = Builder(at);
            var name = Expect(TokenKind.Identifier, "an output name");
            HeExpression value;
            if (Peek.Kind == TokenKind.Symbol && Peek.Text == "=")
            {
                Next();
                value = Expression();
            }
            else if (!_names.TryGetValue(name.Text, out value!))
            {
                throw Error(name, $"'{name.Text}' is not defined (write 'output {name.Text} = <expression>')");
            }

            try
            {
                builder.Output(name.Text, value);
            }
            catch (ArgumentException ex)
            {
                throw Error(name, ex.Message.Split(" (Parameter", 2)[0]);
            }
        }

        private Token NewName()
        {
            var name = Expect(TokenKind.Identifier, "a name");
            if (IsReserved(name.Text))
            {
                throw Error(name, $"'{name.Text}' is a reserved word");
            }

            if (_names.ContainsKey(name.Text))
            {
                throw Error(name, $"'{name.Text}' is already defined");
            }

            return name;
        }

        private static bool IsReserved(string word) => word is "program" or "slots" or "precision" or "degree" or "secret" or "clear"
            or "let" or "output" or "in" or "int" or "sum" or "dot" or "rotate" or "pow" or "poly" or "sigmoid" or "abs" or "sqrt"
            or "step" or "inverse" or "gt" or "lt" or "min" or "max" or "eq";

        // expression := term (('+' | '-') term)*
        private HeExpression Expression()
        {
            var left = Term();
            while (Peek.Kind == TokenKind.Symbol && Peek.Text is "+" or "-")
            {
                var op = Next();
                var right = Term();
                left = Bounded(op.Text == "+" ? left + right : left - right, op);
            }

            return left;
        }

        // term := unary (('*' | '/') unary)*
        private HeExpression Term()
        {
            var left = Unary();
            while (Peek.Kind == TokenKind.Symbol && Peek.Text is "*" or "/")
            {
                var op = Next();
                var rightToken = Peek;
                var right = Unary();
                if (op.Text == "*")
                {
                    left = Bounded(left * right, op);
                    continue;
                }

                if (ConstantValue(right) is not double divisor)
                {
                    throw Error(rightToken, "division is only by a constant (multiply by a clear input instead)");
                }

                if (divisor == 0)
                {
                    throw Error(rightToken, "division by zero");
                }

                left = Bounded(left / divisor, op);
            }

            return left;
        }

        // unary := '-' unary | power
        // Every recursion of the expression grammar passes through Unary: bounding its depth bounds the parser's
        // stack (sum(sum(...)) 6,000 deep overflowed the stack and killed the process: found by konfido fuzz).
        // 1,024 > 2 x MaxTreeDepth + 1: the printer parenthesises every operation (up to two nesting levels per tree
        // level, e.g. -(...)), so a printed tree of the largest depth accepted must parse back.
        private const int MaxNesting = 1024;
        private int _nesting;

        private HeExpression Unary()
        {
            if (_nesting >= MaxNesting)
            {
                throw Error(Peek, $"the expression is nested deeper than {MaxNesting}");
            }

            _nesting++;
            var at = Peek;
            try
            {
                return Bounded(UnaryCore(), at);
            }
            finally
            {
                _nesting--;
            }
        }

        // Long flat chains (x+x+...+x) and chains of lets build deep trees without deep parsing: the printer and the
        // compiler's passes recurse over the tree, and 60,000 terms overflowed their stack (found by konfido fuzz).
        private const int MaxTreeDepth = 500;

        private static HeExpression Bounded(HeExpression expression, Token at) => expression.Depth <= MaxTreeDepth
            ? expression
            : throw Error(at, $"the expression is more than {MaxTreeDepth} operations deep");

        private HeExpression UnaryCore()
        {
            if (Peek.Kind == TokenKind.Symbol && Peek.Text == "-")
            {
                Next();
                if (Peek.Kind == TokenKind.Number && !(_tokens[_position + 1].Kind == TokenKind.Symbol && _tokens[_position + 1].Text == "^"))
                {
                    return HeExpression.Constant(-ParseNumber(Next()));
                }

                return -Unary();
            }

            return Power();
        }

        // power := primary ('^' integer)?
        private HeExpression Power()
        {
            var value = Primary();
            if (Peek.Kind == TokenKind.Symbol && Peek.Text == "^")
            {
                Next();
                var token = Peek;
                int exponent = Integer("an exponent");
                if (exponent < 1 || exponent > 64)
                {
                    throw Error(token, "the exponent must be 1 to 64");
                }

                return value.Pow(exponent);
            }

            return value;
        }

        private HeExpression Primary()
        {
            var token = Next();
            switch (token.Kind)
            {
                case TokenKind.Number:
                    return HeExpression.Constant(ParseNumber(token));
                case TokenKind.Symbol when token.Text == "(":
                {
                    var inner = Expression();
                    Expect(")");
                    return inner;
                }

                case TokenKind.Symbol when token.Text == "[":
                {
                    var values = new List<double> { SignedNumber() };
                    while (Peek.Kind == TokenKind.Symbol && Peek.Text == ",")
                    {
                        Next();
                        values.Add(SignedNumber());
                    }

                    Expect("]");
                    var slots = Builder(token).Slots;
                    if (values.Count != 1 && values.Count != slots)
                    {
                        throw Error(token, $"a constant vector needs {slots} values (the program's slots), not {values.Count}");
                    }

                    return HeExpression.Constant(values);
                }

                case TokenKind.Identifier when Peek.Kind == TokenKind.Symbol && Peek.Text == "(":
                    return Call(token);
                case TokenKind.Identifier:
                    if (_names.TryGetValue(token.Text, out var named))
                    {
                        return named;
                    }

                    throw Error(token, $"'{token.Text}' is not defined");
                default:
                    throw Error(token, $"expected a value, found '{Describe(token)}'");
            }
        }

        private HeExpression Call(Token function)
        {
            Expect("(");
            var args = new List<(HeExpression Value, Token At)>();
            if (!(Peek.Kind == TokenKind.Symbol && Peek.Text == ")"))
            {
                do
                {
                    var at = Peek;
                    args.Add((Expression(), at));
                }
                while (Peek.Kind == TokenKind.Symbol && Peek.Text == "," && Next().Text == ",");
            }

            Expect(")");
            string name = function.Text;
            void Arity(int count)
            {
                if (args.Count != count)
                {
                    throw Error(function, $"{name} takes {count} argument{(count == 1 ? "" : "s")}, not {args.Count}");
                }
            }

            double Constant(int index, string what) => ConstantValue(args[index].Value)
                ?? throw Error(args[index].At, $"{name}: {what} must be a constant");
            long IntegerConstant(int index, string what)
            {
                double value = Constant(index, what);
                if (value != Math.Floor(value) || Math.Abs(value) > 1e15)
                {
                    throw Error(args[index].At, $"{name}: {what} must be an integer");
                }

                return (long)value;
            }

            (double Low, double High) Range(int index)
            {
                double low = Constant(index, "the range's low end"), high = Constant(index + 1, "the range's high end");
                if (!(low < high))
                {
                    throw Error(args[index].At, $"{name}: the range [{HeExpression.Number(low)}, {HeExpression.Number(high)}] needs low < high");
                }

                return (low, high);
            }

            try
            {
                switch (name)
                {
                    case "sum":
                        Arity(1);
                        return args[0].Value.Sum();
                    case "dot":
                        Arity(2);
                        return args[0].Value.Dot(args[1].Value);
                    case "rotate":
                    {
                        Arity(2);
                        long steps = IntegerConstant(1, "the step");
                        int slots = Builder(function).Slots;
                        if (Math.Abs(steps) >= slots && slots > 1)
                        {
                            throw Error(args[1].At, $"rotate: the step must lie in ({-slots}, {slots})");
                        }

                        return args[0].Value.Rotate((int)steps);
                    }

                    case "pow":
                    {
                        Arity(2);
                        long exponent = IntegerConstant(1, "the exponent");
                        if (exponent < 1 || exponent > 64)
                        {
                            throw Error(args[1].At, "pow: the exponent must be 1 to 64");
                        }

                        return args[0].Value.Pow((int)exponent);
                    }

                    case "poly":
                        if (args.Count < 2 || args.Count > 66)
                        {
                            throw Error(function, "poly takes a value and 1 to 65 coefficients (lowest degree first)");
                        }

                        return args[0].Value.Polynomial([.. Enumerable.Range(1, args.Count - 1).Select(i => Constant(i, "a coefficient"))]);
                    case "sigmoid" or "abs" or "sqrt" or "step" or "inverse":
                    {
                        if (args.Count != 3)
                        {
                            throw Error(function, $"{name} takes a value and its range: {name}(x, low, high)");
                        }

                        var (low, high) = Range(1);
                        var fn = name switch
                        {
                            "sigmoid" => ApproxFunction.Sigmoid,
                            "abs" => ApproxFunction.Abs,
                            "sqrt" => ApproxFunction.Sqrt,
                            "step" => ApproxFunction.Step,
                            _ => ApproxFunction.Inverse,
                        };
                        return args[0].Value.Approximate(fn, low, high);
                    }

                    case "gt" or "lt" or "min" or "max":
                    {
                        if (args.Count != 4)
                        {
                            throw Error(function, $"{name} takes two values and the range of their difference: {name}(a, b, low, high)");
                        }

                        var (low, high) = Range(2);
                        var a = args[0].Value;
                        var b = args[1].Value;
                        return name switch
                        {
                            "gt" => a.GreaterThan(b, low, high),
                            "lt" => a.LessThan(b, low, high),
                            "min" => a.Min(b, low, high),
                            _ => a.Max(b, low, high),
                        };
                    }

                    case "eq":
                    {
                        Arity(4);
                        long target = IntegerConstant(1, "the compared value");
                        long low = IntegerConstant(2, "the range's low end"), high = IntegerConstant(3, "the range's high end");
                        if (high < low || high - low > 15)
                        {
                            throw Error(args[2].At, "eq: the range must hold 1 to 16 integers");
                        }

                        return args[0].Value.EqualTo(target, low, high);
                    }

                    default:
                        throw Error(function, $"unknown function '{name}'");
                }
            }
            catch (ArgumentException ex)
            {
                throw Error(function, $"{name}: {ex.Message.Split(" (Parameter", 2)[0]}");
            }
        }

        // Folds a constant expression made of numbers, + - * and negation (for arguments and divisors).
        private static double? ConstantValue(HeExpression e) => e.Op switch
        {
            HeOp.Constant when e.Values!.Count == 1 => e.Values[0],
            HeOp.Neg => -ConstantValue(e.Operands[0]),
            HeOp.Add => ConstantValue(e.Operands[0]) + ConstantValue(e.Operands[1]),
            HeOp.Sub => ConstantValue(e.Operands[0]) - ConstantValue(e.Operands[1]),
            HeOp.Mul => ConstantValue(e.Operands[0]) * ConstantValue(e.Operands[1]),
            _ => null,
        };

        private double SignedNumber()
        {
            bool negative = false;
            if (Peek.Kind == TokenKind.Symbol && Peek.Text == "-")
            {
                Next();
                negative = true;
            }

            var token = Expect(TokenKind.Number, "a number");
            double value = ParseNumber(token);
            return negative ? -value : value;
        }

        private int Integer(string what)
        {
            var token = Expect(TokenKind.Number, what);
            if (!int.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
            {
                throw Error(token, $"{what} must be a whole number, not '{token.Text}'");
            }

            return value;
        }

        private static double ParseNumber(Token token)
        {
            if (!double.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                throw Error(token, $"'{token.Text}' is not a number");
            }

            return value;
        }

        private Token Expect(TokenKind kind, string what)
        {
            var token = Peek;
            if (token.Kind != kind)
            {
                throw Error(token, $"expected {what}, found '{Describe(token)}'");
            }

            return Next();
        }

        private void Expect(string symbol)
        {
            var token = Peek;
            if (token.Kind != TokenKind.Symbol || token.Text != symbol)
            {
                throw Error(token, $"expected '{symbol}', found '{Describe(token)}'");
            }

            Next();
        }

        private static string Describe(Token token) => token.Kind == TokenKind.End ? "end of line" : token.Text;

        private static HeSyntaxException Error(Token at, string reason) => new(at.Line, at.Column, reason);

        private static List<Token> Lex(string line, int lineNumber)
        {
            var tokens = new List<Token>();
            int i = 0;
            while (i < line.Length)
            {
                char c = line[i];
                if (c == '#')
                {
                    break;
                }

                if (char.IsWhiteSpace(c))
                {
                    i++;
                    continue;
                }

                int start = i;
                if (char.IsAsciiLetter(c) || c == '_')
                {
                    while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_'))
                    {
                        i++;
                    }

                    // The builder's limit (HeProgramBuilder identifiers: 64 characters); a longer name escaped as an
                    // ArgumentException instead of a syntax error (found by konfido fuzz).
                    if (i - start > 64)
                    {
                        throw new HeSyntaxException(lineNumber, start + 1, $"an identifier has at most 64 characters, this one has {i - start}");
                    }

                    tokens.Add(new Token(TokenKind.Identifier, line[start..i], lineNumber, start + 1));
                }
                else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < line.Length && char.IsAsciiDigit(line[i + 1])))
                {
                    while (i < line.Length && (char.IsAsciiDigit(line[i]) || line[i] == '.'))
                    {
                        i++;
                    }

                    if (i < line.Length && line[i] is 'e' or 'E')
                    {
                        int save = i++;
                        if (i < line.Length && line[i] is '+' or '-')
                        {
                            i++;
                        }

                        if (i < line.Length && char.IsAsciiDigit(line[i]))
                        {
                            while (i < line.Length && char.IsAsciiDigit(line[i]))
                            {
                                i++;
                            }
                        }
                        else
                        {
                            i = save;
                        }
                    }

                    tokens.Add(new Token(TokenKind.Number, line[start..i], lineNumber, start + 1));
                }
                else if ("+-*/^()[],=".Contains(c, StringComparison.Ordinal))
                {
                    tokens.Add(new Token(TokenKind.Symbol, c.ToString(), lineNumber, start + 1));
                    i++;
                }
                else
                {
                    throw new HeSyntaxException(lineNumber, start + 1, $"unexpected character '{c}'");
                }
            }

            tokens.Add(new Token(TokenKind.End, "", lineNumber, line.Length + 1));
            return tokens;
        }
    }
}
