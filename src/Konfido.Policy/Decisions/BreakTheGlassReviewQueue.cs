using System.Globalization;
using System.Text.Json;
using Konfido.Core;
using Konfido.Policy.Storage;

namespace Konfido.Policy.Decisions;

/// <summary>The state of a break-the-glass review.</summary>
public enum ReviewStatus
{
    /// <summary>Not reviewed yet.</summary>
    Pending,

    /// <summary>Reviewed.</summary>
    Reviewed,
}

/// <summary>A reviewer's verdict on a break-the-glass access.</summary>
public enum ReviewVerdict
{
    /// <summary>The emergency access was justified.</summary>
    Justified,

    /// <summary>The emergency access was not justified (reported as a policy violation).</summary>
    Unjustified,
}

/// <summary>One break-the-glass access awaiting or after review.</summary>
public sealed record BreakTheGlassReview
{
    /// <summary>The review's id.</summary>
    public required string Id { get; init; }

    /// <summary>When the access was decided.</summary>
    public required DateTimeOffset AccessedAt { get; init; }

    /// <summary>The professional.</summary>
    public required string SubjectId { get; init; }

    /// <summary>The professional's role.</summary>
    public required string Role { get; init; }

    /// <summary>The professional's organisation.</summary>
    public string? Organisation { get; init; }

    /// <summary>Country B.</summary>
    public required string RequestingCountry { get; init; }

    /// <summary>Country A.</summary>
    public required string HomeCountry { get; init; }

    /// <summary>The patient.</summary>
    public required string PatientId { get; init; }

    /// <summary>The transaction.</summary>
    public required string Transaction { get; init; }

    /// <summary>The break-the-glass rule that fired.</summary>
    public required string RuleId { get; init; }

    /// <summary>The decision's reasons.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }

    /// <summary>Pending or reviewed.</summary>
    public ReviewStatus Status { get; init; }

    /// <summary>Who reviewed it.</summary>
    public string? Reviewer { get; init; }

    /// <summary>The verdict.</summary>
    public ReviewVerdict? Verdict { get; init; }

    /// <summary>The reviewer's note.</summary>
    public string? Note { get; init; }

    /// <summary>When it was reviewed.</summary>
    public DateTimeOffset? ReviewedAt { get; init; }
}

/// <summary>
/// Break-the-glass accesses queued (in SQLite) for mandatory after-the-fact review by the
/// home country's data-protection staff. Reviews emit a <c>break-the-glass-review</c> event;
/// an unjustified verdict is a failure outcome the SIEM can alert on.
/// </summary>
public sealed class BreakTheGlassReviewQueue
{
    private readonly SqliteDatabase _db;
    private readonly ISecurityEventSink? _events;
    private readonly TimeProvider _time;

    /// <summary>Opens (creating if needed) the queue. Requires a SQLite connection string.</summary>
    /// <param name="connectionString">E.g. <c>Data Source=/var/lib/konfido/policy.db</c>.</param>
    /// <param name="events">Receives review events, if given.</param>
    /// <param name="time">The clock; the system clock by default.</param>
    public BreakTheGlassReviewQueue(string connectionString, ISecurityEventSink? events = null, TimeProvider? time = null)
    {
        _db = new SqliteDatabase(connectionString, """
            CREATE TABLE IF NOT EXISTS btg_review (
              id TEXT PRIMARY KEY,
              accessed_at TEXT NOT NULL,
              status TEXT NOT NULL,
              json TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS btg_review_status ON btg_review (status, accessed_at);
            """);
        _events = events;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Queues a break-the-glass decision for review. Requires a break-the-glass decision.</summary>
    /// <param name="request">The request.</param>
    /// <param name="decision">Its decision (<see cref="AccessDecision.IsBreakTheGlass"/>).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<BreakTheGlassReview> EnqueueAsync(AccessRequest request, AccessDecision decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decision);
        if (!decision.IsBreakTheGlass)
        {
            throw new ArgumentException("only break-the-glass decisions are queued for review", nameof(decision));
        }

        var review = new BreakTheGlassReview
        {
            Id = Guid.NewGuid().ToString("N"),
            AccessedAt = request.Time,
            SubjectId = request.SubjectId,
            Role = PolicyVocabulary.Format(request.Role),
            Organisation = request.Organisation,
            RequestingCountry = request.RequestingCountry.Value,
            HomeCountry = request.HomeCountry.Value,
            PatientId = request.PatientId,
            Transaction = PolicyVocabulary.Format(request.Transaction),
            RuleId = decision.RuleId,
            Reasons = decision.Reasons,
            Status = ReviewStatus.Pending,
        };
        await SaveAsync(review, insert: true, cancellationToken).ConfigureAwait(false);
        return review;
    }

    /// <summary>The pending reviews, oldest first.</summary>
    public Task<IReadOnlyList<BreakTheGlassReview>> PendingAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync("SELECT json FROM btg_review WHERE status = 'Pending' ORDER BY accessed_at, id",
            new Dictionary<string, object?>(), r => Parse(r.GetString(0)), cancellationToken);

    /// <summary>Every review, oldest first.</summary>
    public Task<IReadOnlyList<BreakTheGlassReview>> AllAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync("SELECT json FROM btg_review ORDER BY accessed_at, id",
            new Dictionary<string, object?>(), r => Parse(r.GetString(0)), cancellationToken);

    /// <summary>The review with id <paramref name="id"/>, or null.</summary>
    public async Task<BreakTheGlassReview?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var rows = await _db.QueryAsync("SELECT json FROM btg_review WHERE id = $id",
            new Dictionary<string, object?> { ["$id"] = id }, r => Parse(r.GetString(0)), cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Records a review. Returns the reviewed entry, or null with a reason if there is no such
    /// pending entry (unknown id or already reviewed). Requires a reviewer.
    /// </summary>
    /// <param name="id">The review id.</param>
    /// <param name="reviewer">Who reviews.</param>
    /// <param name="verdict">The verdict.</param>
    /// <param name="note">The reviewer's note.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task<(BreakTheGlassReview? Review, string? Failure)> ReviewAsync(string id, string reviewer, ReviewVerdict verdict, string? note, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(reviewer);
        var existing = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return (null, $"no break-the-glass review with id '{id}'");
        }

        if (existing.Status == ReviewStatus.Reviewed)
        {
            return (null, $"review '{id}' was already reviewed by {existing.Reviewer}");
        }

        var reviewed = existing with
        {
            Status = ReviewStatus.Reviewed,
            Reviewer = reviewer,
            Verdict = verdict,
            Note = note,
            ReviewedAt = _time.GetUtcNow(),
        };
        await SaveAsync(reviewed, insert: false, cancellationToken).ConfigureAwait(false);
        if (_events is not null)
        {
            await _events.PublishAsync(new SecurityEvent
            {
                Node = reviewed.HomeCountry,
                Category = EventCategories.Policy,
                Action = "break-the-glass-review",
                Outcome = verdict == ReviewVerdict.Justified ? EventOutcome.Success : EventOutcome.Failure,
                Actor = reviewer,
                PatientId = reviewed.PatientId,
                SourceCountry = reviewed.RequestingCountry,
                TargetCountry = reviewed.HomeCountry,
                Reason = verdict == ReviewVerdict.Justified ? null : $"break-the-glass access by {reviewed.SubjectId} judged unjustified: {note}",
                Attributes = new Dictionary<string, string>
                {
                    ["review.id"] = reviewed.Id,
                    ["review.verdict"] = verdict.ToString(),
                    ["review.subject"] = reviewed.SubjectId,
                },
            }, cancellationToken).ConfigureAwait(false);
        }

        return (reviewed, null);
    }

    private Task<int> SaveAsync(BreakTheGlassReview review, bool insert, CancellationToken cancellationToken) =>
        _db.ExecuteAsync(insert
                ? "INSERT INTO btg_review (id, accessed_at, status, json) VALUES ($id, $at, $status, $json)"
                : "UPDATE btg_review SET status = $status, json = $json WHERE id = $id AND accessed_at = $at",
            new Dictionary<string, object?>
            {
                ["$id"] = review.Id,
                ["$at"] = review.AccessedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                ["$status"] = review.Status.ToString(),
                ["$json"] = JsonSerializer.Serialize(review, PolicyJsonContext.Default.BreakTheGlassReview),
            }, cancellationToken);

    private static BreakTheGlassReview Parse(string json) =>
        JsonSerializer.Deserialize(json, PolicyJsonContext.Default.BreakTheGlassReview) ?? throw new InvalidDataException("a stored review is JSON null");
}
