using Konfido.Custody.Crypto;
using Konfido.Custody.Storage;
using Konfido.Custody.Tpm;

namespace Konfido.Custody.Software;

/// <summary>Loads or creates the 256-bit machine key of the software backend.</summary>
internal static class MachineKey
{
    public const int Size = 32;

    /// <summary>From a file readable by the owner only (mode 0600), created with a random key if missing.</summary>
    public static SecretBuffer FromFile(string path)
    {
        if (!File.Exists(path))
        {
            using var fresh = SecretBuffer.Random(Size);
            try
            {
                AtomicFile.Write(path, fresh.Span, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & ~AtomicFile.OwnerOnly & (UnixFileMode)0x1FF) != 0)
            {
                throw new InvalidOperationException(
                    $"The machine key file '{path}' is accessible to others (mode {Convert.ToString((int)mode, 8)}): it must be 0600.");
            }
        }

        var key = new SecretBuffer(Size);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
        {
            if (stream.Length != Size)
            {
                key.Dispose();
                throw new InvalidDataException($"The machine key file '{path}' is not {Size} bytes.");
            }

            stream.ReadExactly(key.Span);
        }

        return key;
    }

    /// <summary>Sealed by a TPM: the file holds a TPM sealed-data object, useless without that TPM.</summary>
    public static SecretBuffer SealedByTpm(string path, TpmEndpoint endpoint, TpmStorageKeyAlgorithm storageKey)
    {
        using var session = TpmSession.Open(endpoint, storageKey);
        if (!File.Exists(path))
        {
            using var fresh = SecretBuffer.Random(Size);
            var blob = session.Create(TpmTemplates.SealedData, fresh.Span);
            try
            {
                AtomicFile.Write(path, TpmBlobs.Encode(blob), overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
        }

        if (!TpmBlobs.TryDecode(File.ReadAllBytes(path), out var stored, out _))
        {
            throw new InvalidDataException($"The TPM-sealed machine key file '{path}' is malformed.");
        }

        var loaded = session.Load(stored);
        var clear = session.Unseal(loaded);
        try
        {
            if (clear.Length != Size)
            {
                throw new InvalidDataException($"The TPM-sealed machine key in '{path}' is not {Size} bytes.");
            }

            return SecretBuffer.CopyOf(clear);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(clear);
        }
    }
}
