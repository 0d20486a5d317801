using System.CommandLine;
using System.Text.Json.Nodes;
using Konfido.Ledger.Notes;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddNote(RootCommand root, CliContext context)
    {
        var note = new Command("note", "C2SP signed notes (Ed25519): verify, sign, generate keys.");
        note.Add(NoteVerify(context));
        note.Add(NoteSign(context));
        note.Add(NoteKeygen(context));
        root.Add(note);
    }

    // A key option takes the key string itself, or the path of a file holding it.
    private static string KeyText(string value, string option)
    {
        var trimmed = value.Trim();
        if (!trimmed.Contains('+', StringComparison.Ordinal) && File.Exists(trimmed))
        {
            return CliContext.ReadText(trimmed, $"{option} file").Trim();
        }

        return trimmed;
    }

    private static Command NoteVerify(CliContext context)
    {
        var key = new Option<string>("--key") { Description = "The verifier key name+hash+base64 (or a file holding it).", Required = true };
        var file = new Option<string>("--note") { Description = "The signed note file.", Required = true };
        var json = JsonOption();
        var command = new Command("verify", "Exit 0 if the note carries a valid signature by the key, 1 if not, 2 if malformed.") { key, file, json };
        command.SetAction(r =>
        {
            if (!NoteVerifiers.TryParse(KeyText(r.GetValue(key)!, "--key"), out var verifier, out var error))
            {
                throw new CliInputException($"--key: {error}");
            }

            var path = r.GetValue(file)!;
            var result = NoteVerification.Open(CliContext.ReadText(path, "note"), [verifier]);
            if (result.Failure == NoteFailure.Malformed)
            {
                throw new CliInputException($"{path}: malformed signed note: {result.Reason}");
            }

            if (r.GetValue(json))
            {
                context.WriteJson(new JsonObject
                {
                    ["valid"] = result.IsValid,
                    ["key"] = $"{verifier.Name}+{verifier.KeyId:x8}",
                    ["reason"] = result.Reason,
                    ["text"] = result.IsValid ? result.Note!.Text : null,
                });
            }
            else
            {
                context.Err.WriteLine(result.IsValid ? $"valid signature by {verifier.Name}+{verifier.KeyId:x8}" : $"not verified: {result.Reason}");
            }

            return result.IsValid ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    private static Command NoteSign(CliContext context)
    {
        var key = new Option<string>("--key") { Description = "The signer key PRIVATE+KEY+name+hash+base64 (or a file holding it).", Required = true };
        var file = new Option<string>("--note") { Description = "The note text file (an already signed note gets one more signature).", Required = true };
        var command = new Command("sign", "Signs the note text in FILE and prints the signed note.") { key, file };
        command.SetAction(r =>
        {
            if (!Ed25519NoteSigner.TryParse(KeyText(r.GetValue(key)!, "--key"), out var signer, out var error))
            {
                throw new CliInputException($"--key: {error}");
            }

            using (signer)
            {
                var path = r.GetValue(file)!;
                var text = CliContext.ReadText(path, "note");
                if (!SignedNote.TryParse(text, out var note, out _))
                {
                    if (text.Length > 0 && text[^1] != '\n')
                    {
                        text += "\n";
                    }

                    if (!SignedNote.IsValidText(text, out var reason))
                    {
                        throw new CliInputException($"{path}: not a valid note text: {reason}");
                    }

                    note = SignedNote.Unsigned(text);
                }

                context.Out.Write(note.Sign(signer).ToString());
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command NoteKeygen(CliContext context)
    {
        var name = new Option<string>("--name") { Description = "The key name, e.g. ledger.dk.konfido.example (no spaces, no '+').", Required = true };
        var json = JsonOption();
        var command = new Command("keygen", "Generates an Ed25519 note key: prints the signer key, then the verifier key (and the witness cosignature verifier key with --json).") { name, json };
        command.SetAction(r =>
        {
            var keyName = r.GetValue(name)!;
            if (!NoteKeys.IsValidName(keyName))
            {
                throw new CliInputException($"--name: '{keyName}' is not a valid key name (non-empty, no spaces, no '+')");
            }

            using var signer = Ed25519NoteSigner.Generate(keyName);
            if (r.GetValue(json))
            {
                context.WriteJson(new JsonObject
                {
                    ["name"] = keyName,
                    ["signer_key"] = signer.ExportSignerKey(),
                    ["verifier_key"] = signer.VerifierKey,
                    ["cosignature_verifier_key"] = signer.CosignatureVerifierKey,
                });
            }
            else
            {
                context.Out.WriteLine(signer.ExportSignerKey());
                context.Out.WriteLine(signer.VerifierKey);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
