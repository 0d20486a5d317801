using System.Text;
using Konfido.Testing;

namespace Konfido.Sdk.Tests;

/// <summary>The uploader's journal: what a crash can leave behind, and what it must not accept.</summary>
public sealed class JournalTests
{
    private static readonly byte[] Key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void A_torn_last_line_is_dropped_and_the_rest_replays()
    {
        using var directory = new TemporaryDirectory("konfido-journal");
        long length;
        using (var journal = UploadJournal.Open(directory.Path, Key))
        {
            for (var i = 0; i < 5; i++)
            {
                journal.AddReading(new Reading(ReadingKinds.HeartRate, 60 + i, DateTimeOffset.UnixEpoch.AddMinutes(i)));
            }

            journal.AddBatch("batch-1", "hr", "key-1", [0, 1], [1, 2, 3]);
            length = new FileInfo(directory.File("journal.jsonl")).Length;
        }

        File.AppendAllText(directory.File("journal.jsonl"), "{\"r\":5,\"e\":\"AAEC");
        using (var journal = UploadJournal.Open(directory.Path, Key))
        {
            Assert.Equal([2L, 3, 4], journal.PendingReadings.Select(p => p.Key));
            var batch = Assert.Single(journal.Batches);
            Assert.Equal([1, 2, 3], UploadJournal.ReadCiphertext(batch));
            Assert.Equal(length, new FileInfo(directory.File("journal.jsonl")).Length);
            journal.AddReading(new Reading(ReadingKinds.HeartRate, 99, DateTimeOffset.UnixEpoch));
            Assert.Equal(5L, journal.PendingReadings.Last().Key);
            journal.Acknowledge(batch, duplicate: false);
        }

        using (var journal = UploadJournal.Open(directory.Path, Key))
        {
            Assert.Empty(journal.Batches);
            Assert.Equal(4, journal.PendingReadings.Count);
        }
    }

    [Fact]
    public void Several_readings_are_journalled_in_one_write_and_replay_in_order()
    {
        using var directory = new TemporaryDirectory("konfido-journal");
        using (var journal = UploadJournal.Open(directory.Path, Key))
        {
            journal.AddReading(new Reading(ReadingKinds.Systolic, 120, DateTimeOffset.UnixEpoch));
            journal.AddReadings([new Reading(ReadingKinds.Systolic, 121, DateTimeOffset.UnixEpoch), new Reading(ReadingKinds.Diastolic, 80, DateTimeOffset.UnixEpoch)]);
        }

        using (var journal = UploadJournal.Open(directory.Path, Key))
        {
            Assert.Equal([0L, 1, 2], journal.PendingReadings.Select(p => p.Key));
            Assert.Equal([120.0, 121, 80], journal.PendingReadings.Select(p => p.Value.Value));
        }
    }

    [Fact]
    public void Readings_are_sealed_at_rest_and_open_only_under_the_devices_key()
    {
        using var directory = new TemporaryDirectory("konfido-journal");
        using (var journal = UploadJournal.Open(directory.Path, Key))
        {
            journal.AddReading(new Reading(ReadingKinds.Glucose, 12.3456, DateTimeOffset.UnixEpoch));
        }

        var text = File.ReadAllText(directory.File("journal.jsonl"));
        Assert.DoesNotContain("12.3456", text, StringComparison.Ordinal);
        Assert.DoesNotContain(ReadingKinds.Glucose, text, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => UploadJournal.Open(directory.Path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        using (var journal = UploadJournal.Open(directory.Path, Key))
        {
            Assert.Equal(12.3456, Assert.Single(journal.PendingReadings).Value.Value);
        }
    }

    [Fact]
    public async Task Another_device_cannot_open_a_devices_journal_folder()
    {
        using var directory = new TemporaryDirectory("konfido-journal");
        using var client = KonfidoClient.Create(new KonfidoClientOptions { NodeUri = new Uri("https://127.0.0.1:9/") });
        var meter = DeviceIdentity.Simulated("meter-journal", 0x1234UL);
        using (var uploader = ReadingUploader.Open(client, meter, new ReadingUploaderOptions { JournalDirectory = directory.Path }))
        {
            await uploader.EnqueueAsync(new Reading(ReadingKinds.HeartRate, 71, DateTimeOffset.UnixEpoch));
        }

        // The same meter (a fresh, noisy read of the same PUF) reproduces its key; another PUF does not.
        using (var again = ReadingUploader.Open(client, meter, new ReadingUploaderOptions { JournalDirectory = directory.Path }))
        {
            Assert.Equal(1, again.PendingReadings);
        }

        var other = DeviceIdentity.Simulated("meter-journal", 0x9999UL);
        Assert.Throws<InvalidDataException>(() => ReadingUploader.Open(client, other, new ReadingUploaderOptions { JournalDirectory = directory.Path }));
    }

    [Fact]
    public void A_corrupt_line_inside_the_journal_is_an_error_not_a_silent_loss()
    {
        using var directory = new TemporaryDirectory("konfido-journal");
        using (var journal = UploadJournal.Open(directory.Path, Key))
        {
            journal.AddReading(new Reading(ReadingKinds.Glucose, 5.5, DateTimeOffset.UnixEpoch));
        }

        var text = File.ReadAllText(directory.File("journal.jsonl"));
        File.WriteAllText(directory.File("journal.jsonl"), "not json\n" + text, Encoding.UTF8);
        Assert.Throws<InvalidDataException>(() => UploadJournal.Open(directory.Path, Key));
    }
}
