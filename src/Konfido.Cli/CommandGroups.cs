using System.CommandLine;

namespace Konfido.Cli;

/// <summary>
/// The command groups of the CLI. Each component implements its group in its own file under
/// <c>Commands/</c> (a partial method); a group whose component is not built yet is simply absent.
/// </summary>
internal static partial class CommandGroups
{
    /// <summary>Adds every implemented command group to <paramref name="root"/>.</summary>
    public static void AddAll(RootCommand root, CliContext context)
    {
        AddDemo(root, context);
        AddNode(root, context);
        AddFhir(root, context);
        AddSaml(root, context);
        AddLedger(root, context);
        AddNote(root, context);
        AddHe(root, context);
        AddSiem(root, context);
        AddPuf(root, context);
        AddCustody(root, context);
        AddDevice(root, context);
        AddExchange(root, context);
        AddIhe(root, context);
        AddFuzz(root, context);
    }

    /// <summary><c>konfido demo</c> (Commands/DemoCommand.cs).</summary>
    static partial void AddDemo(RootCommand root, CliContext context);

    /// <summary><c>konfido node</c> (Commands/NodeCommand.cs).</summary>
    static partial void AddNode(RootCommand root, CliContext context);

    /// <summary><c>konfido fhir ...</c> (Commands/FhirCommands.cs).</summary>
    static partial void AddFhir(RootCommand root, CliContext context);

    /// <summary><c>konfido saml ...</c> (Commands/SamlCommands.cs).</summary>
    static partial void AddSaml(RootCommand root, CliContext context);

    /// <summary><c>konfido ledger ...</c> (Commands/LedgerCommands.cs).</summary>
    static partial void AddLedger(RootCommand root, CliContext context);

    /// <summary><c>konfido note ...</c> (Commands/NoteCommands.cs).</summary>
    static partial void AddNote(RootCommand root, CliContext context);

    /// <summary><c>konfido he ...</c> (Commands/HeCommands.cs).</summary>
    static partial void AddHe(RootCommand root, CliContext context);

    /// <summary><c>konfido siem ...</c> (Commands/SiemCommands.cs).</summary>
    static partial void AddSiem(RootCommand root, CliContext context);

    /// <summary><c>konfido puf ...</c> (Commands/PufCommands.cs).</summary>
    static partial void AddPuf(RootCommand root, CliContext context);

    /// <summary><c>konfido custody ...</c> (Commands/CustodyCommands.cs).</summary>
    static partial void AddCustody(RootCommand root, CliContext context);

    /// <summary><c>konfido device ...</c> (Commands/DeviceCommands.cs).</summary>
    static partial void AddDevice(RootCommand root, CliContext context);

    /// <summary><c>konfido exchange ...</c> (Commands/ExchangeCommands.cs).</summary>
    static partial void AddExchange(RootCommand root, CliContext context);

    /// <summary><c>konfido ihe ...</c> (Commands/IheCommands.cs).</summary>
    static partial void AddIhe(RootCommand root, CliContext context);

    /// <summary><c>konfido fuzz ...</c> (Commands/FuzzCommands.cs).</summary>
    static partial void AddFuzz(RootCommand root, CliContext context);
}
