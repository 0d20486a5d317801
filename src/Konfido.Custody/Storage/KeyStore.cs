using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Konfido.Custody.Storage;

/// <summary>One key record as stored: public description plus the backend-protected material (never clear).</summary>
internal sealed record StoredKey(
    CustodyKeyId Id,
    CustodyKeyKind Kind,
    byte[] PublicKey,
    byte[] ProtectedMaterial,
    bool HeldByBackend,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DestroyedAt)
{
    public CustodyKeyInfo ToInfo() => new(Id, Kind, PublicKey, CreatedAt, DestroyedAt);
}

/// <summary>
/// The persistent key store: one JSON file per key under <c>keys/</c>, named by the SHA-256 of the
/// key id, written atomically with mode 0600. A destroyed key leaves a tombstone without material.
/// </summary>
internal sealed class KeyStore
{
    private const int FormatVersion = 1;
    private readonly string _directory;

    public KeyStore(string directory)
    {
        _directory = Path.Combine(directory, "keys");
        AtomicFile.EnsureDirectory(directory);
        AtomicFile.EnsureDirectory(_directory);
    }

    public string DirectoryPath => _directory;

    public StoredKey? Find(CustodyKeyId id)
    {
        var path = PathOf(id);
        if (!File.Exists(path))
        {
            return null;
        }

        var record = Parse(File.ReadAllBytes(path), path);
        if (record.Id != id)
        {
            throw new InvalidDataException($"Key file '{path}' holds key '{record.Id}', not '{id}'.");
        }

        return record;
    }

    public IReadOnlyList<StoredKey> All() =>
        Directory.EnumerateFiles(_directory, "*.key")
            .Select(path => Parse(File.ReadAllBytes(path), path))
            .OrderBy(k => k.Id.Value, StringComparer.Ordinal)
            .ToList();

    /// <summary>Adds a new record; throws <see cref="InvalidOperationException"/> if the id is taken (even by a tombstone).</summary>
    public void Add(StoredKey key)
    {
        try
        {
            AtomicFile.Write(PathOf(key.Id), Serialize(key), overwrite: false);
        }
        catch (IOException) when (File.Exists(PathOf(key.Id)))
        {
            throw new InvalidOperationException($"Custody key '{key.Id}' already exists (ids are never reused, even after destruction).");
        }
    }

    /// <summary>Replaces a record by its tombstone, then zeroes the old file's bytes through a handle
    /// opened before the replacement (readers never see a half-destroyed record).</summary>
    public void ReplaceWithTombstone(StoredKey tombstone)
    {
        var path = PathOf(tombstone.Id);
        using var old = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        AtomicFile.Write(path, Serialize(tombstone), overwrite: true);
        AtomicFile.Overwrite(old);
    }

    private string PathOf(CustodyKeyId id) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id.Value))) + ".key");

    private static byte[] Serialize(StoredKey key)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("version", FormatVersion);
            json.WriteString("id", key.Id.Value);
            json.WriteString("kind", CustodyKeyKinds.Name(key.Kind));
            json.WriteString("created", key.CreatedAt);
            if (key.DestroyedAt is { } destroyed)
            {
                json.WriteString("destroyed", destroyed);
            }

            json.WriteBoolean("held_by_backend", key.HeldByBackend);
            json.WriteBase64String("public", key.PublicKey);
            json.WriteBase64String("protected", key.ProtectedMaterial);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static StoredKey Parse(byte[] content, string path)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
            var root = document.RootElement;
            if (root.GetProperty("version").GetInt32() != FormatVersion)
            {
                throw new InvalidDataException($"Key file '{path}' has an unknown format version.");
            }

            var kindName = root.GetProperty("kind").GetString();
            var kind = Enum.GetValues<CustodyKeyKind>().FirstOrDefault(k => CustodyKeyKinds.Name(k) == kindName);
            if (kind == default)
            {
                throw new InvalidDataException($"Key file '{path}' has an unknown key kind '{kindName}'.");
            }

            return new StoredKey(
                CustodyKeyId.Parse(root.GetProperty("id").GetString()!),
                kind,
                root.GetProperty("public").GetBytesFromBase64(),
                root.GetProperty("protected").GetBytesFromBase64(),
                root.GetProperty("held_by_backend").GetBoolean(),
                root.GetProperty("created").GetDateTimeOffset(),
                root.TryGetProperty("destroyed", out var d) ? d.GetDateTimeOffset() : null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"Key file '{path}' is malformed: {ex.Message}", ex);
        }
    }
}
