using System.Globalization;
using System.Text;

namespace Konfido.He.Compiler;

/// <summary>A closed interval of values (for magnitude analysis).</summary>
internal readonly record struct Interval(double Low, double High)
{
    public double Magnitude => Math.Max(Math.Abs(Low), Math.Abs(High));

    public static Interval Of(double value) => new(value, value);

    public static Interval operator +(Interval a, Interval b) => new(a.Low + b.Low, a.High + b.High);

    public static Interval operator -(Interval a, Interval b) => new(a.Low - b.High, a.High - b.Low);

    public static Interval operator -(Interval a) => new(-a.High, -a.Low);

    public static Interval operator *(Interval a, Interval b)
    {
        double p1 = a.Low * b.Low, p2 = a.Low * b.High, p3 = a.High * b.Low, p4 = a.High * b.High;
        return new(Math.Min(Math.Min(p1, p2), Math.Min(p3, p4)), Math.Max(Math.Max(p1, p2), Math.Max(p3, p4)));
    }

    public Interval Scale(double factor) => this * Of(factor);

    public Interval Union(Interval other) => new(Math.Min(Low, other.Low), Math.Max(High, other.High));
}

/// <summary>One operation of the compiler's graph (SSA: its id is its position; operands come first).</summary>
internal sealed class Node
{
    public required int Id { get; init; }

    public required HeOp Op { get; init; }

    public int[] Args { get; init; } = [];

    public HeInput? Input { get; init; }

    public double[]? Values { get; init; }

    public int Steps { get; init; }

    public double[]? Coefficients { get; init; }

    public ApproxFunction Function { get; init; }

    public double Low { get; init; }

    public double High { get; init; }

    public long Target { get; init; }

    /// <summary>A range the lowering knows better than interval arithmetic (e.g. a normalised operand).</summary>
    public Interval? RangeOverride { get; set; }

    public bool Secret { get; set; }

    public Interval Range { get; set; }

    /// <summary>A packing mask: Values[0] on the physical slots of block k (k L .. k L + L - 1 of each row), 0 elsewhere.</summary>
    public int? MaskBlock { get; init; }

    public bool IsConstant => Op == HeOp.Constant;

    public bool IsUniformConstant => Op == HeOp.Constant && MaskBlock is null && Values!.All(v => v == Values![0]);

    public string Key()
    {
        var key = new StringBuilder();
        key.Append((int)Op).Append('|').Append(string.Join(',', Args)).Append('|');
        key.Append(Input?.Name).Append('|').Append(Steps).Append('|').Append((int)Function).Append('|')
            .Append(Low.ToString("R", CultureInfo.InvariantCulture)).Append('|').Append(High.ToString("R", CultureInfo.InvariantCulture))
            .Append('|').Append(Target).Append('|').Append(MaskBlock).Append('|');
        if (Values is not null)
        {
            key.AppendJoin(',', Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        }

        key.Append('|');
        if (Coefficients is not null)
        {
            key.AppendJoin(',', Coefficients.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        }

        return key.ToString();
    }
}

/// <summary>
/// The compiler's program graph: nodes in topological order with structural sharing (a node is
/// added once however often it is built: common subexpressions are computed once).
/// </summary>
internal sealed class Graph
{
    private readonly Dictionary<string, int> _byKey = new(StringComparer.Ordinal);

    public Graph(int slots) => Slots = slots;

    public int Slots { get; }

    public List<Node> Nodes { get; } = [];

    public List<(string Name, int Node)> Outputs { get; } = [];

    public Node this[int id] => Nodes[id];

    /// <summary>Adds a node built by <paramref name="make"/> with the next id, or returns the existing equal node.</summary>
    public int Add(HeOp op, int[] args, Func<int, HeOp, int[], Node>? make = null)
    {
        var node = make is null ? new Node { Id = Nodes.Count, Op = op, Args = args } : make(Nodes.Count, op, args);
        string key = node.Key();
        if (_byKey.TryGetValue(key, out int existing))
        {
            Nodes[existing].RangeOverride ??= node.RangeOverride;
            return existing;
        }

        node.Secret = node.Op == HeOp.Input ? node.Input!.IsSecret : node.Args.Any(a => Nodes[a].Secret);
        Nodes.Add(node);
        _byKey.Add(key, node.Id);
        return node.Id;
    }

    public int Constant(double value) => Constant([value]);

    public int Constant(double[] values)
    {
        if (values.Length > 1 && values.All(v => v == values[0]))
        {
            values = [values[0]];
        }

        return Add(HeOp.Constant, [], (id, op, args) => new Node { Id = id, Op = op, Args = args, Values = values });
    }

    /// <summary>A packing mask on block k: the constant <paramref name="value"/>, or (with <paramref name="clear"/> >= 0) that clear node's vector.</summary>
    public int Mask(int block, double value, int clear = -1) =>
        Add(HeOp.Constant, clear >= 0 ? [clear] : [], (id, op, args) => new Node { Id = id, Op = op, Args = args, Values = [value], MaskBlock = block });

    /// <summary>Outputs read from one physical slot (packed sums): output name to the block index.</summary>
    public Dictionary<string, int> PackedOutputs { get; } = new(StringComparer.Ordinal);

    public int Binary(HeOp op, int a, int b) => Add(op, [a, b]);

    public int Unary(HeOp op, int a) => Add(op, [a]);

    public int Rotate(int a, int steps) => Add(HeOp.Rotate, [a], (id, op, args) => new Node { Id = id, Op = op, Args = args, Steps = steps });

    /// <summary>Counts uses of each node by nodes reachable from the outputs (outputs count as uses).</summary>
    public int[] UseCounts()
    {
        var uses = new int[Nodes.Count];
        var live = Live();
        foreach (var node in Nodes)
        {
            if (live[node.Id])
            {
                foreach (int a in node.Args)
                {
                    uses[a]++;
                }
            }
        }

        foreach (var (_, node) in Outputs)
        {
            uses[node]++;
        }

        return uses;
    }

    public bool[] Live()
    {
        var live = new bool[Nodes.Count];
        foreach (var (_, node) in Outputs)
        {
            live[node] = true;
        }

        for (int i = Nodes.Count - 1; i >= 0; i--)
        {
            if (live[i])
            {
                foreach (int a in Nodes[i].Args)
                {
                    live[a] = true;
                }
            }
        }

        return live;
    }

    /// <summary>Marks secret nodes (a value is clear until a secret value touches it) and computes ranges.</summary>
    public void Infer()
    {
        foreach (var node in Nodes)
        {
            node.Secret = node.Op == HeOp.Input ? node.Input!.IsSecret : node.Args.Any(a => Nodes[a].Secret);
            node.Range = node.RangeOverride ?? RangeOf(node);
        }
    }

    private Interval RangeOf(Node node)
    {
        Interval Arg(int i) => Nodes[node.Args[i]].Range;
        return node.Op switch
        {
            HeOp.Input => new Interval(node.Input!.Low, node.Input.High),
            HeOp.Constant when node.MaskBlock is not null && node.Args.Length == 1 => Arg(0).Union(Interval.Of(0)),
            HeOp.Constant when node.MaskBlock is not null => new Interval(Math.Min(0, node.Values![0]), Math.Max(0, node.Values[0])),
            HeOp.Constant => new Interval(node.Values!.Min(), node.Values!.Max()),
            HeOp.Add => Arg(0) + Arg(1),
            HeOp.Sub => Arg(0) - Arg(1),
            HeOp.Mul => Arg(0) * Arg(1),
            HeOp.Neg => -Arg(0),
            HeOp.Rotate => Arg(0),
            HeOp.Sum => Arg(0).Scale(Slots),
            HeOp.Dot => (Arg(0) * Arg(1)).Scale(Slots),
            HeOp.Poly => PolyRange(node.Coefficients!, Arg(0)),
            HeOp.Approx => ApproxRange(node),
            HeOp.Equal => new Interval(0, 1),
            _ => throw new InvalidOperationException("unknown operation."),
        };
    }

    private static Interval PolyRange(double[] coefficients, Interval x)
    {
        var power = Interval.Of(1);
        var sum = Interval.Of(0);
        foreach (double c in coefficients)
        {
            sum += power.Scale(c);
            power *= x;
        }

        return sum;
    }

    private static Interval ApproxRange(Node node)
    {
        // The exact function's range on the declared interval, widened for the approximation error.
        var range = Interval.Of(Approximation.Exact(node.Function, node.Low));
        for (int i = 1; i <= 64; i++)
        {
            range = range.Union(Interval.Of(Approximation.Exact(node.Function, node.Low + (node.High - node.Low) * i / 64)));
        }

        double margin = 0.25 * Math.Max(1, range.Magnitude);
        return new Interval(range.Low - margin, range.High + margin);
    }
}

/// <summary>Evaluates graph nodes on clear vectors of the program's length, with exact functions.</summary>
internal static class ClearMath
{
    public static double[] Evaluate(Node node, Func<int, double[]> arg, int slots, IReadOnlyDictionary<string, double[]> inputs)
    {
        var result = new double[slots];
        switch (node.Op)
        {
            case HeOp.Input:
            {
                var values = inputs[node.Input!.Name];
                for (int i = 0; i < slots; i++)
                {
                    result[i] = values.Length == 1 ? values[0] : values[i];
                }

                break;
            }

            case HeOp.Constant:
                for (int i = 0; i < slots; i++)
                {
                    result[i] = node.Values!.Length == 1 ? node.Values[0] : node.Values[i];
                }

                break;
            case HeOp.Add:
                Zip(arg(node.Args[0]), arg(node.Args[1]), result, (a, b) => a + b);
                break;
            case HeOp.Sub:
                Zip(arg(node.Args[0]), arg(node.Args[1]), result, (a, b) => a - b);
                break;
            case HeOp.Mul:
                Zip(arg(node.Args[0]), arg(node.Args[1]), result, (a, b) => a * b);
                break;
            case HeOp.Neg:
            {
                var a = arg(node.Args[0]);
                for (int i = 0; i < slots; i++)
                {
                    result[i] = -a[i];
                }

                break;
            }

            case HeOp.Rotate:
            {
                var a = arg(node.Args[0]);
                for (int i = 0; i < slots; i++)
                {
                    result[i] = a[(int)(((long)i + node.Steps) % slots + slots) % slots];
                }

                break;
            }

            case HeOp.Sum:
                Array.Fill(result, arg(node.Args[0]).Sum());
                break;
            case HeOp.Dot:
            {
                var a = arg(node.Args[0]);
                var b = arg(node.Args[1]);
                double dot = 0;
                for (int i = 0; i < slots; i++)
                {
                    dot += a[i] * b[i];
                }

                Array.Fill(result, dot);
                break;
            }

            case HeOp.Poly:
            {
                var a = arg(node.Args[0]);
                for (int i = 0; i < slots; i++)
                {
                    result[i] = Approximation.EvaluatePower(node.Coefficients!, a[i]);
                }

                break;
            }

            case HeOp.Approx:
            {
                var a = arg(node.Args[0]);
                for (int i = 0; i < slots; i++)
                {
                    result[i] = Approximation.Exact(node.Function, a[i]);
                }

                break;
            }

            case HeOp.Equal:
            {
                var a = arg(node.Args[0]);
                for (int i = 0; i < slots; i++)
                {
                    result[i] = Math.Round(a[i]) == node.Target ? 1 : 0;
                }

                break;
            }

            default:
                throw new InvalidOperationException("unknown operation.");
        }

        return result;
    }

    private static void Zip(double[] a, double[] b, double[] result, Func<double, double, double> f)
    {
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = f(a[i], b[i]);
        }
    }
}
