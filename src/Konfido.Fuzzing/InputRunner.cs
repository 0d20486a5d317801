namespace Konfido.Fuzzing;

/// <summary>What happened to one input.</summary>
/// <param name="Outcome">Accepted, rejected or crash.</param>
/// <param name="Reason">The rejection reason, or null.</param>
/// <param name="Exception">The exception of a crash, or null (a hang has none).</param>
/// <param name="Hung">True if the input ran past its time limit.</param>
public sealed record InputVerdict(FuzzOutcome Outcome, string? Reason, Exception? Exception, bool Hung)
{
    /// <summary>The crash signature: exception type and top frame, the invariant's name, or "hang"; null if no crash.</summary>
    public string? Signature => Outcome != FuzzOutcome.Crash ? null : CrashSignature.Of(Exception, Hung);
}

/// <summary>
/// Runs inputs one at a time on a dedicated worker thread with a per-input time limit. A run past the limit is a
/// hang: the worker is abandoned (a background thread, it cannot be aborted) and a fresh one takes the next input.
/// </summary>
internal sealed class InputRunner : IDisposable
{
    private readonly FuzzTarget _target;
    private readonly TimeSpan _timeout;
    private Worker? _worker;

    public InputRunner(FuzzTarget target, TimeSpan timeout)
    {
        _target = target;
        _timeout = timeout;
    }

    /// <summary>Workers abandoned after a hang (still running somewhere).</summary>
    public int Abandoned { get; private set; }

    public InputVerdict Run(byte[] input)
    {
        _worker ??= new Worker(_target);
        if (!_worker.Start(input, _timeout, out var result, out var exception))
        {
            _worker.Abandon();
            _worker = null;
            Abandoned++;
            return new InputVerdict(FuzzOutcome.Crash, null, null, Hung: true);
        }

        if (exception is not null)
        {
            return new InputVerdict(FuzzOutcome.Crash, null, exception, Hung: false);
        }

        // A target that returns Crash without an exception is still a crash.
        return result.Outcome == FuzzOutcome.Crash
            ? new InputVerdict(FuzzOutcome.Crash, null, new InvalidOperationException($"target returned Crash: {result.Reason}"), false)
            : new InputVerdict(result.Outcome, result.Reason, null, false);
    }

    public void Dispose()
    {
        _worker?.Stop();
        _worker = null;
    }

    private sealed class Worker
    {
        private readonly FuzzTarget _target;
        private readonly SemaphoreSlim _go = new(0);
        private readonly SemaphoreSlim _done = new(0);
        private readonly Thread _thread;
        private byte[]? _input;
        private FuzzResult _result;
        private Exception? _exception;
        private volatile bool _stop;

        public Worker(FuzzTarget target)
        {
            _target = target;
            _thread = new Thread(Loop) { IsBackground = true, Name = $"fuzz-{target.Name}" };
            _thread.Start();
        }

        public bool Start(byte[] input, TimeSpan timeout, out FuzzResult result, out Exception? exception)
        {
            _input = input;
            _go.Release();
            if (!_done.Wait(timeout))
            {
                result = default;
                exception = null;
                return false;
            }

            result = _result;
            exception = _exception;
            return true;
        }

        public void Abandon() => _stop = true;

        public void Stop()
        {
            _stop = true;
            _go.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                if (_stop)
                {
                    return;
                }

                try
                {
                    _result = _target.Run(_input!);
                    _exception = null;
                }
#pragma warning disable CA1031 // Every exception is a finding: it is recorded, not swallowed.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _exception = ex;
                }

                if (_stop)
                {
                    return;
                }

                _done.Release();
            }
        }
    }
}

/// <summary>Crash signatures: what makes two crashes the same bug.</summary>
public static class CrashSignature
{
    /// <summary>The signature of a crash: <c>hang</c>, <c>invariant:NAME</c>, or <c>ExceptionType@TopFrame</c>.</summary>
    /// <param name="exception">The exception, or null for a hang.</param>
    /// <param name="hung">True for a hang.</param>
    public static string Of(Exception? exception, bool hung)
    {
        if (hung || exception is null)
        {
            return "hang";
        }

        if (exception is FuzzInvariantException invariant)
        {
            return "invariant:" + invariant.Invariant;
        }

        return $"{exception.GetType().FullName}@{TopFrame(exception)}";
    }

    /// <summary>The method of the first stack frame ("Namespace.Type.Method"), or "?" without a stack trace.</summary>
    /// <param name="exception">The exception.</param>
    public static string TopFrame(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var trace = exception.StackTrace;
        if (string.IsNullOrEmpty(trace))
        {
            return "?";
        }

        var line = trace.AsSpan().TrimStart();
        var end = line.IndexOfAny('\r', '\n');
        if (end >= 0)
        {
            line = line[..end];
        }

        if (line.StartsWith("at "))
        {
            line = line[3..];
        }

        var paren = line.IndexOf('(');
        return (paren > 0 ? line[..paren] : line).ToString();
    }
}
