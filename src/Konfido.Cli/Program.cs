using Konfido.Cli;

return await KonfidoCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
