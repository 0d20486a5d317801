using System.CommandLine;

namespace Konfido.Cli;

/// <summary>
/// The konfido command line (see shared/CONTRACT.md). Exit codes: 0 success / the check holds,
/// 1 the check ran and failed, 2 usage error or unreadable/malformed input (one line on stderr).
/// </summary>
internal static class KonfidoCli
{
    /// <summary>Runs one command line with the given output writers and returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var context = new CliContext(stdout, stderr);
        var root = new RootCommand("Konfido: secure cross-border eHealth and mHealth (national contact point, eID, audit ledger, SIEM, HE, PUF).");
        CommandGroups.AddAll(root, context);

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Prefer the error that names what the user typed wrong over "required command was not provided".
            var error = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal))) ?? parse.Errors[0];
            await stderr.WriteLineAsync($"konfido: {error.Message} (see 'konfido --help')").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (CliInputException ex)
        {
            await stderr.WriteLineAsync($"konfido: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("konfido: cancelled").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            // A defect, not bad input: one line, no stack trace on the console.
            await stderr.WriteLineAsync($"konfido: internal error: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InternalError;
        }
    }
}

/// <summary>The process exit codes of the contract.</summary>
internal static class ExitCodes
{
    /// <summary>Success, or the check holds.</summary>
    public const int Ok = 0;

    /// <summary>The check ran and failed (invalid proof, bad signature, ...).</summary>
    public const int CheckFailed = 1;

    /// <summary>Usage error, or unreadable/malformed input.</summary>
    public const int Usage = 2;

    /// <summary>An unexpected internal error (a defect).</summary>
    public const int InternalError = 3;

    /// <summary>Cancelled by the user (Ctrl-C).</summary>
    public const int Cancelled = 130;
}

/// <summary>Thrown by a command for unreadable or malformed input: reported as one line, exit code 2.</summary>
internal sealed class CliInputException : Exception
{
    /// <summary>Creates the exception; the message names the input and what is wrong with it.</summary>
    public CliInputException(string message) : base(message) { }

    /// <summary>Creates the exception with the underlying cause.</summary>
    public CliInputException(string message, Exception inner) : base(message, inner) { }
}
