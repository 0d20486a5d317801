using System.Text;
using Konfido.Testing;

namespace Konfido.Sdk.Tests;

/// <summary>The uploader's journal: what a crash can leave behind, and what it must not accept.</summary>
public sealed class JournalTests
{
    [Fact]
    public void A_torn_last_line_is_dropped_and_the_rest_replays()
    {
        using var directory = new TemporaryDirectory("konfido-journal");
        long length;
        using (var journal = UploadJournal.Open(directory.Path))
        {
            for (var i = 0; i < 5; i++)
            {
                journal.AddReading(new Reading(ReadingKinds.HeartRate, 60 + i, DateTimeOffset.UnixEpoch.AddMinutes(i)));
            }

            journal.AddBatch("batch-1", "hr", "key-1", [0, 1], [1, 2, 3]);
            length = new FileInfo(directory.File("journal.jsonl")).Length;
        }

        File.AppendAllText(directory.File("journal.jsonl"), "{\"r\":5,\"k\":\"heart-ra");
        using (var journal = UploadJournal.Open(directory.Path))
        {
            Assert.Equal([2L, 3, 4], journal.PendingReadings.Select(p => p.Key));
            var batch = Assert.Single(journal.Batches);
            Assert.Equal([1, 2, 3], UploadJournal.ReadCiphertext(batch));
            Assert.Equal(length, new FileInfo(directory.File("journal.jsonl")).Length);
            journal.AddReading(new Reading(ReadingKinds.HeartRate, 99, DateTimeOffset.UnixEpoch));
            Assert.Equal(5L, journal.PendingReadings.Last().Key);
            journal.Acknowledge(batch, duplicate: false);
        }

        using (var journal = UploadJournal.Open(directory.Path))
        {
            Assert.Empty(journal.Batches);
            Assert.Equal(4, journal.PendingReadings.Count);
        }
    }

    [Fact]
    public void Several_readings_are_journalled_in_one_write_and_replay_in_order()
    {
        using var directory = new TemporaryDirectory("konfido-journal");
        using (var journal = UploadJournal.Open(directory.Path))
        {
            journal.AddReading(new Reading(ReadingKinds.Systolic, 120, DateTimeOffset.UnixEpoch));
            journal.AddReadings([new Reading(ReadingKinds.Systolic, 121, DateTimeOffset.UnixEpoch), new Reading(ReadingKinds.Diastolic, 80, DateTimeOffset.UnixEpoch)]);
        }

        using (var journal = UploadJournal.Open(directory.Path))
        {
            Assert.Equal([0L, 1, 2], journal.PendingReadings.Select(p => p.Key));
            Assert.Equal([120.0, 121, 80], journal.PendingReadings.Select(p => p.Value.Value));
        }
    }

    [Fact]
    public void A_corrupt_line_inside_the_journal_is_an_error_not_a_silent_loss()
    {
        using var directory = new TemporaryDirectory("konfido-journal");
        using (var journal = UploadJournal.Open(directory.Path))
        {
            journal.AddReading(new Reading(ReadingKinds.Glucose, 5.5, DateTimeOffset.UnixEpoch));
        }

        var text = File.ReadAllText(directory.File("journal.jsonl"));
        File.WriteAllText(directory.File("journal.jsonl"), "not json\n" + text, Encoding.UTF8);
        Assert.Throws<InvalidDataException>(() => UploadJournal.Open(directory.Path));
    }
}
