// Key schedule of the reverse-fuzzy-extractor authentication.
// References: A. Van Herrewege et al., "Reverse fuzzy extractors: enabling lightweight mutual
// authentication for PUF-enabled RFIDs", Financial Cryptography 2012 (the device computes only the
// helper data; the verifier decodes); RFC 5869 (HKDF-SHA-256); RFC 2104 (HMAC).
// T   = SHA-256("konfido-puf auth v1" | len‖deviceId | len‖sessionId | index | seed | nonce_D | nonce_N | helper)
// PRK = HKDF-Extract(salt = nonce_D ‖ nonce_N, IKM = fresh response bits, packed)
// device MAC key, node MAC key, session keys (device→node, node→device) = HKDF-Expand(PRK, label ‖ T)
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Konfido.Puf.Protocol;

internal static class KeySchedule
{
    public static byte[] Transcript(string deviceId, string sessionId, int index, byte[] seed, byte[] deviceNonce, byte[] nodeNonce, byte[] helper)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("konfido-puf auth v1"u8);
        AppendPrefixed(hash, Encoding.UTF8.GetBytes(deviceId));
        AppendPrefixed(hash, Encoding.UTF8.GetBytes(sessionId));
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(u32, index);
        hash.AppendData(u32);
        AppendPrefixed(hash, seed);
        AppendPrefixed(hash, deviceNonce);
        AppendPrefixed(hash, nodeNonce);
        AppendPrefixed(hash, helper);
        return hash.GetHashAndReset();
    }

    public static SessionSecrets Derive(ReadOnlySpan<byte> responseBits, byte[] deviceNonce, byte[] nodeNonce, byte[] transcript)
    {
        var ikm = Keys.BitPacking.Pack(responseBits);
        var salt = new byte[deviceNonce.Length + nodeNonce.Length];
        deviceNonce.CopyTo(salt, 0);
        nodeNonce.CopyTo(salt, deviceNonce.Length);
        var prk = HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt);
        CryptographicOperations.ZeroMemory(ikm);
        var secrets = new SessionSecrets(
            Expand(prk, 32, "device-mac", transcript),
            Expand(prk, 32, "node-mac", transcript),
            Expand(prk, 32, "session device-to-node", transcript),
            Expand(prk, 32, "session node-to-device", transcript));
        CryptographicOperations.ZeroMemory(prk);
        return secrets;
    }

    public static byte[] Mac(byte[] key, string role, byte[] transcript)
    {
        var label = Encoding.ASCII.GetBytes(role);
        var data = new byte[label.Length + transcript.Length];
        label.CopyTo(data, 0);
        transcript.CopyTo(data, label.Length);
        return HMACSHA256.HashData(key, data);
    }

    private static byte[] Expand(byte[] prk, int length, string label, byte[] transcript)
    {
        var info = new byte[label.Length + transcript.Length];
        Encoding.ASCII.GetBytes(label).CopyTo(info, 0);
        transcript.CopyTo(info, label.Length);
        return HKDF.Expand(HashAlgorithmName.SHA256, prk, length, info);
    }

    private static void AppendPrefixed(IncrementalHash hash, ReadOnlySpan<byte> data)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(u32, data.Length);
        hash.AppendData(u32);
        hash.AppendData(data);
    }
}

internal sealed record SessionSecrets(byte[] DeviceMacKey, byte[] NodeMacKey, byte[] DeviceToNode, byte[] NodeToDevice)
{
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(DeviceMacKey);
        CryptographicOperations.ZeroMemory(NodeMacKey);
        CryptographicOperations.ZeroMemory(DeviceToNode);
        CryptographicOperations.ZeroMemory(NodeToDevice);
    }
}
