using System.Globalization;

namespace Konfido.He.Compiler;

/// <summary>The operation of an <see cref="HeExpression"/> node.</summary>
public enum HeOp
{
    /// <summary>A program input (secret or clear).</summary>
    Input,

    /// <summary>A constant vector (one value: the same in every slot).</summary>
    Constant,

    /// <summary>Slot-wise a + b.</summary>
    Add,

    /// <summary>Slot-wise a - b.</summary>
    Sub,

    /// <summary>Slot-wise a * b.</summary>
    Mul,

    /// <summary>Slot-wise -a.</summary>
    Neg,

    /// <summary>Cyclic rotation left by <see cref="HeExpression.Steps"/> slots (slot i takes slot i + k).</summary>
    Rotate,

    /// <summary>The sum of all slots, in every slot.</summary>
    Sum,

    /// <summary>The dot product of two vectors, in every slot.</summary>
    Dot,

    /// <summary>A polynomial in the power basis, <see cref="HeExpression.Coefficients"/> lowest degree first.</summary>
    Poly,

    /// <summary>A non-polynomial function, approximated by a polynomial on a declared range when secret.</summary>
    Approx,

    /// <summary>Integer equality with a constant (1 or 0) over a declared integer range, exact by interpolation.</summary>
    Equal,
}

/// <summary>Functions that the compiler approximates by Chebyshev interpolation on a declared range.</summary>
public enum ApproxFunction
{
    /// <summary>The logistic function 1 / (1 + e^-x).</summary>
    Sigmoid,

    /// <summary>|x|.</summary>
    Abs,

    /// <summary>The square root (requires a non-negative range).</summary>
    Sqrt,

    /// <summary>The step function: 1 for x &gt; 0, 0 for x &lt; 0, 1/2 at 0 (comparisons).</summary>
    Step,

    /// <summary>1 / x (requires a range that excludes 0).</summary>
    Inverse,
}

/// <summary>
/// An immutable expression over fixed-length vectors. Build with <see cref="HeProgramBuilder"/>, the
/// operators, and the methods below; <c>double</c> converts implicitly to a constant.
/// </summary>
public sealed class HeExpression
{
    private readonly HeExpression[] _operands;

    internal HeExpression(HeOp op, HeExpression[] operands)
    {
        Op = op;
        _operands = operands;
        foreach (var operand in operands)
        {
            Depth = Math.Max(Depth, operand.Depth);
        }

        Depth++;
    }

    /// <summary>The height of the expression tree (1 for a leaf): the parser bounds it, since the printer and passes recurse.</summary>
    internal int Depth { get; }

    /// <summary>The operation.</summary>
    public HeOp Op { get; }

    /// <summary>The operands.</summary>
    public IReadOnlyList<HeExpression> Operands => _operands;

    /// <summary>The input's declaration (inputs only).</summary>
    public HeInput? Input { get; private init; }

    /// <summary>The constant's values (constants only; one value broadcasts to every slot).</summary>
    public IReadOnlyList<double>? Values { get; private init; }

    /// <summary>The rotation step (rotations only).</summary>
    public int Steps { get; private init; }

    /// <summary>Polynomial coefficients, lowest degree first (polynomials only).</summary>
    public IReadOnlyList<double>? Coefficients { get; private init; }

    /// <summary>The approximated function (approximations only).</summary>
    public ApproxFunction Function { get; private init; }

    /// <summary>The declared operand range's lower end (approximations and equality).</summary>
    public double Low { get; private init; }

    /// <summary>The declared operand range's upper end (approximations and equality).</summary>
    public double High { get; private init; }

    /// <summary>The constant compared with (equality only).</summary>
    public long Target { get; private init; }

    /// <summary>A constant broadcast to every slot.</summary>
    public static HeExpression Constant(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "a constant must be finite.");
        }

        return new HeExpression(HeOp.Constant, []) { Values = [value] };
    }

    /// <summary>A constant vector. Requires finite values; its length must equal the program's slots.</summary>
    public static HeExpression Constant(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0 || values.Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException("a constant vector needs at least one finite value.", nameof(values));
        }

        return new HeExpression(HeOp.Constant, []) { Values = [.. values] };
    }

    internal static HeExpression ForInput(HeInput input) => new(HeOp.Input, []) { Input = input };

    /// <summary>Converts a number to a constant.</summary>
    public static implicit operator HeExpression(double value) => Constant(value);

    /// <summary>Slot-wise sum.</summary>
    public static HeExpression operator +(HeExpression a, HeExpression b) => Binary(HeOp.Add, a, b);

    /// <summary>Slot-wise difference.</summary>
    public static HeExpression operator -(HeExpression a, HeExpression b) => Binary(HeOp.Sub, a, b);

    /// <summary>Slot-wise product.</summary>
    public static HeExpression operator *(HeExpression a, HeExpression b) => Binary(HeOp.Mul, a, b);

    /// <summary>Division by a non-zero constant (a multiplication by its reciprocal).</summary>
    public static HeExpression operator /(HeExpression a, double divisor)
    {
        if (divisor == 0 || !double.IsFinite(divisor))
        {
            throw new DivideByZeroException("division by zero or a non-finite constant.");
        }

        return a * Constant(1.0 / divisor);
    }

    /// <summary>Slot-wise negation.</summary>
    public static HeExpression operator -(HeExpression a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return new HeExpression(HeOp.Neg, [a]);
    }

    /// <summary>Slot-wise sum (named alternative to the operator).</summary>
    public static HeExpression Add(HeExpression a, HeExpression b) => a + b;

    /// <summary>Slot-wise difference (named alternative to the operator).</summary>
    public static HeExpression Subtract(HeExpression a, HeExpression b) => a - b;

    /// <summary>Slot-wise product (named alternative to the operator).</summary>
    public static HeExpression Multiply(HeExpression a, HeExpression b) => a * b;

    /// <summary>Division by a constant (named alternative to the operator).</summary>
    public static HeExpression Divide(HeExpression a, double divisor) => a / divisor;

    /// <summary>Negation (named alternative to the operator).</summary>
    public static HeExpression Negate(HeExpression a) => -a;

    /// <summary>Cyclic rotation left by <paramref name="steps"/> (negative: right).</summary>
    public HeExpression Rotate(int steps) => new(HeOp.Rotate, [this]) { Steps = steps };

    /// <summary>The sum over all slots (in every slot).</summary>
    public HeExpression Sum() => new(HeOp.Sum, [this]);

    /// <summary>The dot product with <paramref name="other"/> (in every slot).</summary>
    public HeExpression Dot(HeExpression other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new HeExpression(HeOp.Dot, [this, other]);
    }

    /// <summary>x^k for a small exponent k in [1, 64] (a balanced product tree).</summary>
    public HeExpression Pow(int exponent)
    {
        if (exponent < 1 || exponent > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(exponent), "the exponent must be in [1, 64].");
        }

        var coefficients = new double[exponent + 1];
        coefficients[exponent] = 1;
        return Polynomial(coefficients);
    }

    /// <summary>The polynomial sum c_i x^i. Requires at least one finite coefficient, degree at most 64.</summary>
    public HeExpression Polynomial(IReadOnlyList<double> coefficients)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        if (coefficients.Count == 0 || coefficients.Count > 65 || coefficients.Any(c => !double.IsFinite(c)))
        {
            throw new ArgumentException("a polynomial needs 1 to 65 finite coefficients.", nameof(coefficients));
        }

        return new HeExpression(HeOp.Poly, [this]) { Coefficients = [.. coefficients] };
    }

    /// <summary>The logistic function, approximated on [low, high] when secret.</summary>
    public HeExpression Sigmoid(double low, double high) => Approximate(ApproxFunction.Sigmoid, low, high);

    /// <summary>|x|, approximated on [low, high] when secret.</summary>
    public HeExpression Abs(double low, double high) => Approximate(ApproxFunction.Abs, low, high);

    /// <summary>The square root, approximated on [low, high] (low ≥ 0) when secret.</summary>
    public HeExpression Sqrt(double low, double high) => Approximate(ApproxFunction.Sqrt, low, high);

    /// <summary>1/x, approximated on [low, high] (0 outside the range) when secret.</summary>
    public HeExpression Inverse(double low, double high) => Approximate(ApproxFunction.Inverse, low, high);

    /// <summary>The step function (1 where x &gt; 0), approximated on [low, high] when secret.</summary>
    public HeExpression Step(double low, double high) => Approximate(ApproxFunction.Step, low, high);

    /// <summary>Approximately 1 where this &gt; <paramref name="other"/>; the difference lies in [low, high].</summary>
    public HeExpression GreaterThan(HeExpression other, double low, double high) => (this - other).Step(low, high);

    /// <summary>Approximately 1 where this &lt; <paramref name="other"/>; the difference other - this lies in [low, high].</summary>
    public HeExpression LessThan(HeExpression other, double low, double high) => (other - this).Step(low, high);

    /// <summary>The slot-wise minimum: (a + b)/2 - |a - b|/2, with a - b in [low, high].</summary>
    public HeExpression Min(HeExpression other, double low, double high) => (this + other) * 0.5 - (this - other).Abs(low, high) * 0.5;

    /// <summary>The slot-wise maximum: (a + b)/2 + |a - b|/2, with a - b in [low, high].</summary>
    public HeExpression Max(HeExpression other, double low, double high) => (this + other) * 0.5 + (this - other).Abs(low, high) * 0.5;

    /// <summary>1 where this integer equals <paramref name="target"/>, else 0; this lies in the integers [low, high] (at most 16 values).</summary>
    public HeExpression EqualTo(long target, long low, long high)
    {
        if (high < low || high - low > 15)
        {
            throw new ArgumentException($"an equality range [{low}, {high}] must hold 1 to 16 integers.", nameof(high));
        }

        return new HeExpression(HeOp.Equal, [this]) { Target = target, Low = low, High = high };
    }

    /// <summary>A named function approximated on [low, high]. Requires a finite range with low &lt; high.</summary>
    public HeExpression Approximate(ApproxFunction function, double low, double high)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || low >= high)
        {
            throw new ArgumentException($"the range [{low}, {high}] must be finite with low < high.", nameof(high));
        }

        if (function == ApproxFunction.Sqrt && low < 0)
        {
            throw new ArgumentException("sqrt needs a range with low >= 0.", nameof(low));
        }

        if (function == ApproxFunction.Inverse && low <= 0 && high >= 0)
        {
            throw new ArgumentException("inverse needs a range that excludes 0.", nameof(low));
        }

        return new HeExpression(HeOp.Approx, [this]) { Function = function, Low = low, High = high };
    }

    private static HeExpression Binary(HeOp op, HeExpression a, HeExpression b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new HeExpression(op, [a, b]);
    }

    /// <summary>The expression as program text (the language of <see cref="HeProgramParser"/>).</summary>
    public override string ToString() => ProgramPrinter.Expression(this, new Dictionary<HeExpression, string>(ReferenceEqualityComparer.Instance));

    internal static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A program input: a vector of the program's length, secret (encrypted) or clear.</summary>
/// <param name="Name">The name (an identifier).</param>
/// <param name="IsSecret">Whether it is encrypted.</param>
/// <param name="Low">The declared lower bound of every value.</param>
/// <param name="High">The declared upper bound of every value.</param>
/// <param name="IsInteger">Whether every value is an integer (enables exact BFV programs).</param>
public sealed record HeInput(string Name, bool IsSecret, double Low, double High, bool IsInteger);

/// <summary>A named program output.</summary>
/// <param name="Name">The name.</param>
/// <param name="Value">The expression computed.</param>
public sealed record HeOutput(string Name, HeExpression Value);
