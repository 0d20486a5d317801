using Konfido.Exchange;
using Konfido.Siem.Alerts;
using Microsoft.Data.Sqlite;

namespace Konfido.Node;

/// <summary>
/// The durable outbox of alerts shared with the other members: each (alert, peer) pair is committed to
/// SQLite before the SIEM goes on, and a sender delivers the rows in order, retrying a peer that is
/// unreachable with exponential backoff (up to a minute) until it answers. A row is deleted once the peer
/// accepted it or refused it for good (4xx); rows left by a crash are sent after the restart. The
/// receiver keeps one alert per (origin, id), so a row sent twice is harmless.
/// </summary>
internal sealed class AlertOutbox : IAlertSink, IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);
    private readonly string _country;
    private readonly FederationClient _client;
    private readonly Func<TrustList> _trustList;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time;
    private readonly Task _sender;
    private long _failures;
    private long _sends;

    public AlertOutbox(string country, string dataDirectory, FederationClient client, Func<TrustList> trustList, TimeProvider? time = null)
    {
        _country = country;
        _client = client;
        _trustList = trustList;
        _time = time ?? TimeProvider.System;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDirectory, "alert-outbox.db"), Pooling = false }.ToString();
        using (var connection = Open())
        {
            Execute(connection, """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS outbox(
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    peer TEXT NOT NULL,
                    body BLOB NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    due INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT);
                """);
        }

        _sender = Task.Run(() => SendLoopAsync(_stop.Token));
    }

    /// <summary>Failed delivery attempts so far (each is retried).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Rows waiting for delivery.</summary>
    public long Pending
    {
        get
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM outbox";
            return (long)command.ExecuteScalar()!;
        }
    }

    public async ValueTask PublishAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        var body = SharedAlert.FromAlert(alert).ToJsonBytes();
        var peers = _trustList().Members.Where(m => !string.Equals(m.Country, _country, StringComparison.OrdinalIgnoreCase)).Select(m => m.Country).ToArray();
        if (peers.Length == 0)
        {
            return;
        }

        await using (var connection = Open())
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var peer in peers)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "INSERT INTO outbox(peer, body) VALUES ($peer, $body)";
                command.Parameters.AddWithValue("$peer", peer);
                command.Parameters.AddWithValue("$body", body);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        _wake.Release();
    }

    /// <summary>
    /// Waits until every row queued before the call was delivered, refused, or tried at least once and
    /// failed (its retries go on in the background).
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        long last;
        await using (var connection = Open())
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT coalesce(max(seq), 0) FROM outbox";
            last = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        _wake.Release();
        while (true)
        {
            await using (var connection = Open())
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT count(*) FROM outbox WHERE seq <= $last AND attempts = 0";
                command.Parameters.AddWithValue("$last", last);
                if ((long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 0 && Interlocked.Read(ref _sends) == 0)
                {
                    return;
                }
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _sender.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _wake.Dispose();
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var batch = new List<(long Seq, string Peer, byte[] Body, int Attempts)>();
            long? nextDue = null;
            await using (var connection = Open())
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT seq, peer, body, attempts, due FROM outbox ORDER BY seq LIMIT 200";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var due = reader.GetInt64(4);
                    if (due <= now)
                    {
                        batch.Add((reader.GetInt64(0), reader.GetString(1), (byte[])reader[2], reader.GetInt32(3)));
                    }
                    else
                    {
                        nextDue = nextDue is null ? due : Math.Min(nextDue.Value, due);
                    }
                }
            }

            // One peer that is down must not hold back the others: each peer's failure defers only its own rows.
            var failedPeers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (seq, peer, body, attempts) in batch)
            {
                if (failedPeers.Contains(peer))
                {
                    continue;
                }

                Interlocked.Increment(ref _sends);
                try
                {
                    var error = await DeliverAsync(peer, body, cancellationToken).ConfigureAwait(false);
                    if (error is null)
                    {
                        await ExecuteAsync("DELETE FROM outbox WHERE seq = $seq", seq, null, 0, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        Interlocked.Increment(ref _failures);
                        failedPeers.Add(peer);
                        var backoff = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(attempts, 16))));
                        await ExecuteAsync("UPDATE outbox SET attempts = attempts + 1, due = $due, last_error = $error WHERE peer = $peer AND seq >= $seq",
                            seq, error, _time.GetUtcNow().Add(backoff).ToUnixTimeMilliseconds(), cancellationToken, peer).ConfigureAwait(false);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _sends);
                }
            }

            if (batch.Count > 0 && failedPeers.Count == 0)
            {
                continue; // there may be more rows
            }

            var wait = nextDue is { } d ? TimeSpan.FromMilliseconds(Math.Clamp(d - _time.GetUtcNow().ToUnixTimeMilliseconds(), 10, MaxBackoff.TotalMilliseconds)) : MaxBackoff;
            if (failedPeers.Count > 0)
            {
                wait = TimeSpan.FromMilliseconds(250);
            }

            await _wake.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Null if the peer took the alert (or refused it for good), otherwise why not.</summary>
    private async Task<string?> DeliverAsync(string peer, byte[] body, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.PostAsync(peer, NodeSiem.SharePath, body, "application/json", cancellationToken).ConfigureAwait(false);
            return (int)response.Status is >= 200 and < 300 or >= 400 and < 500 ? null : $"HTTP {(int)response.Status}";
        }
        catch (ExchangeException ex)
        {
            return ex.Message;
        }
    }

    private async Task ExecuteAsync(string sql, long seq, string? error, long due, CancellationToken cancellationToken, string? peer = null)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$seq", seq);
        if (sql.Contains("$error", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("$error", error ?? string.Empty);
            command.Parameters.AddWithValue("$due", due);
            command.Parameters.AddWithValue("$peer", peer ?? string.Empty);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
