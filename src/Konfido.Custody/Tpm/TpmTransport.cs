using System.Buffers.Binary;
using System.Net.Sockets;

namespace Konfido.Custody.Tpm;

/// <summary>
/// Carries raw TPM 2.0 command bytes to a TPM and returns its response bytes. A TCP connection to
/// swtpm's server port is exclusive (swtpm serves one connection at a time), which makes one
/// transport a lock on the whole TPM across processes; the kernel's <c>/dev/tpmrm0</c> virtualises
/// handles per open file instead.
/// </summary>
internal abstract class TpmTransport : IDisposable
{
    private const int HeaderSize = 10;
    private const int MaxResponse = 64 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static TpmTransport Open(TpmEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.DevicePath is null ? TcpTransport.Connect(endpoint) : DeviceTransport.OpenDevice(endpoint);
    }

    /// <summary>Sends one command, returns the whole response.</summary>
    public byte[] Execute(ReadOnlySpan<byte> command)
    {
        try
        {
            var stream = Stream;
            stream.Write(command);
            stream.Flush();
            return ReadResponse(stream);
        }
        catch (Exception ex) when (ex is IOException or SocketException or EndOfStreamException)
        {
            throw new TpmUnavailableException($"Lost the connection to the TPM: {ex.Message}", ex);
        }
    }

    /// <summary>Reads one response: the header, then the rest of the size it announces.</summary>
    protected virtual byte[] ReadResponse(Stream stream)
    {
        var header = new byte[HeaderSize];
        stream.ReadExactly(header);
        var size = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(2));
        if (size is < HeaderSize or > MaxResponse)
        {
            throw new TpmFormatException($"TPM response size {size} is out of range.");
        }

        var response = new byte[size];
        header.CopyTo(response, 0);
        stream.ReadExactly(response, HeaderSize, (int)size - HeaderSize);
        return response;
    }

    protected abstract Stream Stream { get; }

    public abstract void Dispose();

    private sealed class TcpTransport(TcpClient client) : TpmTransport
    {
        private readonly NetworkStream _stream = client.GetStream();

        public static TcpTransport Connect(TpmEndpoint endpoint)
        {
            var client = new TcpClient { NoDelay = true };
            try
            {
                client.Connect(endpoint.Host!, endpoint.Port);
                client.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
                client.SendTimeout = (int)Timeout.TotalMilliseconds;
                return new TcpTransport(client);
            }
            catch (SocketException ex)
            {
                client.Dispose();
                throw new TpmUnavailableException($"No TPM at {endpoint}: {ex.Message}", ex);
            }
        }

        protected override Stream Stream => _stream;

        public override void Dispose()
        {
            _stream.Dispose();
            client.Dispose();
        }
    }

    private sealed class DeviceTransport(FileStream device) : TpmTransport
    {
        public static DeviceTransport OpenDevice(TpmEndpoint endpoint)
        {
            try
            {
                return new DeviceTransport(new FileStream(endpoint.DevicePath!, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new TpmUnavailableException($"No TPM at {endpoint}: {ex.Message}", ex);
            }
        }

        protected override Stream Stream => device;

        // A TPM character device hands over a whole response in one read.
        protected override byte[] ReadResponse(Stream stream)
        {
            var buffer = new byte[MaxResponse];
            var n = stream.Read(buffer);
            if (n < HeaderSize || BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(2)) != n)
            {
                throw new TpmFormatException("Short or inconsistent response from the TPM device.");
            }

            return buffer.AsSpan(0, n).ToArray();
        }

        public override void Dispose() => device.Dispose();
    }
}
