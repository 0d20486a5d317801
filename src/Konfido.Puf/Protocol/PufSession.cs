// Record protection after PUF authentication: AES-256-GCM (NIST SP 800-38D) with one key per
// direction and a 96-bit nonce = 4-byte direction label ‖ 64-bit message counter; the receiver
// accepts only strictly increasing counters (no replay, no reordering).
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Konfido.Puf.Protocol;

/// <summary>Which end of a <see cref="PufSession"/> this is.</summary>
public enum PufSessionRole
{
    /// <summary>The device (seals uploads, opens node messages).</summary>
    Device,

    /// <summary>The node (opens uploads, seals replies).</summary>
    Node,
}

/// <summary>
/// An authenticated session between a device and the node: seals the device's uploads (e.g. encrypted
/// readings for the HE analytics) and the node's replies. Not thread-safe; dispose to zeroise the keys.
/// </summary>
public sealed class PufSession : IDisposable
{
    private readonly AesGcm _send;
    private readonly AesGcm _receive;
    private readonly uint _sendLabel;
    private readonly uint _receiveLabel;
    private ulong _sent;
    private ulong _lastReceived;

    internal PufSession(string sessionId, string deviceId, PufSessionRole role, byte[] deviceToNode, byte[] nodeToDevice)
    {
        SessionId = sessionId;
        DeviceId = deviceId;
        Role = role;
        var (send, receive) = role == PufSessionRole.Device ? (deviceToNode, nodeToDevice) : (nodeToDevice, deviceToNode);
        _send = new AesGcm(send, 16);
        _receive = new AesGcm(receive, 16);
        _sendLabel = role == PufSessionRole.Device ? 0x44324E31u : 0x4E324431u; // "D2N1" / "N2D1"
        _receiveLabel = role == PufSessionRole.Device ? 0x4E324431u : 0x44324E31u;
    }

    /// <summary>The session id.</summary>
    public string SessionId { get; }

    /// <summary>The authenticated device.</summary>
    public string DeviceId { get; }

    /// <summary>This end's role.</summary>
    public PufSessionRole Role { get; }

    /// <summary>Encrypts one message: counter (8 bytes) ‖ ciphertext ‖ tag (16 bytes).</summary>
    /// <param name="plaintext">The message.</param>
    /// <param name="associatedData">Authenticated, unencrypted context (e.g. a content type).</param>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData = default)
    {
        var counter = ++_sent;
        var record = new byte[8 + plaintext.Length + 16];
        BinaryPrimitives.WriteUInt64BigEndian(record, counter);
        Span<byte> nonce = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(nonce, _sendLabel);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
        _send.Encrypt(nonce, plaintext, record.AsSpan(8, plaintext.Length), record.AsSpan(8 + plaintext.Length), associatedData);
        return record;
    }

    /// <summary>Decrypts one message from the other end; null if it was altered, replayed or reordered.</summary>
    /// <param name="record">The sealed message.</param>
    /// <param name="associatedData">The same associated data as at sealing.</param>
    public byte[]? Open(ReadOnlySpan<byte> record, ReadOnlySpan<byte> associatedData = default)
    {
        if (record.Length < 24)
        {
            return null;
        }

        var counter = BinaryPrimitives.ReadUInt64BigEndian(record);
        if (counter <= _lastReceived)
        {
            return null;
        }

        Span<byte> nonce = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(nonce, _receiveLabel);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
        var plaintext = new byte[record.Length - 24];
        try
        {
            _receive.Decrypt(nonce, record.Slice(8, plaintext.Length), record[^16..], plaintext, associatedData);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }

        _lastReceived = counter;
        return plaintext;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _send.Dispose();
        _receive.Dispose();
    }
}
