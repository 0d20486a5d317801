using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Konfido.Sdk;

/// <summary>One reading from a device.</summary>
/// <param name="Kind">What was measured (see <see cref="ReadingKinds"/>).</param>
/// <param name="Value">The value in the kind's unit.</param>
/// <param name="MeasuredAt">When.</param>
public sealed record Reading(string Kind, double Value, DateTimeOffset MeasuredAt);

/// <summary>One line of the journal: a reading (<c>r</c>), a sealed batch (<c>b</c>), an acknowledgement (<c>a</c>) or a refusal (<c>x</c>).</summary>
internal sealed record JournalLine(
    [property: JsonPropertyName("r")] long? Reading = null,
    [property: JsonPropertyName("e")] byte[]? Sealed = null,
    [property: JsonPropertyName("b")] string? Batch = null,
    [property: JsonPropertyName("p")] string? Program = null,
    [property: JsonPropertyName("f")] string? ProgramKey = null,
    [property: JsonPropertyName("s")] long[]? Readings = null,
    [property: JsonPropertyName("a")] string? Acknowledged = null,
    [property: JsonPropertyName("d")] bool? Duplicate = null,
    [property: JsonPropertyName("x")] string? Refused = null,
    [property: JsonPropertyName("why")] string? Reason = null);

/// <summary>A reading as sealed in the journal.</summary>
internal sealed record SealedReading(
    [property: JsonPropertyName("k")] string Kind,
    [property: JsonPropertyName("v")] double Value,
    [property: JsonPropertyName("t")] DateTimeOffset At);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JournalLine))]
[JsonSerializable(typeof(SealedReading))]
internal sealed partial class JournalJson : JsonSerializerContext;

/// <summary>A batch recorded in the journal: its id, program, program key, readings and the file of its ciphertext.</summary>
internal sealed record JournalBatch(string UploadId, string ProgramId, string KeyId, long[] Readings, string CiphertextFile);

/// <summary>
/// The uploader's durable state: an append-only JSON-lines journal in a folder, each line written
/// through to the disk before the call returns. A reading is journalled when enqueued; a batch (its
/// ciphertext file first, then its line) before it is first sent; its acknowledgement after the node
/// answered. Replaying the journal after a crash gives back the unsent readings and the unacknowledged
/// batches with their upload ids, which the node deduplicates: nothing is lost, nothing counted twice.
/// A torn last line (a crash mid-write) is dropped. The readings are sealed at rest (AES-256-GCM under the
/// device's PUF-derived storage key, nonce ‖ ciphertext ‖ tag, bound to their sequence number): the folder alone
/// reveals no reading. Batches are HE ciphertexts already. Not thread-safe (the uploader serialises).
/// </summary>
internal sealed class UploadJournal : IDisposable
{
    private const string FileName = "journal.jsonl";
    private readonly AesGcm _aes;
    private readonly string _directory;
    private readonly SortedDictionary<long, Reading> _pending = [];
    private readonly List<JournalBatch> _batches = [];
    private FileStream _file;
    private long _nextReading;

    private UploadJournal(string directory, ReadOnlySpan<byte> key)
    {
        _aes = new AesGcm(key, 16);
        _directory = directory;
        Directory.CreateDirectory(BatchDirectory);
        var path = Path.Combine(directory, FileName);
        var valid = Replay(path);
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 4096, FileOptions.WriteThrough);
        _file.SetLength(valid);
        _file.Seek(valid, SeekOrigin.Begin);
    }

    public IReadOnlyCollection<KeyValuePair<long, Reading>> PendingReadings => _pending;

    public IReadOnlyList<JournalBatch> Batches => _batches;

    private string BatchDirectory => Path.Combine(_directory, "batches");

    /// <summary>Opens the journal in <paramref name="directory"/> with the 32-byte storage key. Throws <see cref="InvalidDataException"/> if it is corrupt or sealed under another key.</summary>
    public static UploadJournal Open(string directory, ReadOnlySpan<byte> key)
    {
        Directory.CreateDirectory(directory);
        return new(directory, key);
    }

    public void AddReading(Reading reading) => AddReadings([reading]);

    /// <summary>Journals several readings with one write to the disk (a device syncing its memory).</summary>
    public void AddReadings(IReadOnlyList<Reading> readings)
    {
        var text = new StringBuilder();
        var first = _nextReading;
        for (var i = 0; i < readings.Count; i++)
        {
            var r = readings[i];
            text.Append(JsonSerializer.Serialize(new JournalLine(Reading: first + i, Sealed: Seal(first + i, r)), JournalJson.Default.JournalLine)).Append('\n');
        }

        Write(Encoding.UTF8.GetBytes(text.ToString()));
        for (var i = 0; i < readings.Count; i++)
        {
            _pending[first + i] = readings[i];
        }

        _nextReading = first + readings.Count;
    }

    public JournalBatch AddBatch(string uploadId, string programId, string keyId, long[] readings, byte[] ciphertext)
    {
        var file = Path.Combine(BatchDirectory, uploadId + ".ct");
        using (var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            stream.Write(ciphertext);
            stream.Flush(flushToDisk: true);
        }

        Append(new JournalLine(Batch: uploadId, Program: programId, ProgramKey: keyId, Readings: readings));
        foreach (var seq in readings)
        {
            _pending.Remove(seq);
        }

        var batch = new JournalBatch(uploadId, programId, keyId, readings, file);
        _batches.Add(batch);
        return batch;
    }

    public void Acknowledge(JournalBatch batch, bool duplicate) => Close(batch, new JournalLine(Acknowledged: batch.UploadId, Duplicate: duplicate));

    public void Refuse(JournalBatch batch, string reason) => Close(batch, new JournalLine(Refused: batch.UploadId, Reason: reason));

    public static byte[] ReadCiphertext(JournalBatch batch) =>
        File.Exists(batch.CiphertextFile)
            ? File.ReadAllBytes(batch.CiphertextFile)
            : throw new InvalidDataException($"the journal names batch {batch.UploadId}, whose ciphertext file is gone: the journal folder was altered");

    public void Dispose()
    {
        _file.Dispose();
        _aes.Dispose();
    }

    private static byte[] Binding(long seq) => Encoding.ASCII.GetBytes("konfido-journal v1|" + seq.ToString(CultureInfo.InvariantCulture));

    private byte[] Seal(long seq, Reading reading)
    {
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(new SealedReading(reading.Kind, reading.Value, reading.MeasuredAt), JournalJson.Default.SealedReading);
        var blob = new byte[12 + plaintext.Length + 16];
        RandomNumberGenerator.Fill(blob.AsSpan(0, 12));
        _aes.Encrypt(blob.AsSpan(0, 12), plaintext, blob.AsSpan(12, plaintext.Length), blob.AsSpan(12 + plaintext.Length), Binding(seq));
        CryptographicOperations.ZeroMemory(plaintext);
        return blob;
    }

    private Reading Open(long seq, byte[] blob)
    {
        if (blob.Length < 28)
        {
            throw new InvalidDataException($"journal reading {seq} is truncated");
        }

        var plaintext = new byte[blob.Length - 28];
        try
        {
            _aes.Decrypt(blob.AsSpan(0, 12), blob.AsSpan(12, plaintext.Length), blob.AsSpan(blob.Length - 16), plaintext, Binding(seq));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new InvalidDataException($"journal reading {seq} does not open under this device's storage key (another device's journal, or altered)", ex);
        }

        var sealedReading = JsonSerializer.Deserialize(plaintext, JournalJson.Default.SealedReading)
            ?? throw new InvalidDataException($"journal reading {seq} is empty");
        CryptographicOperations.ZeroMemory(plaintext);
        return new Reading(sealedReading.Kind, sealedReading.Value, sealedReading.At);
    }

    private void Close(JournalBatch batch, JournalLine line)
    {
        Append(line);
        _batches.Remove(batch);
        File.Delete(batch.CiphertextFile);
        if (_pending.Count == 0 && _batches.Count == 0)
        {
            // Everything is acknowledged: start the journal afresh (the truncation is the commit).
            _file.SetLength(0);
            _file.Seek(0, SeekOrigin.Begin);
            _file.Flush(flushToDisk: true);
            _nextReading = 0;
        }
    }

    private void Append(JournalLine line) => Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(line, JournalJson.Default.JournalLine) + "\n"));

    private void Write(byte[] bytes)
    {
        _file.Write(bytes);
        _file.Flush(flushToDisk: true);
    }

    // Rebuilds the state; returns the length of the valid prefix (a torn last line is cut off).
    private long Replay(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        var bytes = File.ReadAllBytes(path);
        long valid = 0;
        var byId = new Dictionary<string, JournalBatch>(StringComparer.Ordinal);
        while (valid < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', (int)valid);
            if (end < 0)
            {
                break; // torn last line
            }

            JournalLine? line;
            try
            {
                line = JsonSerializer.Deserialize(bytes.AsSpan((int)valid, end - (int)valid), JournalJson.Default.JournalLine);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}: line at byte {valid} is not a journal record ({ex.Message})", ex);
            }

            Apply(line ?? throw new InvalidDataException($"{path}: empty record at byte {valid}"), byId);
            valid = end + 1;
        }

        return valid;
    }

    private void Apply(JournalLine line, Dictionary<string, JournalBatch> byId)
    {
        if (line.Reading is { } seq && line.Sealed is { } blob)
        {
            _pending[seq] = Open(seq, blob);
            _nextReading = Math.Max(_nextReading, seq + 1);
        }
        else if (line.Batch is { } id && line.Program is { } program && line.ProgramKey is { } key && line.Readings is { } readings)
        {
            var batch = new JournalBatch(id, program, key, readings, Path.Combine(BatchDirectory, id + ".ct"));
            byId[id] = batch;
            _batches.Add(batch);
            foreach (var r in readings)
            {
                _pending.Remove(r);
            }
        }
        else if ((line.Acknowledged ?? line.Refused) is { } closed && byId.TryGetValue(closed, out var done))
        {
            _batches.Remove(done);
        }
        else
        {
            throw new InvalidDataException("a journal record is neither a reading, a batch nor an acknowledgement of a known batch");
        }
    }
}
