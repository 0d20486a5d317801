// Scheduling: turns the secret part of the graph into ciphertext instructions.
//  - Lazy relinearisation: a product stays of size 3 through additions; it is relinearised only
//    before it is multiplied again, rotated, or output (sums of products relinearise once).
//  - Waterline rescaling (CKKS, EVA PLDI 2020 §5): a value's scale is tracked as a power e of the
//    base scale; it is rescaled only when it must be (before a multiplication or rotation, before
//    an addition with a lower-scaled value, at an output), so sums of products rescale once.
//  - Mod-switch alignment: operands of additions and multiplications are brought to the same
//    level by dropping primes from the higher one (cached per level: a value is switched once).
//  - Clear operands become plaintexts; a uniform small integer multiplies at scale 1 (no level).
//  - Exact CKKS scales: level c has the canonical scale S_c (S_0 = 2^s, S_(c+1) = S_c^2 / q_c, q_c
//    the prime dropped), a product before its rescale S_c^2. Plaintext factors are encoded at S_c and
//    level switches multiply by 1 at the scale that lands on S_(c+1), so additions never meet
//    mismatched scales (relabelling would cost a relative error of |q_c - 2^s| / 2^s, 1e-3 at s = 24).
// Naive mode relinearises and rescales immediately after every multiplication.
namespace Konfido.He.Compiler;

/// <summary>The scheduled plan: instructions, outputs and what the compiler knows of each register.</summary>
internal sealed class Schedule
{
    public List<PlanStep> Steps { get; } = [];

    public List<PlanOutput> Outputs { get; } = [];

    public List<RegisterInfo> Registers { get; } = [];

    /// <summary>Transient states that also need room in the modulus (scale corrections of level switches).</summary>
    public List<RegisterInfo> Constraints { get; } = [];

    /// <summary>CKKS: the most primes consumed by any value (the number of rescales on the longest path).</summary>
    public int Depth => Registers.Count == 0 ? 0 : Registers.Max(r => r.Level);

    /// <summary>Ciphertext-multiplication depth.</summary>
    public int MultiplicativeDepth { get; set; }

    public IReadOnlyList<int> RotationSteps => [.. Steps.Where(s => s.Code == PlanCode.Rotate).Select(s => s.Steps).Distinct().Order()];
}

internal static class Scheduler
{
    public static Schedule Run(Graph graph, SchemeType scheme, bool naive)
    {
        var schedule = new Schedule();
        bool ckks = scheme == SchemeType.Ckks;
        var current = new int[graph.Nodes.Count];
        Array.Fill(current, -1);
        var multiplicativeDepth = new Dictionary<int, int>();
        var switched = new Dictionary<(int Register, int Level), int>();
        var live = graph.Live();

        int Emit(PlanCode code, int level, int scaleExponent, int size, int node, int a = -1, int b = -1, int plain = -1, int steps = 0,
            PlainScale plainScale = PlainScale.MatchCiphertext, string? input = null, int mulDepth = 0)
        {
            int register = schedule.Registers.Count;
            int magnitude = (int)Math.Ceiling(Math.Log2(graph[node].Range.Magnitude + 1));
            schedule.Registers.Add(new RegisterInfo(level, scaleExponent, size, Math.Max(0, magnitude), node));
            schedule.Steps.Add(new PlanStep(code, register, a, b, plain, steps, level, plainScale, input));
            multiplicativeDepth[register] = mulDepth;
            return register;
        }

        RegisterInfo Info(int register) => schedule.Registers[register];
        int MulDepth(int register) => multiplicativeDepth[register];

        // Relinearises (if asked) and rescales node's current register down to scale exponent maxScale.
        int Prepare(int node, bool relinearise, int maxScale)
        {
            int r = current[node];
            if (relinearise && Info(r).Size > 2)
            {
                var i = Info(r);
                r = Emit(PlanCode.Relinearize, i.Level, i.ScaleExponent, 2, node, a: r, mulDepth: MulDepth(r));
                current[node] = r;
            }

            while (ckks && Info(r).ScaleExponent > maxScale)
            {
                var i = Info(r);
                r = Emit(PlanCode.Rescale, i.Level + 1, i.ScaleExponent - 1, i.Size, node, a: r, mulDepth: MulDepth(r));
                current[node] = r;
            }

            return r;
        }

        int AtLevel(int register, int level)
        {
            var i = Info(register);
            if (!ckks || i.Level == level)
            {
                return register;
            }

            if (!switched.TryGetValue((register, level), out int r))
            {
                // The scale correction multiplies before each rescale: one more scale factor meanwhile.
                schedule.Constraints.Add(new RegisterInfo(i.Level, i.ScaleExponent + 1, i.Size, i.MagnitudeBits, i.Node));
                r = Emit(PlanCode.ModSwitch, level, i.ScaleExponent, i.Size, i.Node, a: register, mulDepth: MulDepth(register));
                switched[(register, level)] = r;
            }

            return r;
        }

        void AfterMultiply(int node)
        {
            if (naive)
            {
                Prepare(node, relinearise: true, maxScale: 1);
            }
        }

        foreach (var node in graph.Nodes)
        {
            if (!live[node.Id] || !node.Secret)
            {
                continue;
            }

            int id = node.Id;
            int[] args = node.Args;
            switch (node.Op)
            {
                case HeOp.Input:
                    current[id] = Emit(PlanCode.LoadInput, 0, 1, 2, id, input: node.Input!.Name);
                    break;
                case HeOp.Neg:
                {
                    int r = current[args[0]];
                    var i = Info(r);
                    current[id] = Emit(PlanCode.Negate, i.Level, i.ScaleExponent, i.Size, id, a: r, mulDepth: MulDepth(r));
                    break;
                }

                case HeOp.Rotate:
                {
                    int r = Prepare(args[0], relinearise: true, maxScale: 1);
                    var i = Info(r);
                    current[id] = Emit(PlanCode.Rotate, i.Level, i.ScaleExponent, 2, id, a: r, steps: node.Steps, mulDepth: MulDepth(r));
                    break;
                }

                case HeOp.Add or HeOp.Sub:
                {
                    var x = graph[args[0]];
                    var y = graph[args[1]];
                    if (x.Secret && y.Secret)
                    {
                        int target = Math.Min(Info(current[x.Id]).ScaleExponent, Info(current[y.Id]).ScaleExponent);
                        int ra = Prepare(x.Id, false, target);
                        int rb = Prepare(y.Id, false, target);
                        int level = Math.Max(Info(ra).Level, Info(rb).Level);
                        ra = AtLevel(ra, level);
                        rb = AtLevel(rb, level);
                        current[id] = Emit(node.Op == HeOp.Add ? PlanCode.Add : PlanCode.Sub, level, target,
                            Math.Max(Info(ra).Size, Info(rb).Size), id, a: ra, b: rb, mulDepth: Math.Max(MulDepth(ra), MulDepth(rb)));
                    }
                    else
                    {
                        var secret = x.Secret ? x : y;
                        var clear = x.Secret ? y : x;
                        var code = node.Op == HeOp.Add ? PlanCode.AddPlain : x.Secret ? PlanCode.SubPlain : PlanCode.PlainSub;
                        int r = current[secret.Id];
                        var i = Info(r);
                        current[id] = Emit(code, i.Level, i.ScaleExponent, i.Size, id, a: r, plain: clear.Id, mulDepth: MulDepth(r));
                    }

                    break;
                }

                case HeOp.Mul:
                {
                    var x = graph[args[0]];
                    var y = graph[args[1]];
                    if (x.Secret && y.Secret)
                    {
                        int ra = Prepare(x.Id, true, 1);
                        int rb = x.Id == y.Id ? ra : Prepare(y.Id, true, 1);
                        int level = Math.Max(Info(ra).Level, Info(rb).Level);
                        ra = AtLevel(ra, level);
                        rb = AtLevel(rb, level);
                        current[id] = Emit(PlanCode.Multiply, level, ckks ? 2 : 1, 3, id, a: ra, b: rb,
                            mulDepth: Math.Max(MulDepth(ra), MulDepth(rb)) + 1);
                    }
                    else
                    {
                        var secret = x.Secret ? x : y;
                        var clear = x.Secret ? y : x;
                        if (!ckks || (!naive && Passes.IsSmallInteger(clear)))
                        {
                            int r = current[secret.Id];
                            var i = Info(r);
                            current[id] = Emit(PlanCode.MultiplyPlain, i.Level, i.ScaleExponent, i.Size, id, a: r, plain: clear.Id,
                                plainScale: PlainScale.One, mulDepth: MulDepth(r));
                        }
                        else
                        {
                            int r = Prepare(secret.Id, false, 1);
                            var i = Info(r);
                            current[id] = Emit(PlanCode.MultiplyPlain, i.Level, 2, i.Size, id, a: r, plain: clear.Id,
                                plainScale: PlainScale.Canonical, mulDepth: MulDepth(r));
                        }
                    }

                    AfterMultiply(id);
                    break;
                }

                default:
                    throw new InvalidOperationException($"a secret {node.Op} reached the scheduler unlowered.");
            }
        }

        foreach (var (name, node) in graph.Outputs)
        {
            if (graph[node].Secret)
            {
                int r = Prepare(node, relinearise: true, maxScale: 1);
                int slot = graph.PackedOutputs.TryGetValue(name, out int block) ? block * graph.Slots : -1;
                schedule.Outputs.Add(new PlanOutput(name, r, node, slot));
            }
            else
            {
                schedule.Outputs.Add(new PlanOutput(name, -1, node));
            }
        }

        schedule.MultiplicativeDepth = multiplicativeDepth.Count == 0 ? 0 : multiplicativeDepth.Values.Max();
        return schedule;
    }
}
