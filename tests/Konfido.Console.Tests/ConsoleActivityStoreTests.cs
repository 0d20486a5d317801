using Konfido.Core;
using Konfido.Node;
using Konfido.Testing;
using Microsoft.Data.Sqlite;

namespace Konfido.Console.Tests;

/// <summary>The console's view kept in its SQLite file: across restarts, bounded, and readable after a crash mid-write.</summary>
public sealed class ConsoleActivityStoreTests
{
    private static SecurityEvent Event(int i, string category = EventCategories.Exchange, string? patient = null, string? actor = null) => new()
    {
        Node = "DK",
        Category = category,
        Action = $"action-{i}",
        PatientId = patient,
        Actor = actor,
        Reason = i % 3 == 0 ? $"reason {i}" : null,
        Attributes = new Dictionary<string, string>(StringComparer.Ordinal) { ["i"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    private static string Pseudonym(string id) => "hmac-sha256:" + new string(id.Reverse().ToArray());

    [Fact]
    public async Task A_restart_over_the_same_file_has_every_event_count_device_and_node_event_and_goes_on_numbering()
    {
        using var directory = new TemporaryDirectory("konfido-console-store");
        var path = Path.Combine(directory.Path, ConsoleActivity.FileName);
        var published = new List<SecurityEvent>();
        IReadOnlyList<MinuteCount> perMinute;
        IReadOnlyList<ObservedDevice> devices;
        await using (var first = ConsoleActivity.Open(path, Pseudonym))
        {
            for (var i = 0; i < 40; i++)
            {
                var category = (i % 5) switch { 0 => EventCategories.HomomorphicEncryption, 1 => EventCategories.Device, 2 => NodeHealth.Category, _ => EventCategories.Exchange };
                var e = Event(i, category, patient: i % 4 == 0 ? $"patient-{i}" : null, actor: category == EventCategories.Device ? $"meter-{i % 3}" : null);
                published.Add(e);
                await first.PublishAsync(e);
            }

            perMinute = first.PerMinute(5);
            devices = first.Devices();
        }

        await using var second = ConsoleActivity.Open(path, Pseudonym);
        var kept = second.Since(0, ConsoleActivity.Capacity);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), kept.Select(e => e.Sequence));
        Assert.Equal(published.Select(e => e.Id), kept.Select(e => e.Event.Id));
        Assert.Equal(published.Select(e => (e.Action, e.Category, e.Reason, e.Attributes["i"])), kept.Select(e => (e.Event.Action, e.Event.Category, e.Event.Reason, e.Event.Attributes["i"])));
        // Patients stay pseudonymised in the file: the clear identifier was never written.
        Assert.Equal(published.Select(e => e.PatientId is null ? null : Pseudonym(e.PatientId)), kept.Select(e => e.Event.PatientId));
        Assert.DoesNotContain("patient-0", File.ReadAllText(path, System.Text.Encoding.Latin1), StringComparison.Ordinal);
        Assert.Equal(published.Where(e => e.Category == EventCategories.HomomorphicEncryption).Select(e => e.Id), second.Analytics().Select(e => e.Event.Id));
        Assert.Equal(published.Where(e => e.Category == NodeHealth.Category).Select(e => e.Id), second.NodeEvents().Select(e => e.Event.Id));
        Assert.Equal(devices.OrderBy(d => d.DeviceId, StringComparer.Ordinal), second.Devices().OrderBy(d => d.DeviceId, StringComparer.Ordinal));
        Assert.Equal(perMinute.Select(m => m.Total), second.PerMinute(5).Select(m => m.Total));

        // The next event goes on from the last; the SIEM's stream index of the new run maps past the old events.
        var next = Event(99);
        await second.PublishAsync(next);
        Assert.Equal(41, second.BySequence(41)!.Sequence);
        Assert.Equal(next.Id, second.BySequence(41)!.Event.Id);
        Assert.Equal(2, second.Runs.Count);
        Assert.Equal(41, second.SequenceOfStreamIndex(0, DateTimeOffset.UtcNow));
        Assert.Equal(1, second.SequenceOfStreamIndex(0, second.Runs[0].StartedAt));
    }

    [Fact]
    public async Task The_file_is_bounded_to_what_the_console_keeps_and_node_events_outlive_the_ring()
    {
        using var directory = new TemporaryDirectory("konfido-console-store");
        var path = Path.Combine(directory.Path, ConsoleActivity.FileName);
        var nodeEvents = new List<string>();
        const int total = ConsoleActivity.Capacity + 1500;
        await using (var activity = ConsoleActivity.Open(path))
        {
            for (var i = 0; i < total; i++)
            {
                var e = Event(i, i % 1000 == 7 ? NodeHealth.Category : EventCategories.Exchange);
                if (e.Category == NodeHealth.Category)
                {
                    nodeEvents.Add(e.Id);
                }

                await activity.PublishAsync(e);
                if (i % 700 == 0)
                {
                    await activity.FlushAsync();
                }
            }
        }

        await using var reopened = ConsoleActivity.Open(path);
        Assert.Equal(total, reopened.LastSequence);
        Assert.Equal(Enumerable.Range(total - ConsoleActivity.Capacity + 1, ConsoleActivity.Capacity).Select(i => (long)i), reopened.Since(0, ConsoleActivity.Capacity).Select(e => e.Sequence));
        Assert.Equal(nodeEvents, reopened.NodeEvents().Select(e => e.Event.Id));
        Assert.Equal(ConsoleActivity.Capacity + nodeEvents.Count(id => reopened.Find(id) is null), Rows(path));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(5000)]
    public async Task A_crash_mid_write_leaves_a_readable_store_with_every_transaction_committed_before_it(int cutBytes)
    {
        using var directory = new TemporaryDirectory("konfido-console-store");
        var path = Path.Combine(directory.Path, ConsoleActivity.FileName);
        var published = new List<string>();
        var crashed = Path.Combine(directory.Path, "crashed.db");
        await using (var activity = ConsoleActivity.Open(path))
        {
            for (var i = 0; i < 20; i++)
            {
                var e = Event(i);
                published.Add(e.Id);
                await activity.PublishAsync(e);
                if (i == 9)
                {
                    await activity.FlushAsync();
                }
            }

            await activity.FlushAsync();
            // The files as a crash during the second flush leaves them: the last transaction's frames torn off the write-ahead log.
            File.Copy(path, crashed);
            var wal = File.ReadAllBytes(path + "-wal");
            File.WriteAllBytes(crashed + "-wal", wal[..Math.Max(0, wal.Length - cutBytes)]);
        }

        await using var reopened = ConsoleActivity.Open(crashed);
        Assert.Null(reopened.StoreMovedAside);
        var kept = reopened.Since(0, ConsoleActivity.Capacity);
        // A prefix of what was published, whole transactions only: at least the first flush's ten events, never the torn last one.
        Assert.InRange(kept.Count, 10, 19);
        Assert.Equal(published.Take(kept.Count), kept.Select(e => e.Event.Id));
        Assert.Equal(Enumerable.Range(1, kept.Count).Select(i => (long)i), kept.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Garbage_after_the_last_commit_is_ignored_and_an_unreadable_file_is_moved_aside()
    {
        using var directory = new TemporaryDirectory("konfido-console-store");
        var path = Path.Combine(directory.Path, ConsoleActivity.FileName);
        var crashed = Path.Combine(directory.Path, "crashed.db");
        await using (var activity = ConsoleActivity.Open(path))
        {
            for (var i = 0; i < 5; i++)
            {
                await activity.PublishAsync(Event(i));
            }

            await activity.FlushAsync();
            File.Copy(path, crashed);
            File.WriteAllBytes(crashed + "-wal", [.. File.ReadAllBytes(path + "-wal"), .. System.Security.Cryptography.RandomNumberGenerator.GetBytes(3000)]);
        }

        await using (var reopened = ConsoleActivity.Open(crashed))
        {
            Assert.Equal(5, reopened.LastSequence);
            Assert.Equal(5, reopened.Since(0).Count);
        }

        var broken = Path.Combine(directory.Path, "broken.db");
        File.WriteAllBytes(broken, [.. "SQLite format 3\0"u8.ToArray(), .. System.Security.Cryptography.RandomNumberGenerator.GetBytes(8192)]);
        await using var fresh = ConsoleActivity.Open(broken);
        Assert.NotNull(fresh.StoreMovedAside);
        Assert.True(File.Exists(fresh.StoreMovedAside));
        Assert.Equal(0, fresh.LastSequence);
        await fresh.PublishAsync(Event(1));
        await fresh.FlushAsync();
        Assert.Equal(1, Rows(broken));
    }

    [Fact]
    public async Task A_file_that_cannot_be_opened_for_another_reason_leaves_the_view_in_memory_and_says_why()
    {
        using var directory = new TemporaryDirectory("konfido-console-store");
        var path = Path.Combine(directory.Path, "no-such-folder", ConsoleActivity.FileName);
        await using var activity = ConsoleActivity.Open(path);
        Assert.Null(activity.StorePath);
        Assert.Contains(path, activity.StoreError, StringComparison.Ordinal);
        await activity.PublishAsync(Event(1));
        await activity.FlushAsync();
        Assert.Equal(1, activity.LastSequence);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    private static long Rows(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM events";
        return (long)command.ExecuteScalar()!;
    }
}
