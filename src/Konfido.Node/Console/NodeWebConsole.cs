using Konfido.Ledger.Notes;
using Konfido.Ledger.Witnessing;
using Microsoft.AspNetCore.Builder;

namespace Konfido.Node;

/// <summary>A published checkpoint as the console saw it.</summary>
/// <param name="Size">The tree size.</param>
/// <param name="Root">The root hash (base64).</param>
/// <param name="Published">Whether the witness quorum cosigned it.</param>
/// <param name="Cosigners">The witnesses that cosigned.</param>
/// <param name="SeenAt">When the console first saw it.</param>
public sealed record ObservedCheckpoint(long Size, string Root, bool Published, IReadOnlyList<string> Cosigners, DateTimeOffset SeenAt);

/// <summary>
/// The operator web console of a node: served at <c>/console/</c> on the local listener (the page,
/// from embedded resources) with its JSON API under <c>/console/api/</c> (<see cref="ConsoleApi"/>).
/// Login is the node's own eIDAS flow; the node's staff (<see cref="NodeStaffMember"/>) are operators
/// or auditors. The console keeps operators' alert acknowledgements (next to the SIEM's alerts) and
/// its view of the event path, <see cref="Activity"/>, which the node puts on its event path (in the
/// data folder, so that it survives a restart); everything else it reads from the node's parts.
/// </summary>
public sealed class NodeWebConsole
{
    /// <summary>How many published checkpoints the console remembers.</summary>
    public const int CheckpointsKept = 50;

    private readonly Func<string, string>? _pseudonymise;
    private readonly Lock _gate = new();
    private readonly List<ObservedCheckpoint> _checkpoints = [];

    /// <summary>Creates the console of a node.</summary>
    /// <param name="pseudonymise">The federation's patient pseudonymisation (the ledger's), or null to withhold patient identifiers.</param>
    /// <param name="dataDirectory">Where the console keeps its view of the event path (<see cref="ConsoleActivity.FileName"/>), or null to keep it in memory only.</param>
    public NodeWebConsole(Func<string, string>? pseudonymise, string? dataDirectory = null)
    {
        _pseudonymise = pseudonymise;
        Activity = dataDirectory is null ? new ConsoleActivity(pseudonymise) : ConsoleActivity.Open(Path.Combine(dataDirectory, ConsoleActivity.FileName), pseudonymise);
        Devices = new ObservedDeviceSource(Activity);
    }

    /// <summary>The console's view of the node's event path (an event sink the node adds to it).</summary>
    public ConsoleActivity Activity { get; }

    /// <summary>Where the devices page reads PUF devices from (the devices seen in events until the node has a device registry).</summary>
    public IConsoleDeviceSource Devices { get; set; }

    /// <summary>The operators' alert acknowledgements (null on a node without a SIEM).</summary>
    internal AlertAcknowledgements? Acknowledgements { get; private set; }

    /// <summary>Probes the other members for the federation page.</summary>
    internal PeerProbe Peers { get; private set; } = null!;

    /// <summary>Maps the page and the API onto <paramref name="app"/> for <paramref name="node"/>.</summary>
    internal void Map(WebApplication app, KonfidoNode node)
    {
        Acknowledgements = node.Components.Siem is { } siem ? new AlertAcknowledgements(siem.DataDirectory) : null;
        Peers = new PeerProbe(node.Country, node.Components.Credentials, node.Components.TrustList);
        ConsoleAssets.Map(app, node.Components);
        ConsoleApi.Map(app, node, this);
    }

    /// <summary>The federation pseudonym of a national patient identifier (or a placeholder when the node has no ledger key).</summary>
    internal string Pseudonym(string patientId)
    {
        try
        {
            return _pseudonymise?.Invoke(patientId) ?? "(withheld)";
        }
        catch (ObjectDisposedException)
        {
            return "(withheld)";
        }
    }

    /// <summary>Remembers a publication the console has seen (once per size and root).</summary>
    internal void ObserveCheckpoint(PublicationResult? latest)
    {
        if (latest is null || !Checkpoint.TryParse(latest.Checkpoint.Text, out var checkpoint, out _))
        {
            return;
        }

        var root = checkpoint.Root.ToBase64();
        lock (_gate)
        {
            if (_checkpoints.Any(c => c.Size == checkpoint.Size && c.Root == root && c.Published == latest.Published))
            {
                return;
            }

            _checkpoints.Add(new ObservedCheckpoint(checkpoint.Size, root, latest.Published, latest.Quorum.Cosigners, DateTimeOffset.UtcNow));
            if (_checkpoints.Count > CheckpointsKept)
            {
                _checkpoints.RemoveAt(0);
            }
        }
    }

    /// <summary>The publications seen, newest first.</summary>
    internal IReadOnlyList<ObservedCheckpoint> Checkpoints()
    {
        lock (_gate)
        {
            return [.. Enumerable.Reverse(_checkpoints)];
        }
    }
}
