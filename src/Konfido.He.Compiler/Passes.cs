namespace Konfido.He.Compiler;

/// <summary>Graph-to-graph passes: folding, lowering, rebalancing. Each rewrite drops dead nodes.</summary>
internal static class Passes
{
    public delegate int Rewriter(Graph graph, Node node, int[] args, int[] map);

    public static Graph Rewrite(Graph old, Rewriter rewrite)
    {
        var graph = new Graph(old.Slots);
        var live = old.Live();
        var map = new int[old.Nodes.Count];
        Array.Fill(map, -1);
        foreach (var node in old.Nodes)
        {
            if (live[node.Id])
            {
                map[node.Id] = rewrite(graph, node, [.. node.Args.Select(a => map[a])], map);
            }
        }

        foreach (var (name, node) in old.Outputs)
        {
            graph.Outputs.Add((name, map[node]));
        }

        foreach (var (name, block) in old.PackedOutputs)
        {
            graph.PackedOutputs[name] = block;
        }

        return graph;
    }

    /// <summary>
    /// BFV: packs several secret sum outputs into one ciphertext. With the vectors replicated across
    /// the row, x_k masked to block k (free in depth: a plaintext product) and the masked vectors
    /// added, one rotate-and-add over L slots leaves sum(x_k) at the first slot of block k (a
    /// sliding window of L slots): log2 L rotations for all k outputs instead of k log2 L.
    /// Requires k L within the smallest row (2048 slots); each such output reads its block's slot.
    /// </summary>
    public static Graph PackSums(Graph old)
    {
        var uses = old.UseCounts();
        var candidates = old.Outputs
            .Where(o => old[o.Node].Secret && old[o.Node].Op is HeOp.Sum or HeOp.Dot && uses[o.Node] == 1)
            .Select(o => o.Node).Distinct().Order().ToList(); // topological order: the last one closes the sum
        if (candidates.Count < 2 || candidates.Count * old.Slots > 2048 || old.Slots < 2)
        {
            return old;
        }

        var packed = -1;
        var result = Rewrite(old, (g, n, args, map) =>
        {
            if (!candidates.Contains(n.Id))
            {
                return Copy(g, n, args);
            }

            // sum(x) or dot(a, b) = sum(a * b). A clear factor of x_k (Lagrange's 1/D, a tariff
            // vector) merges into the mask: one plaintext product.
            int block = candidates.IndexOf(n.Id);
            int secretFactor, clearFactor;
            if (n.Op == HeOp.Dot)
            {
                (secretFactor, clearFactor) = Split(n.Args[0], n.Args[1]);
            }
            else
            {
                var x = old[n.Args[0]];
                (secretFactor, clearFactor) = x.Op == HeOp.Mul && uses[x.Id] == 1 ? Split(x.Args[0], x.Args[1]) : (-1, -1);
            }

            int masked;
            if (clearFactor >= 0)
            {
                int mask = old[clearFactor].IsUniformConstant
                    ? g.Mask(block, old[clearFactor].Values![0])
                    : g.Mask(block, 1, map[clearFactor]);
                masked = g.Binary(HeOp.Mul, map[secretFactor], mask);
            }
            else
            {
                int whole = n.Op == HeOp.Dot ? g.Binary(HeOp.Mul, args[0], args[1]) : args[0];
                masked = g.Binary(HeOp.Mul, whole, g.Mask(block, 1));
            }

            packed = packed < 0 ? masked : g.Binary(HeOp.Add, packed, masked);
            return block == candidates.Count - 1 ? g.Unary(HeOp.Sum, packed) : masked;

            (int Secret, int Clear) Split(int a, int b) =>
                old[a].Secret && !old[b].Secret ? (a, b) : old[b].Secret && !old[a].Secret ? (b, a) : (-1, -1);
        });

        // Every packed output reads the one sum node.
        int sum = result.Outputs.First(o => old.Outputs.Any(p => p.Name == o.Name && p.Node == candidates[^1])).Node;
        for (int i = 0; i < result.Outputs.Count; i++)
        {
            var (name, _) = result.Outputs[i];
            int original = old.Outputs[i].Node;
            int block = candidates.IndexOf(original);
            if (block >= 0)
            {
                result.Outputs[i] = (name, sum);
                result.PackedOutputs[name] = block;
            }
        }

        return result;
    }

    public static int Copy(Graph graph, Node n, int[] args) => n.Op switch
    {
        HeOp.Constant when n.MaskBlock is int block => graph.Mask(block, n.Values![0], args.Length == 1 ? args[0] : -1),
        HeOp.Constant => graph.Constant(n.Values!),
        _ => graph.Add(n.Op, args, (id, op, a) => new Node
        {
            Id = id, Op = op, Args = a, Input = n.Input, Values = n.Values, Steps = n.Steps, Coefficients = n.Coefficients,
            Function = n.Function, Low = n.Low, High = n.High, Target = n.Target, RangeOverride = n.RangeOverride,
        }),
    };

    private static int WithRange(Graph graph, HeOp op, int[] args, Interval range) =>
        graph.Add(op, args, (id, o, a) => new Node { Id = id, Op = o, Args = a, RangeOverride = range });

    public static int NormaliseSteps(int steps, int slots)
    {
        int s = (int)((((long)steps % slots) + slots) % slots);
        return s > slots / 2 ? s - slots : s;
    }

    // ------------------------------------------------------------------ folding

    /// <summary>Constant folding and algebraic identities; commutative operands in id order.</summary>
    public static Graph Fold(Graph old) => Rewrite(old, (g, n, args, _) =>
    {
        if (n.Op is not (HeOp.Input or HeOp.Constant) && args.All(a => g[a].IsConstant && g[a].MaskBlock is null))
        {
            var temp = new Node { Id = -1, Op = n.Op, Args = args, Steps = n.Steps, Coefficients = n.Coefficients, Function = n.Function, Low = n.Low, High = n.High, Target = n.Target };
            var empty = new Dictionary<string, double[]>();
            var values = ClearMath.Evaluate(temp, a => ClearMath.Evaluate(g[a], _ => [], g.Slots, empty), g.Slots, empty);
            return g.Constant(values);
        }

        bool Is(int id, double value) => g[id].IsUniformConstant && g[id].Values![0] == value;
        if (n.RangeOverride is not null)
        {
            return Copy(g, n, args);
        }

        switch (n.Op)
        {
            case HeOp.Add:
                if (Is(args[1], 0))
                {
                    return args[0];
                }

                if (Is(args[0], 0))
                {
                    return args[1];
                }

                return g.Binary(HeOp.Add, Math.Min(args[0], args[1]), Math.Max(args[0], args[1]));
            case HeOp.Sub:
                if (Is(args[1], 0))
                {
                    return args[0];
                }

                if (Is(args[0], 0))
                {
                    return g.Unary(HeOp.Neg, args[1]);
                }

                if (args[0] == args[1])
                {
                    return g.Constant(0);
                }

                break;
            case HeOp.Mul:
                for (int i = 0; i < 2; i++)
                {
                    int other = args[1 - i];
                    if (Is(args[i], 1))
                    {
                        return other;
                    }

                    if (Is(args[i], 0))
                    {
                        return g.Constant(0);
                    }

                    if (Is(args[i], -1))
                    {
                        return g[other].Op == HeOp.Neg ? g[other].Args[0] : g.Unary(HeOp.Neg, other);
                    }
                }

                return g.Binary(HeOp.Mul, Math.Min(args[0], args[1]), Math.Max(args[0], args[1]));
            case HeOp.Neg when g[args[0]].Op == HeOp.Neg:
                return g[args[0]].Args[0];
            case HeOp.Rotate:
            {
                int steps = NormaliseSteps(n.Steps, g.Slots);
                if (steps == 0 || g[args[0]].IsUniformConstant)
                {
                    return args[0];
                }

                if (g[args[0]].Op == HeOp.Rotate)
                {
                    int combined = NormaliseSteps(steps + g[args[0]].Steps, g.Slots);
                    return combined == 0 ? g[args[0]].Args[0] : g.Rotate(g[args[0]].Args[0], combined);
                }

                return g.Rotate(args[0], steps);
            }
        }

        return Copy(g, n, args);
    });

    /// <summary>Whether the program is exact integer arithmetic (BFV): integer inputs and constants, no approximations.</summary>
    public static bool IsIntegerProgram(HeProgram program, Graph folded)
    {
        if (program.Inputs.Any(i => !i.IsInteger))
        {
            return false;
        }

        var live = folded.Live();
        foreach (var node in folded.Nodes)
        {
            if (!live[node.Id])
            {
                continue;
            }

            if (node.Op == HeOp.Approx
                || (node.Op == HeOp.Constant && node.Values!.Any(v => v != Math.Floor(v) || Math.Abs(v) > 1e15))
                || (node.Op == HeOp.Poly && node.Coefficients!.Any(v => v != Math.Floor(v))))
            {
                return false;
            }
        }

        return true;
    }

    // ------------------------------------------------------------------ lowering

    /// <summary>Lowers secret sums and dot products to rotations, additions and multiplications.</summary>
    public static Graph LowerSums(Graph old) => Rewrite(old, (g, n, args, _) => (n.Secret, n.Op) switch
    {
        (true, HeOp.Sum) => SumSlots(g, args[0]),
        (true, HeOp.Dot) => SumSlots(g, g.Binary(HeOp.Mul, args[0], args[1])),
        _ => Copy(g, n, args),
    });

    /// <summary>
    /// Pushes a multiplication by a clear scalar constant down through single-use linear secret
    /// operations (+, -, negation, rotation, sum, dot with a clear vector, product with a clear
    /// factor) into the clear operands, where it costs nothing: (dot(x, w) + b) * c becomes
    /// dot(x, w * c) + b * c, saving the level the constant multiplication would consume.
    /// Applied only when every path ends in a clear operand.
    /// </summary>
    public static Graph PushScalars(Graph old)
    {
        var uses = old.UseCounts();
        return Rewrite(old, (g, n, args, map) =>
        {
            if (n.Secret && n.Op == HeOp.Mul)
            {
                for (int i = 0; i < 2; i++)
                {
                    var constant = old[n.Args[i]];
                    int other = n.Args[1 - i];
                    if (constant.IsUniformConstant && old[other].Secret && uses[other] == 1 && CanAbsorb(other))
                    {
                        int pushed = Push(other, constant.Values![0]);
                        g[pushed].RangeOverride ??= n.RangeOverride;
                        return pushed;
                    }
                }
            }

            return Copy(g, n, args);

            bool CanAbsorb(int id)
            {
                var x = old[id];
                if (!x.Secret)
                {
                    return true;
                }

                if (uses[id] != 1 || x.RangeOverride is not null)
                {
                    return false;
                }

                return x.Op switch
                {
                    HeOp.Add or HeOp.Sub => CanAbsorb(x.Args[0]) && CanAbsorb(x.Args[1]),
                    HeOp.Neg or HeOp.Rotate or HeOp.Sum => CanAbsorb(x.Args[0]),
                    HeOp.Dot or HeOp.Mul => !old[x.Args[0]].Secret || !old[x.Args[1]].Secret,
                    _ => false,
                };
            }

            int Push(int id, double c)
            {
                var x = old[id];
                if (!x.Secret)
                {
                    return g.Binary(HeOp.Mul, map[id], g.Constant(c));
                }

                switch (x.Op)
                {
                    case HeOp.Add or HeOp.Sub:
                        return g.Binary(x.Op, Push(x.Args[0], c), Push(x.Args[1], c));
                    case HeOp.Neg or HeOp.Sum:
                        return g.Unary(x.Op, Push(x.Args[0], c));
                    case HeOp.Rotate:
                        return g.Rotate(Push(x.Args[0], c), x.Steps);
                    default:
                    {
                        // Dot or Mul with a clear operand: scale the clear operand.
                        int clear = old[x.Args[0]].Secret ? 1 : 0;
                        int secret = map[x.Args[1 - clear]];
                        return g.Binary(x.Op, secret, Push(x.Args[clear], c));
                    }
                }
            }
        });
    }

    /// <summary>
    /// Lowers secret polynomials, approximations and integer equality to + - *. Polynomials use
    /// powers by squaring (depth ceil(log2 d) + 1), or Horner's rule (depth d, what one writes by
    /// hand without a compiler) for the naive baseline.
    /// </summary>
    public static Graph Lower(Graph old, int degree, bool horner = false) => Rewrite(old, (g, n, args, _) =>
    {
        if (!n.Secret)
        {
            return Copy(g, n, args);
        }

        switch (n.Op)
        {
            case HeOp.Poly:
                return horner ? Horner(g, args[0], n.Coefficients!) : Polynomial(g, args[0], n.Coefficients!);
            case HeOp.Approx:
            {
                // y = a x + b maps [low, high] onto [-1, 1]; the interpolant is a polynomial in y.
                double a = 2 / (n.High - n.Low), b = -(n.High + n.Low) / (n.High - n.Low);
                int ax = g.Binary(HeOp.Mul, args[0], g.Constant(a));
                int y = b == 0 ? ax : WithRange(g, HeOp.Add, [ax, g.Constant(b)], new Interval(-1, 1));
                g[y].RangeOverride ??= new Interval(-1, 1);
                var coefficients = Approximation.PowerCoefficients(n.Function, n.Low, n.High, degree);
                return horner ? Horner(g, y, coefficients) : Polynomial(g, y, coefficients);
            }

            case HeOp.Equal:
            {
                long low = (long)n.Low, high = (long)n.High;
                if (n.Target < low || n.Target > high)
                {
                    return g.Constant(0);
                }

                // Lagrange: prod_{j != c} (x - j) / prod_{j != c} (c - j) is 1 at c and 0 at the other integers.
                int product = -1;
                double denominator = 1;
                for (long j = low; j <= high; j++)
                {
                    if (j == n.Target)
                    {
                        continue;
                    }

                    int factor = g.Binary(HeOp.Sub, args[0], g.Constant(j));
                    product = product < 0 ? factor : g.Binary(HeOp.Mul, product, factor);
                    denominator *= n.Target - j;
                }

                if (product < 0)
                {
                    return g.Constant(1);
                }

                return denominator == 1 ? product
                    : denominator == -1 ? g.Unary(HeOp.Neg, product)
                    : WithRange(g, HeOp.Mul, [product, g.Constant(1.0 / denominator)], new Interval(0, 1));
            }

            default:
                return Copy(g, n, args);
        }
    });

    // Rotate-and-add: after log2(slots) steps every slot holds the sum (the vector is replicated
    // across the ciphertext's slots, so rotations are cyclic with period = slots).
    private static int SumSlots(Graph g, int x)
    {
        int acc = x;
        for (int step = 1; step < g.Slots; step *= 2)
        {
            acc = g.Binary(HeOp.Add, acc, g.Rotate(acc, NormaliseSteps(step, g.Slots)));
        }

        return acc;
    }

    // Horner: (((c_d x + c_(d-1)) x + ...) x + c_0, one multiplication level per degree.
    private static int Horner(Graph g, int x, IReadOnlyList<double> coefficients)
    {
        int degree = coefficients.Count - 1;
        while (degree > 0 && coefficients[degree] == 0)
        {
            degree--;
        }

        if (degree == 0)
        {
            return g.Constant(coefficients[0]);
        }

        int acc = coefficients[degree] == 1 ? x : g.Binary(HeOp.Mul, x, g.Constant(coefficients[degree]));
        for (int i = degree - 1; i >= 1; i--)
        {
            if (coefficients[i] != 0)
            {
                acc = g.Binary(HeOp.Add, acc, g.Constant(coefficients[i]));
            }

            acc = g.Binary(HeOp.Mul, acc, x);
        }

        return coefficients[0] == 0 ? acc : g.Binary(HeOp.Add, acc, g.Constant(coefficients[0]));
    }

    // Powers x^(2^k) by squaring; term i = c_i * prod of the powers in i's binary expansion (the
    // rebalancer then pairs the factors by depth, so c_i x^i costs ceil(log2 i) + 1 levels at most).
    private static int Polynomial(Graph g, int x, IReadOnlyList<double> coefficients)
    {
        int degree = coefficients.Count - 1;
        while (degree > 0 && coefficients[degree] == 0)
        {
            degree--;
        }

        var powers = new Dictionary<int, int> { [1] = x };
        for (int k = 2; k <= degree; k *= 2)
        {
            powers[k] = g.Binary(HeOp.Mul, powers[k / 2], powers[k / 2]);
        }

        int sum = -1;
        for (int i = 1; i <= degree; i++)
        {
            if (coefficients[i] == 0)
            {
                continue;
            }

            // The coefficient goes in first: each term's partial products are then its own (single
            // use), so the rebalancer may pair c_i with the shallowest power.
            int term = coefficients[i] == 1 ? -1 : g.Constant(coefficients[i]);
            for (int bit = 1; bit <= i; bit <<= 1)
            {
                if ((i & bit) != 0)
                {
                    term = term < 0 ? powers[bit] : g.Binary(HeOp.Mul, term, powers[bit]);
                }
            }

            sum = sum < 0 ? term : g.Binary(HeOp.Add, sum, term);
        }

        if (sum < 0)
        {
            return g.Constant(coefficients[0]);
        }

        return coefficients[0] == 0 ? sum : g.Binary(HeOp.Add, sum, g.Constant(coefficients[0]));
    }

    // ------------------------------------------------------------------ rebalancing

    /// <summary>
    /// Re-associates secret product and sum chains (through single-use intermediates) so that the
    /// shallowest operands combine first: clear factors multiply together in the clear and then
    /// into the shallowest secret factor; the depth of a product of k factors drops from k - 1 to
    /// ceil(log2 k) when they are equally deep.
    /// </summary>
    public static Graph Rebalance(Graph old, SchemeType scheme)
    {
        var uses = old.UseCounts();
        var depths = new Dictionary<int, int>();
        return Rewrite(old, (g, n, args, map) =>
        {
            if (!n.Secret || n.Op is not (HeOp.Mul or HeOp.Add or HeOp.Sub) || n.RangeOverride is not null)
            {
                return Copy(g, n, args);
            }

            if (n.Op == HeOp.Mul)
            {
                var factors = new List<int>();
                CollectFactors(n);
                int clear = -1;
                var masks = factors.Where(f => g[f].MaskBlock is not null).ToList();
                factors.RemoveAll(masks.Contains);
                var queue = new PriorityQueue<int, (int, int)>();
                int order = 0;
                foreach (int f in factors)
                {
                    if (g[f].Secret)
                    {
                        queue.Enqueue(f, (Depth(g, f), order++));
                    }
                    else
                    {
                        clear = clear < 0 ? f : g.Binary(HeOp.Mul, clear, f);
                    }
                }

                if (clear >= 0)
                {
                    int shallowest = queue.Dequeue();
                    int product = g.Binary(HeOp.Mul, shallowest, clear);
                    queue.Enqueue(product, (Depth(g, product), order++));
                }

                while (queue.Count > 1)
                {
                    int a = queue.Dequeue(), b = queue.Dequeue();
                    int product = g.Binary(HeOp.Mul, a, b);
                    queue.Enqueue(product, (Depth(g, product), order++));
                }

                // Packing masks act on physical slots: they multiply the finished product directly.
                int finished = queue.Dequeue();
                foreach (int mask in masks)
                {
                    finished = g.Binary(HeOp.Mul, finished, mask);
                }

                return finished;

                void CollectFactors(Node node)
                {
                    foreach (int a in node.Args)
                    {
                        var arg = old[a];
                        if (arg.Op == HeOp.Mul && arg.Secret && uses[a] == 1 && arg.RangeOverride is null)
                        {
                            CollectFactors(arg);
                        }
                        else
                        {
                            factors.Add(map[a]);
                        }
                    }
                }
            }

            var positive = new List<int>();
            var negative = new List<int>();
            int clearSum = -1;
            CollectTerms(n, +1);
            int result = Combine(positive);
            int subtrahend = Combine(negative);
            if (result < 0)
            {
                result = g.Unary(HeOp.Neg, subtrahend);
            }
            else if (subtrahend >= 0)
            {
                result = g.Binary(HeOp.Sub, result, subtrahend);
            }

            return clearSum < 0 ? result : g.Binary(HeOp.Add, result, clearSum);

            void CollectTerms(Node node, int sign)
            {
                for (int i = 0; i < node.Args.Length; i++)
                {
                    int a = node.Args[i];
                    int s = node.Op == HeOp.Sub && i == 1 ? -sign : node.Op == HeOp.Neg ? -sign : sign;
                    var arg = old[a];
                    if (arg.Secret && uses[a] == 1 && arg.Op is HeOp.Add or HeOp.Sub or HeOp.Neg && arg.RangeOverride is null)
                    {
                        CollectTerms(arg, s);
                    }
                    else if (!arg.Secret)
                    {
                        int term = s > 0 ? map[a] : g.Unary(HeOp.Neg, map[a]);
                        clearSum = clearSum < 0 ? term : g.Binary(HeOp.Add, clearSum, term);
                    }
                    else
                    {
                        (s > 0 ? positive : negative).Add(map[a]);
                    }
                }
            }

            int Combine(List<int> terms)
            {
                if (terms.Count == 0)
                {
                    return -1;
                }

                var queue = new PriorityQueue<int, (int, int)>();
                int order = 0;
                foreach (int t in terms)
                {
                    queue.Enqueue(t, (Depth(g, t), order++));
                }

                while (queue.Count > 1)
                {
                    int a = queue.Dequeue(), b = queue.Dequeue();
                    int sum = g.Binary(HeOp.Add, a, b);
                    queue.Enqueue(sum, (Depth(g, sum), order++));
                }

                return queue.Dequeue();
            }
        });

        int Depth(Graph g, int id)
        {
            if (depths.TryGetValue(id, out int d))
            {
                return d;
            }

            var node = g[id];
            if (!node.Secret || node.Args.Length == 0)
            {
                d = 0;
            }
            else if (node.Op == HeOp.Mul)
            {
                var a = g[node.Args[0]];
                var b = g[node.Args[1]];
                if (a.Secret && b.Secret)
                {
                    d = Math.Max(Depth(g, a.Id), Depth(g, b.Id)) + 1;
                }
                else
                {
                    var secret = a.Secret ? a : b;
                    var clear = a.Secret ? b : a;
                    bool free = scheme != SchemeType.Ckks || IsSmallInteger(clear);
                    d = Depth(g, secret.Id) + (free ? 0 : 1);
                }
            }
            else
            {
                d = node.Args.Max(a => Depth(g, a));
            }

            depths[id] = d;
            return d;
        }
    }

    /// <summary>A uniform integer constant small enough to multiply a CKKS ciphertext at scale 1.</summary>
    public static bool IsSmallInteger(Node node) =>
        node.IsUniformConstant && node.Values![0] == Math.Floor(node.Values[0]) && Math.Abs(node.Values[0]) <= (1 << 20);
}
