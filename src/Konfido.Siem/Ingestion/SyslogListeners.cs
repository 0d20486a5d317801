using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Konfido.Siem.Ingestion;

// Syslog transports: UDP (RFC 5426: one message per datagram), TCP with octet counting
// (RFC 6587 section 3.4.1: "MSG-LEN SP SYSLOG-MSG") or non-transparent newline framing
// (section 3.4.2), and TLS (RFC 5425, which mandates octet counting; newline framing is accepted
// too). The framing of a TCP connection is detected from its first byte: a digit means octet
// counting. TCP/TLS readers wait when the SIEM queue is full (backpressure through TCP flow
// control); UDP cannot wait, so full-queue datagrams are dropped and counted.

/// <summary>Receives syslog over UDP and hands each datagram to <see cref="SiemNode.TryIngestLine"/>.</summary>
public sealed class SyslogUdpListener : IAsyncDisposable
{
    private readonly UdpClient _client;
    private readonly SiemNode _node;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Binds to <paramref name="endpoint"/> (port 0 picks a free port) and starts receiving.</summary>
    /// <param name="endpoint">The local endpoint.</param>
    /// <param name="node">The SIEM node.</param>
    public SyslogUdpListener(IPEndPoint endpoint, SiemNode node)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
        _client = new UdpClient(endpoint);
        _loop = Task.Run(ReceiveAsync);
    }

    /// <summary>The bound endpoint.</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)_client.Client.LocalEndPoint!;

    private async Task ReceiveAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult datagram;
            try
            {
                datagram = await _client.ReceiveAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            var text = Encoding.UTF8.GetString(datagram.Buffer).TrimEnd('\n', '\r', '\0');
            _node.TryIngestLine(text);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _client.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>Receives syslog over TCP, or TLS when a server certificate is given; octet counting or newline framing.</summary>
public sealed class SyslogTcpListener : IAsyncDisposable
{
    /// <summary>The largest message accepted with octet counting; larger frames close the connection.</summary>
    public const int MaxMessageLength = 1 << 20;

    private readonly TcpListener _listener;
    private readonly SiemNode _node;
    private readonly X509Certificate2? _certificate;
    private readonly bool _requireClientCertificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private readonly List<Task> _connections = [];
    private long _framingErrors;

    /// <summary>Listens on <paramref name="endpoint"/>; with <paramref name="certificate"/> every connection is TLS.</summary>
    /// <param name="endpoint">The local endpoint (port 0 picks a free port).</param>
    /// <param name="node">The SIEM node.</param>
    /// <param name="certificate">The server certificate with its private key, or null for plain TCP.</param>
    /// <param name="requireClientCertificate">Whether TLS clients must present a certificate (mutual TLS).</param>
    public SyslogTcpListener(IPEndPoint endpoint, SiemNode node, X509Certificate2? certificate = null, bool requireClientCertificate = false)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
        _certificate = certificate;
        _requireClientCertificate = requireClientCertificate;
        _listener = new TcpListener(endpoint);
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    /// <summary>The bound endpoint.</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Connections closed because of a malformed or oversized frame.</summary>
    public long FramingErrors => Interlocked.Read(ref _framingErrors);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => ServeAsync(client)));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = _certificate,
                        ClientCertificateRequired = _requireClientCertificate,
                    }, _stop.Token).ConfigureAwait(false);
                    stream = tls;
                }

                await using (stream.ConfigureAwait(false))
                {
                    await ReadFramesAsync(stream).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                // The peer went away, TLS failed, or we are stopping.
            }
        }
    }

    private async Task ReadFramesAsync(Stream stream)
    {
        var reader = new FrameReader(stream);
        while (!_stop.IsCancellationRequested)
        {
            var frame = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
            if (frame.Error)
            {
                Interlocked.Increment(ref _framingErrors);
                return;
            }

            if (frame.Message is null)
            {
                return;
            }

            if (frame.Message.Length > 0)
            {
                await _node.IngestLineAsync(frame.Message, _stop.Token).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accept.ConfigureAwait(false);
        Task[] pending;
        lock (_connections)
        {
            pending = _connections.ToArray();
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Reads octet-counted or newline-delimited frames from a byte stream.</summary>
    internal sealed class FrameReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private readonly MemoryStream _pending = new();
        private int _start;
        private int _end;

        public async ValueTask<(string? Message, bool Error)> ReadAsync(CancellationToken cancellationToken)
        {
            // Skip blank separators between frames.
            while (true)
            {
                if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    return (null, false);
                }

                if (_buffer[_start] is (byte)'\n' or (byte)'\r' or (byte)' ')
                {
                    _start++;
                    continue;
                }

                break;
            }

            return char.IsAsciiDigit((char)_buffer[_start])
                ? await ReadOctetCountedAsync(cancellationToken).ConfigureAwait(false)
                : await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }

        private async ValueTask<(string?, bool)> ReadOctetCountedAsync(CancellationToken cancellationToken)
        {
            var length = 0;
            while (true)
            {
                if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    return (null, true);
                }

                var b = _buffer[_start++];
                if (b == (byte)' ')
                {
                    break;
                }

                if (!char.IsAsciiDigit((char)b) || length > MaxMessageLength / 10)
                {
                    return (null, true);
                }

                length = length * 10 + (b - '0');
            }

            if (length > MaxMessageLength)
            {
                return (null, true);
            }

            var message = new byte[length];
            var copied = 0;
            while (copied < length)
            {
                if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    return (null, true);
                }

                var n = Math.Min(length - copied, _end - _start);
                Array.Copy(_buffer, _start, message, copied, n);
                _start += n;
                copied += n;
            }

            return (Encoding.UTF8.GetString(message).TrimEnd('\n', '\r'), false);
        }

        private async ValueTask<(string?, bool)> ReadLineAsync(CancellationToken cancellationToken)
        {
            _pending.SetLength(0);
            while (true)
            {
                if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    // The last line without a terminator still counts.
                    return _pending.Length > 0 ? (Encoding.UTF8.GetString(_pending.ToArray()).TrimEnd('\r'), false) : (null, false);
                }

                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    _pending.Write(_buffer, _start, newline - _start);
                    _start = newline + 1;
                    return (Encoding.UTF8.GetString(_pending.GetBuffer(), 0, (int)_pending.Length).TrimEnd('\r'), false);
                }

                _pending.Write(_buffer, _start, _end - _start);
                _start = _end;
                if (_pending.Length > MaxMessageLength)
                {
                    return (null, true);
                }
            }
        }

        private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            return _end > 0;
        }
    }
}
