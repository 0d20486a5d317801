using System.Net;
using System.Security.Cryptography;
using System.Text;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Ledger.Log;
using Konfido.Ledger.Notes;
using Konfido.Ledger.Storage;
using Konfido.Ledger.Witnessing;

namespace Konfido.Node;

/// <summary>
/// A node's audit ledger: its own append-only Merkle log of security events (patient identifiers
/// pseudonymised), the witness that cosigns the other countries' checkpoints, and the publisher that
/// asks them to cosign this log's checkpoints. A checkpoint counts as published when the quorum of
/// other countries' witnesses named in the trust list has cosigned it.
/// </summary>
public sealed class NodeLedger : IAsyncDisposable
{
    private readonly SqliteLogStorage _storage;
    private readonly SqliteWitnessStateStore _witnessState;
    private readonly PatientPseudonymiser _pseudonymiser;
    private readonly Ed25519NoteSigner _logKey;
    private readonly Ed25519NoteSigner _witnessKey;
    private CancellationTokenSource? _publishing;
    private Task? _publishLoop;

    private NodeLedger(string country, SqliteLogStorage storage, MerkleLog log, SqliteWitnessStateStore witnessState, PatientPseudonymiser pseudonymiser,
        Ed25519NoteSigner logKey, Ed25519NoteSigner witnessKey, CheckpointSigner signer, CheckpointWitness witness, WitnessQuorumPolicy? policy)
    {
        Country = country;
        _storage = storage;
        Log = log;
        _witnessState = witnessState;
        _pseudonymiser = pseudonymiser;
        _logKey = logKey;
        _witnessKey = witnessKey;
        Signer = signer;
        Witness = witness;
        Policy = policy;
        Sink = new LedgerEventSink(log, pseudonymiser);
    }

    /// <summary>The node's country.</summary>
    public string Country { get; }

    /// <summary>How often the running node publishes and gossips its checkpoint (zero: only on demand); set it before the node starts.</summary>
    public TimeSpan PublishInterval { get; set; }

    /// <summary>The Merkle log.</summary>
    public MerkleLog Log { get; }

    /// <summary>Appends security events durably (the node's events flow through it).</summary>
    public LedgerEventSink Sink { get; }

    /// <summary>Signs this log's checkpoints.</summary>
    public CheckpointSigner Signer { get; }

    /// <summary>This node's witness for the other countries' logs.</summary>
    public CheckpointWitness Witness { get; }

    /// <summary>Pseudonymises patient identifiers exactly as the ledger entries do (one key across the federation).</summary>
    internal PatientPseudonymiser Pseudonymiser => _pseudonymiser;

    /// <summary>What this node's witness last cosigned, per log origin (the web console reads it).</summary>
    internal IWitnessStateStore WitnessState => _witnessState;

    /// <summary>The publication quorum over the other countries' witnesses; null in a federation of one (nothing can be published).</summary>
    public WitnessQuorumPolicy? Policy { get; }

    /// <summary>The publisher, once the node has a federation client (set by the node at build time).</summary>
    public CheckpointPublisher? Publisher { get; private set; }

    /// <summary>Watches the checkpoints gossiped by every node for split views (set by the node at build time).</summary>
    public SplitViewDetector? Detector { get; private set; }

    private FederationClient? _client;
    private TrustList? _trustList;

    /// <summary>The log origin of <paramref name="country"/> (the name of its ledger key).</summary>
    public static string Origin(string country) => OriginPrefix + country.ToUpperInvariant();

    /// <summary>What every federation log origin starts with (the country code follows).</summary>
    public const string OriginPrefix = "konfido.ncp/";

    /// <summary>The witness name of <paramref name="country"/>.</summary>
    public static string WitnessName(string country) => $"witness.konfido/{country.ToUpperInvariant()}";

    /// <summary>
    /// Opens (creating if new) the ledger under <paramref name="dataDirectory"/>. Requires the
    /// settings' key files and a trust list that lists this node's ledger and witness keys.
    /// </summary>
    public static async Task<NodeLedger> OpenAsync(string country, string dataDirectory, LedgerSettings settings, Func<string, string> resolve,
        TrustList trustList, ISecurityEventSink witnessEvents, Custody.IKeyCustody? custody = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(resolve);
        ArgumentNullException.ThrowIfNull(trustList);
        var logKey = CustodyReferences.LoadNoteSigner(settings.LogKey, Origin(country), custody, resolve, "ledger.logKey");
        var witnessKey = CustodyReferences.LoadNoteSigner(settings.WitnessKey, WitnessName(country), custody, resolve, "ledger.witnessKey");
        var self = trustList.Find(country) ?? throw new NodeConfigurationException($"{country} is not on the trust list");
        if (self.LedgerKey != logKey.VerifierKey || self.WitnessKey != witnessKey.CosignatureVerifierKey)
        {
            throw new NodeConfigurationException($"the trust list does not list this node's ledger and witness keys ({settings.LogKey}, {settings.WitnessKey})");
        }

        var others = trustList.Members.Where(m => !string.Equals(m.Country, country, StringComparison.OrdinalIgnoreCase)).ToArray();
        var witnessKeys = others.Select(m => m.WitnessKey).OfType<string>().ToArray();
        WitnessQuorumPolicy? policy = null;
        if (witnessKeys.Length > 0 || settings.Quorum is not null)
        {
            // A federation of one keeps its log but has nobody to publish to.
            var threshold = settings.Quorum ?? witnessKeys.Length;
            if (!WitnessQuorumPolicy.TryCreate(threshold, witnessKeys, out policy, out var errors))
            {
                throw new NodeConfigurationException($"ledger quorum: {string.Join("; ", errors)}");
            }
        }

        // A custody key is used through the custody for each new patient; only a key file is read into memory.
        var pseudonymiser = CustodyReferences.LedgerPseudonymiser(settings.PseudonymKey, custody, resolve, "ledger.pseudonymKey");
        var storage = await SqliteLogStorage.OpenAsync(Path.Combine(dataDirectory, "ledger.db"), cancellationToken).ConfigureAwait(false);
        // 512 tiles (4 MiB) of proof cache per log: a node's proofs are mostly near the head (publication, recent
        // accesses); older tiles come from SQLite.
        var log = await MerkleLog.OpenAsync(storage, new MerkleLogOptions { TileCacheCapacity = 512 }, cancellationToken).ConfigureAwait(false);
        var witnessState = SqliteWitnessStateStore.Open(Path.Combine(dataDirectory, "witness.db"));
        var trustedLogs = others.Select(m => m.LedgerKey).OfType<string>().Select(NoteVerifiers.Parse).ToArray();
        var witness = new CheckpointWitness(witnessKey, trustedLogs, witnessState, country, witnessEvents);
        return new NodeLedger(country, storage, log, witnessState, pseudonymiser, logKey, witnessKey, new CheckpointSigner(Origin(country), logKey), witness, policy)
        {
            PublishInterval = TimeSpan.FromSeconds(settings.PublishIntervalSeconds),
        };
    }

    /// <summary>Creates the publisher over the other members' witnesses, reached through <paramref name="client"/>.</summary>
    internal void AttachPublisher(FederationClient client, TrustList trustList, ISecurityEventSink events)
    {
        _client = client;
        _trustList = trustList;
        var allLogs = trustList.Members.Select(m => m.LedgerKey).OfType<string>().Select(NoteVerifiers.Parse).ToArray();
        Detector = new SplitViewDetector(allLogs, events, Country, ConsistencyProofAsync);
        if (Policy is null)
        {
            return;
        }

        var witnesses = trustList.Members
            .Where(m => !string.Equals(m.Country, Country, StringComparison.OrdinalIgnoreCase) && m.WitnessKey is not null)
            .Select(m => new WitnessEndpoint(WitnessName(m.Country), new FederationWitnessTransport(client, m.Country)));
        Publisher = new CheckpointPublisher(Log, Signer, witnesses, Policy);
    }

    /// <summary>
    /// Gossips this log's latest published checkpoint to every other member (and observes it here),
    /// so that a log showing different histories to different countries is caught.
    /// Returns the split views found, as reported by the peers and locally.
    /// </summary>
    public async Task<GossipResult> GossipAsync(CancellationToken cancellationToken = default)
    {
        var latest = Publisher?.Latest ?? throw new InvalidOperationException("nothing has been published yet");
        var note = latest.Checkpoint.ToString();
        var forks = (await Detector!.ObserveAsync(note, Country, cancellationToken).ConfigureAwait(false)).Count;
        var delivered = new List<string>();
        var failed = new List<string>();
        foreach (var member in _trustList!.Members.Where(m => !string.Equals(m.Country, Country, StringComparison.OrdinalIgnoreCase)))
        {
            try
            {
                var response = await _client!.PostAsync(member.Country, LedgerProtocol.GossipPath, Encoding.UTF8.GetBytes(note), "text/plain; charset=utf-8", cancellationToken).ConfigureAwait(false);
                if (response.Status == HttpStatusCode.OK)
                {
                    delivered.Add(member.Country);
                    forks += int.Parse(Encoding.UTF8.GetString(response.Body).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
                else
                {
                    failed.Add($"{member.Country}: {(int)response.Status}");
                }
            }
            catch (ExchangeException ex)
            {
                failed.Add($"{member.Country}: {ex.Message}");
            }
        }

        return new GossipResult(delivered, failed, forks);
    }

    /// <summary>A consistency proof for <paramref name="origin"/>'s log: computed here for this log, fetched from its node otherwise.</summary>
    private async ValueTask<IReadOnlyList<Konfido.Ledger.Merkle.MerkleHash>?> ConsistencyProofAsync(string origin, long size1, long size2, CancellationToken cancellationToken)
    {
        if (origin == Signer.Origin)
        {
            return size2 <= Log.Head.Size ? await Log.ProveConsistencyAsync(size1, size2, cancellationToken).ConfigureAwait(false) : null;
        }

        var member = _trustList?.Members.FirstOrDefault(m => m.LedgerKey is not null && NoteVerifiers.Parse(m.LedgerKey).Name == origin);
        if (member is null || _client is null)
        {
            return null;
        }

        try
        {
            var response = await _client.GetAsync(member.Country, $"{LedgerProtocol.ConsistencyPath}?size1={size1}&size2={size2}", cancellationToken).ConfigureAwait(false);
            if (response.Status != HttpStatusCode.OK)
            {
                return null;
            }

            var hashes = new List<Konfido.Ledger.Merkle.MerkleHash>();
            foreach (var line in Encoding.UTF8.GetString(response.Body).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!Konfido.Ledger.Merkle.MerkleHash.TryParseBase64(line.Trim(), out var hash))
                {
                    return null;
                }

                hashes.Add(hash);
            }

            return hashes;
        }
        catch (ExchangeException)
        {
            return null;
        }
    }

    /// <summary>Reads a C2SP signer key file; a configuration error names the field and file.</summary>
    internal static Ed25519NoteSigner ReadSigner(string path, string field)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"'{field}' {path}: {ex.Message}", ex);
        }

        return Ed25519NoteSigner.TryParse(text, out var signer, out var error)
            ? signer
            : throw new NodeConfigurationException($"'{field}' {path}: {error}");
    }

    /// <summary>Starts publishing every <see cref="PublishInterval"/> while the log grows (no-op without witnesses or an interval).</summary>
    internal void StartPublishing(Microsoft.Extensions.Logging.ILogger logger)
    {
        if (Publisher is null || PublishInterval <= TimeSpan.Zero || _publishLoop is not null)
        {
            return;
        }

        _publishing = new CancellationTokenSource();
        _publishLoop = Task.Run(() => PublishLoopAsync(Publisher, logger, _publishing.Token));
    }

    /// <summary>Stops the periodic publication, letting a round in flight finish.</summary>
    internal async Task StopPublishingAsync()
    {
        if (_publishing is null || _publishLoop is null)
        {
            return;
        }

        await _publishing.CancelAsync().ConfigureAwait(false);
        try
        {
            await _publishLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _publishing.Dispose();
        (_publishing, _publishLoop) = (null, null);
    }

    private async Task PublishLoopAsync(CheckpointPublisher publisher, Microsoft.Extensions.Logging.ILogger logger, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PublishInterval);
        var published = 0L;
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var size = Log.Head.Size;
            if (size == published)
            {
                continue;
            }

            try
            {
                var result = await publisher.PublishAsync(cancellationToken).ConfigureAwait(false);
                if (!result.Published)
                {
                    Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, "ledger {Country}: checkpoint of size {Size} not published, quorum not met: {Refusals}", Country, size, string.Join("; ", result.Refusals));
                    continue;
                }

                published = size;
                var gossip = await GossipAsync(cancellationToken).ConfigureAwait(false);
                if (gossip.Failed.Count > 0)
                {
                    Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, "ledger {Country}: gossip not delivered to {Failed}", Country, string.Join("; ", gossip.Failed));
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, "ledger {Country}: publication failed: {Reason}", Country, ex.Message);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopPublishingAsync().ConfigureAwait(false);
        await Log.DisposeAsync().ConfigureAwait(false);
        await _storage.DisposeAsync().ConfigureAwait(false);
        _witnessState.Dispose();
        _pseudonymiser.Dispose();
        _logKey.Dispose();
        _witnessKey.Dispose();
    }

    /// <summary>C2SP tlog-witness add-checkpoint over the federation's mutual TLS.</summary>
    private sealed class FederationWitnessTransport(FederationClient client, string country) : IWitnessTransport
    {
        public async ValueTask<AddCheckpointResponse> AddCheckpointAsync(string body, CancellationToken cancellationToken = default)
        {
            try
            {
                var response = await client.PostAsync(country, LedgerProtocol.AddCheckpointPath, Encoding.UTF8.GetBytes(body), "text/plain; charset=utf-8", cancellationToken).ConfigureAwait(false);
                return AddCheckpointResponse.FromHttp((int)response.Status, Encoding.UTF8.GetString(response.Body));
            }
            catch (ExchangeException ex)
            {
                return AddCheckpointResponse.FromHttp((int)HttpStatusCode.ServiceUnavailable, ex.Message);
            }
        }
    }
}

/// <summary>The ledger's federation endpoints.</summary>
public static class LedgerProtocol
{
    /// <summary>C2SP tlog-witness add-checkpoint, on the federation listener (mutual TLS).</summary>
    public const string AddCheckpointPath = "ledger/add-checkpoint";

    /// <summary>Checkpoint gossip: a signed checkpoint in, the number of split views it revealed out.</summary>
    public const string GossipPath = "ledger/gossip";

    /// <summary>A consistency proof of this node's log: <c>?size1=&amp;size2=</c>, base64 hashes one per line.</summary>
    public const string ConsistencyPath = "ledger/proof/consistency";
}

/// <summary>The outcome of gossiping a checkpoint to the federation.</summary>
/// <param name="Delivered">The countries that received it.</param>
/// <param name="Failed">The countries that could not be reached, with why.</param>
/// <param name="SplitViews">How many split views the gossip revealed (here and at the peers).</param>
public sealed record GossipResult(IReadOnlyList<string> Delivered, IReadOnlyList<string> Failed, int SplitViews);
