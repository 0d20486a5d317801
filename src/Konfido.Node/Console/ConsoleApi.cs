using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Konfido.Core;
using Konfido.Eid.Saml;
using Konfido.Exchange;
using Konfido.Ledger.Notes;
using Konfido.Ledger.Witnessing;
using Konfido.Policy.Decisions;
using Konfido.Siem.Alerts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Konfido.Node;

/// <summary>
/// The web console's JSON API under <c>/console/api/</c>, on the local listener only. Every call
/// needs an eID session of the node's own staff (<see cref="ConsoleRole"/>) at level of assurance
/// substantial or high; auditors read, operators also acknowledge alerts, decide break-the-glass
/// reviews and record breach notifications (POST with a JSON body, so that no cross-site form can
/// trigger them). Every operator action and every refused one is a security event on the node's path.
/// </summary>
internal static class ConsoleApi
{
    /// <summary>The most alerts read for a page or a chart.</summary>
    private const int AlertLimit = 1000;

    /// <summary>The longest ledger entry shown in full (longer ones are cut).</summary>
    private const int MaxEntryChars = 8192;

    public static void Map(WebApplication app, KonfidoNode node, NodeWebConsole console)
    {
        var components = node.Components;
        var api = app.MapGroup("/console/api");
        api.AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            ConsoleAssets.RequireLocalListener(context, components);
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers["X-Content-Type-Options"] = "nosniff";
            return await next(invocation).ConfigureAwait(false);
        });

        api.MapGet("/me", (HttpContext context) =>
        {
            var staff = Require(context, node, act: false);
            return Results.Json(new
            {
                person = staff.PersonIdentifier,
                name = staff.DisplayName,
                role = staff.ConsoleRole!.Value.ToString().ToLowerInvariant(),
                loa = staff.Level.ToShortName(),
                expires = staff.Expires,
                country = components.Country,
                canAct = staff.ConsoleRole == ConsoleRole.Operator,
            });
        });

        api.MapGet("/overview", async (HttpContext context) =>
        {
            Require(context, node, act: false);
            var ct = context.RequestAborted;
            var alerts = node.Siem is { } siem ? (await siem.AlertsAsync(limit: AlertLimit, cancellationToken: ct).ConfigureAwait(false)).Count : (int?)null;
            var breaches = node.Policy?.Breaches is { } workflow ? (await workflow.OpenCasesAsync(ct).ConfigureAwait(false)).Count : (int?)null;
            var reviews = node.Policy is { } policy ? (await policy.Reviews.PendingAsync(ct).ConfigureAwait(false)).Count : (int?)null;
            return Results.Json(new
            {
                country = components.Country,
                events = console.Activity.LastSequence,
                alerts,
                openBreaches = breaches,
                pendingReviews = reviews,
                ledgerSize = components.Ledger?.Log.Head.Size,
                publishedSize = PublishedCheckpoint(components.Ledger)?.Size,
                analyticsPrograms = node.Analytics.Programs.Count,
                failing = node.Health.Conditions().Count(c => !c.Healthy),
            });
        });

        // The node's own events (starts, stops, faults, recoveries) and what it currently sees failing.
        api.MapGet("/health", (HttpContext context) =>
        {
            Require(context, node, act: false);
            var activity = console.Activity;
            return Results.Json(new
            {
                country = components.Country,
                conditions = node.Health.Conditions().Select(c => new { subject = c.Subject, healthy = c.Healthy, since = c.Since, reason = c.Reason, failures = c.Failures }).ToArray(),
                runs = activity.Runs.Select(r => new { firstSequence = r.Base + 1, startedAt = r.StartedAt }).ToArray(),
                store = new { kept = activity.StorePath is not null, error = activity.StoreError, movedAside = activity.StoreMovedAside is not null },
                events = activity.NodeEvents().Reverse().Select(EventJson).ToArray(),
            });
        });

        api.MapGet("/federation", async (HttpContext context) =>
        {
            Require(context, node, act: false);
            var trust = components.TrustList();
            var now = DateTimeOffset.UtcNow;
            var peers = (await console.Peers.ProbeAsync(context.RequestAborted).ConfigureAwait(false)).ToDictionary(p => p.Country, StringComparer.OrdinalIgnoreCase);
            var own = components.Credentials.TlsCertificate;
            return Results.Json(new
            {
                country = components.Country,
                federation = trust.Federation,
                sequence = trust.Sequence,
                issuedAt = trust.IssuedAt,
                nextUpdate = trust.NextUpdate,
                daysToNextUpdate = Days(trust.NextUpdate, now),
                members = trust.Members.Select(m =>
                {
                    var self = string.Equals(m.Country, components.Country, StringComparison.OrdinalIgnoreCase);
                    var status = self ? null : peers.GetValueOrDefault(m.Country);
                    DateTimeOffset? tlsExpiry = self ? new DateTimeOffset(own.NotAfter.ToUniversalTime(), TimeSpan.Zero) : status?.CertificateNotAfter;
                    var assertionExpiry = CertificateExpiry(m.AssertionCertificate);
                    var issuerExpiry = CertificateExpiry(m.TlsIssuer);
                    return new
                    {
                        country = m.Country,
                        name = m.Name,
                        endpoint = m.Endpoint.AbsoluteUri,
                        self,
                        tlsCertificateSha256 = m.TlsCertificateSha256,
                        ledger = m.LedgerKey is not null,
                        witness = m.WitnessKey is not null,
                        attested = m.AttestationKey is not null,
                        @sealed = m.PayloadKey is not null,
                        tlsIssued = m.TlsIssuer is not null,
                        tlsIssuerNotAfter = issuerExpiry,
                        tlsIssuerDaysLeft = issuerExpiry is { } i ? Days(i, now) : (double?)null,
                        status = self ? "this node" : status is null ? "unknown" : status.Reachable ? "up" : "down",
                        latencyMs = status?.LatencyMs,
                        error = status?.Error,
                        checkedAt = status?.CheckedAt,
                        tlsNotAfter = tlsExpiry,
                        tlsDaysLeft = tlsExpiry is { } t ? Days(t, now) : (double?)null,
                        assertionNotAfter = assertionExpiry,
                        assertionDaysLeft = assertionExpiry is { } a ? Days(a, now) : (double?)null,
                    };
                }).ToArray(),
            });
        });

        api.MapGet("/activity", (HttpContext context) =>
        {
            Require(context, node, act: false);
            var after = LongQuery(context, "after", 0);
            var category = context.Request.Query["category"].ToString();
            // With a category: its latest 500 among every event kept (not only among the latest 500 events).
            var events = category.Length == 0 ? console.Activity.Since(after, 500) : console.Activity.Since(after, ConsoleActivity.Capacity);
            var last = events.Count > 0 ? events[^1].Sequence : Math.Max(after, console.Activity.LastSequence);
            return Results.Json(new
            {
                last,
                // Where each run of the node began, for telling the events before a restart from the current run's.
                runs = console.Activity.Runs.Select(r => new { firstSequence = r.Base + 1, startedAt = r.StartedAt }).ToArray(),
                events = events.Where(e => category.Length == 0 || e.Event.Category == category).TakeLast(500).Select(EventJson).ToArray(),
            });
        });

        // Server-sent events: every new event as it arrives, for the live exchanges page.
        api.MapGet("/activity/stream", async (HttpContext context) =>
        {
            Require(context, node, act: false);
            var after = LongQuery(context, "after", console.Activity.LastSequence);
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-store";
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, app.Lifetime.ApplicationStopping);
            try
            {
                await context.Response.WriteAsync(": konfido console\n\n", stop.Token).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
                // The stream ends with the session (logout, expiry): checked before every write.
                while (!stop.IsCancellationRequested && EidApi.Find(context, node.Eid!) is not null)
                {
                    using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                    heartbeat.CancelAfter(TimeSpan.FromSeconds(15));
                    try
                    {
                        await console.Activity.WaitAsync(after, heartbeat.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                        await context.Response.WriteAsync(": heartbeat\n\n", stop.Token).ConfigureAwait(false);
                        await context.Response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
                        continue;
                    }

                    foreach (var e in console.Activity.Since(after, 200))
                    {
                        var json = JsonSerializer.Serialize(EventJson(e));
                        await context.Response.WriteAsync($"id: {e.Sequence}\nevent: activity\ndata: {json}\n\n", stop.Token).ConfigureAwait(false);
                        after = e.Sequence;
                    }

                    after = Math.Max(after, console.Activity.LastSequence);
                    await context.Response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // The browser left or the node stops.
            }
        });

        api.MapGet("/metrics", async (HttpContext context) =>
        {
            Require(context, node, act: false);
            var minutes = (int)Math.Clamp(LongQuery(context, "minutes", 30), 1, ConsoleActivity.MinutesKept);
            var alerts = node.Siem is { } siem ? await siem.AlertsAsync(limit: AlertLimit, cancellationToken: context.RequestAborted).ConfigureAwait(false) : [];
            return Results.Json(new
            {
                perMinute = console.Activity.PerMinute(minutes).Select(m => new { minute = m.Minute, total = m.Total, byCategory = m.ByCategory }).ToArray(),
                alertsByRule = alerts.GroupBy(a => a.RuleId, StringComparer.Ordinal)
                    .Select(g => new { ruleId = g.Key, title = g.First().Title, alerts = g.Count(), occurrences = g.Sum(a => a.Count) })
                    .OrderByDescending(r => r.alerts).ThenBy(r => r.title, StringComparer.Ordinal).ToArray(),
            });
        });

        api.MapGet("/alerts", async (HttpContext context) =>
        {
            Require(context, node, act: false);
            var siem = RequireSiem(node);
            var alerts = await siem.AlertsAsync(limit: AlertLimit, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            var acknowledged = await console.Acknowledgements!.AllAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new { alerts = alerts.Select(a => AlertJson(a, acknowledged.GetValueOrDefault(a.Id))).ToArray() });
        });

        api.MapGet("/alerts/{id}", async (HttpContext context, string id) =>
        {
            Require(context, node, act: false);
            var siem = RequireSiem(node);
            var alert = await siem.Node.Store.GetAsync(id, context.RequestAborted).ConfigureAwait(false)
                ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", $"no alert '{id}'");
            var acknowledged = await console.Acknowledgements!.AllAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new
            {
                alert = AlertJson(alert, acknowledged.GetValueOrDefault(alert.Id)),
                // Evidence references resolved to the events the console still holds (never for alerts shared by another country).
                evidence = alert.Evidence.Select(reference => Evidence(reference, alert, console.Activity) is { } e
                    ? (object)new { reference, kept = true, @event = EventJson(e) }
                    : new { reference, kept = false }).ToArray(),
            });
        });

        api.MapPost("/alerts/{id}/acknowledge", async (HttpContext context, string id) =>
        {
            var staff = Require(context, node, act: true, $"acknowledge alert {id}");
            var siem = RequireSiem(node);
            var body = await ReadJsonAsync(context).ConfigureAwait(false);
            var note = OptionalString(body, "note", AlertAcknowledgements.MaxNoteLength);
            var alert = await siem.Node.Store.GetAsync(id, context.RequestAborted).ConfigureAwait(false)
                ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", $"no alert '{id}'");
            var acknowledgement = new AlertAcknowledgement(alert.Id, staff.PersonIdentifier, staff.DisplayName, DateTimeOffset.UtcNow, note);
            if (!await console.Acknowledgements!.AddAsync(acknowledgement, context.RequestAborted).ConfigureAwait(false))
            {
                throw new ExchangeException(HttpStatusCode.Conflict, "conflict", $"alert '{id}' was already acknowledged");
            }

            await node.Events.PublishAsync(StaffEvent(components.Country, staff, EventCategories.Siem, "alert-acknowledge", EventOutcome.Success, null,
                ("alert.id", alert.Id), ("rule.id", alert.RuleId)), context.RequestAborted).ConfigureAwait(false);
            return Results.Json(AlertJson(alert, acknowledgement));
        });

        api.MapGet("/ledger", async (HttpContext context) =>
        {
            Require(context, node, act: false);
            var ledger = RequireLedger(components);
            var head = ledger.Log.Head;
            var latest = ledger.Publisher?.Latest;
            var published = PublishedCheckpoint(ledger);
            console.ObserveCheckpoint(latest);
            var trust = components.TrustList();
            var witnessed = new List<object>();
            foreach (var member in trust.Members.Where(m => !string.Equals(m.Country, components.Country, StringComparison.OrdinalIgnoreCase) && m.LedgerKey is not null))
            {
                var state = await ledger.WitnessState.GetAsync(NodeLedger.Origin(member.Country), context.RequestAborted).ConfigureAwait(false);
                witnessed.Add(new { origin = NodeLedger.Origin(member.Country), country = member.Country, size = state?.Size, root = state?.Root.ToBase64() });
            }

            return Results.Json(new
            {
                origin = NodeLedger.Origin(components.Country),
                size = head.Size,
                root = head.Root.ToBase64(),
                quorum = ledger.Policy is { } policy ? new { threshold = policy.Threshold, witnesses = policy.Witnesses.Count } : null,
                latest = latest is null ? null : new
                {
                    size = published?.Size,
                    root = published?.Root.ToBase64(),
                    published = latest.Published,
                    cosigners = latest.Quorum.Cosigners,
                    invalidCosigners = latest.Quorum.InvalidCosigners,
                    threshold = latest.Quorum.Threshold,
                    refusals = latest.Refusals,
                    note = latest.Checkpoint.ToString(),
                },
                history = console.Checkpoints().Select(c => new { size = c.Size, root = c.Root, published = c.Published, cosigners = c.Cosigners, seenAt = c.SeenAt }).ToArray(),
                witness = new { name = ledger.Witness.Name, logs = witnessed },
                splitViews = console.Activity.Since(0, ConsoleActivity.Capacity).Count(e => e.Event.Action == "split-view"),
            });
        });

        api.MapGet("/ledger/entries", async (HttpContext context) =>
        {
            Require(context, node, act: false);
            var ledger = RequireLedger(components);
            var count = (int)Math.Clamp(LongQuery(context, "count", 25), 1, 200);
            var size = ledger.Log.Head.Size;
            var entries = new List<object>();
            for (var i = size - 1; i >= 0 && i >= size - count; i--)
            {
                entries.Add(new { index = i, entry = Cut(Encoding.UTF8.GetString(await ledger.Log.ReadEntryAsync(i, context.RequestAborted).ConfigureAwait(false))) });
            }

            return Results.Json(new { size, entries });
        });

        api.MapGet("/ledger/proof/{index}", async (HttpContext context, string index) =>
        {
            Require(context, node, act: false);
            var ledger = RequireLedger(components);
            if (!long.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var i))
            {
                throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"entry index '{index}' is not a non-negative integer");
            }

            var latest = ledger.Publisher?.Latest;
            var published = PublishedCheckpoint(ledger);
            if (latest is null || published is null || !latest.Published)
            {
                throw new ExchangeException(HttpStatusCode.Conflict, "conflict", "this log has no published (cosigned) checkpoint yet, so no entry can be proven");
            }

            if (i >= published.Size)
            {
                throw new ExchangeException(HttpStatusCode.NotFound, "not-found", $"entry #{i} is not in the latest published checkpoint (size {published.Size}, log size {ledger.Log.Head.Size})");
            }

            var proof = await ledger.Log.ProveInclusionAsync(i, published.Size, context.RequestAborted).ConfigureAwait(false);
            var entry = await ledger.Log.ReadEntryAsync(i, context.RequestAborted).ConfigureAwait(false);
            var bundle = new ProofBundle(latest.Checkpoint.ToString(), i, entry, proof);
            var verification = BundleVerification.Verify(bundle, ledger.Signer.Verifier, ledger.Policy!);
            var trust = components.TrustList();
            return Results.Json(new
            {
                // The keys of the operator-signed trust list, for the browser's own signature checks.
                keys = new
                {
                    log = trust.Find(components.Country)?.LedgerKey,
                    witnesses = trust.Members.Where(m => !string.Equals(m.Country, components.Country, StringComparison.OrdinalIgnoreCase))
                        .Select(m => m.WitnessKey).OfType<string>().ToArray(),
                    threshold = ledger.Policy!.Threshold,
                },
                index = i,
                size = published.Size,
                entry = Cut(Encoding.UTF8.GetString(entry)),
                entryBase64 = Convert.ToBase64String(entry),
                checkpoint = bundle.SignedCheckpoint,
                proof = proof.Select(h => h.ToBase64()).ToArray(),
                server = new
                {
                    valid = verification.IsValid,
                    failure = verification.Failure.ToString(),
                    reason = verification.Reason,
                    cosigners = verification.Quorum?.Cosigners,
                },
                bundle = bundle.ToJson(),
            });
        });

        api.MapGet("/devices", async (HttpContext context) =>
        {
            Require(context, node, act: false);
            var source = console.Devices;
            var devices = await source.ListAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new { source = source.Description, devices });
        });

        api.MapGet("/analytics", (HttpContext context) =>
        {
            Require(context, node, act: false);
            return Results.Json(new
            {
                programs = node.Analytics.Programs,
                events = console.Activity.Analytics().Reverse().Select(EventJson).ToArray(),
            });
        });

        api.MapGet("/reviews", async (HttpContext context) =>
        {
            Require(context, node, act: false);
            var policy = RequirePolicy(node);
            var reviews = await policy.Reviews.AllAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new { reviews = reviews.OrderBy(r => r.Status).ThenByDescending(r => r.AccessedAt).Select(r => ReviewJson(r, console)).ToArray() });
        });

        api.MapPost("/reviews/{id}/decide", async (HttpContext context, string id) =>
        {
            var staff = Require(context, node, act: true, $"decide review {id}");
            var policy = RequirePolicy(node);
            var body = await ReadJsonAsync(context).ConfigureAwait(false);
            var verdict = OptionalString(body, "verdict", 32)?.ToLowerInvariant() switch
            {
                "justified" => ReviewVerdict.Justified,
                "unjustified" => ReviewVerdict.Unjustified,
                var v => throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"verdict '{v}' is not justified or unjustified"),
            };
            var note = OptionalString(body, "note", AlertAcknowledgements.MaxNoteLength);
            var (review, failure) = await policy.Reviews.ReviewAsync(id, staff.PersonIdentifier, verdict, note, context.RequestAborted).ConfigureAwait(false);
            return review is null
                ? throw new ExchangeException(failure!.StartsWith("no ", StringComparison.Ordinal) ? HttpStatusCode.NotFound : HttpStatusCode.Conflict, "conflict", failure)
                : Results.Json(ReviewJson(review, console));
        });

        api.MapGet("/breaches", async (HttpContext context) =>
        {
            Require(context, node, act: false);
            var workflow = node.Policy?.Breaches
                ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", "this node has no breach configuration (policy.breach), so no Art. 33 cases are opened");
            var now = DateTimeOffset.UtcNow;
            var cases = await workflow.OpenCasesAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new
            {
                now,
                cases = cases.OrderBy(c => c.NotificationDeadline).Select(c => new
                {
                    id = c.Id,
                    incidentId = c.IncidentId,
                    incidentRule = c.IncidentRule,
                    classificationRule = c.ClassificationRule,
                    nature = c.Nature.ToString(),
                    severity = c.Severity.ToString(),
                    status = c.Status.ToString().ToLowerInvariant(),
                    detectedAt = c.DetectedAt,
                    deadline = c.NotificationDeadline,
                    secondsLeft = Math.Round((c.NotificationDeadline - now).TotalSeconds),
                    overdue = c.IsOverdue(now),
                    affectedSubjects = c.AffectedSubjects,
                    draftNotification = c.DraftNotification,
                }).ToArray(),
            });
        });

        api.MapPost("/breaches/{id}/notified", async (HttpContext context, string id) =>
        {
            var staff = Require(context, node, act: true, $"record the notification of breach case {id}");
            var workflow = node.Policy?.Breaches ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", "this node has no breach configuration");
            var body = await ReadJsonAsync(context).ConfigureAwait(false);
            var reasons = OptionalString(body, "delayReasons", AlertAcknowledgements.MaxNoteLength);
            var (breach, failure) = await workflow.MarkNotifiedAsync(id, DateTimeOffset.UtcNow, reasons, context.RequestAborted).ConfigureAwait(false);
            if (breach is null)
            {
                throw new ExchangeException(failure!.StartsWith("no ", StringComparison.Ordinal) ? HttpStatusCode.NotFound : HttpStatusCode.Conflict, "conflict", failure);
            }

            await node.Events.PublishAsync(StaffEvent(components.Country, staff, EventCategories.Policy, "breach-notification-recorded", EventOutcome.Success, null,
                ("breach.id", breach.Id)), context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new { id = breach.Id, status = breach.Status.ToString().ToLowerInvariant(), notifiedAt = breach.NotifiedAt });
        });
    }

    /// <summary>
    /// The staff session of the request; 401 without one, 403 for anyone but an operator or auditor at
    /// substantial or high, and 403 for an auditor when <paramref name="act"/> (the refusal is an event).
    /// </summary>
    private static ProfessionalSession Require(HttpContext context, KonfidoNode node, bool act, string? action = null)
    {
        var eid = node.Eid ?? throw new ExchangeException(HttpStatusCode.Unauthorized, "login", "eID login is not configured on this node (no 'eid' section), so nobody can use the console");
        var session = EidApi.Find(context, eid)
            ?? throw new ExchangeException(HttpStatusCode.Unauthorized, "login", "log in with eID first: the console needs an operator's or auditor's session");
        if (session.ConsoleRole is not { } role)
        {
            throw new ExchangeException(HttpStatusCode.Forbidden, "forbidden", $"{session.PersonIdentifier} is not one of this node's operators or auditors");
        }

        if (session.Level < LevelOfAssurance.Substantial)
        {
            throw new ExchangeException(HttpStatusCode.Forbidden, "forbidden", "the console needs a login at level of assurance substantial or high");
        }

        if (act && role != ConsoleRole.Operator)
        {
            var why = $"auditors have read-only access: {session.DisplayName} may not {action}";
            _ = node.Events.PublishAsync(StaffEvent(node.Country, session, EventCategories.Identity, "console-action-refused", EventOutcome.Failure, why), context.RequestAborted);
            throw new ExchangeException(HttpStatusCode.Forbidden, "forbidden", why);
        }

        return session;
    }

    /// <summary>
    /// The event an alert's evidence reference names, if the console still holds it: by event id, or
    /// for a correlation's <c>#index</c> (0-based position in the SIEM's stream of the run the alert was
    /// raised in, which sees the node's events in the order the console does) by position, accepted only if the event agrees with the
    /// alert's group (actor, source address). Never for alerts raised in another country.
    /// </summary>
    private static ConsoleEvent? Evidence(string reference, Alert alert, ConsoleActivity activity)
    {
        if (alert.ReceivedFrom is not null)
        {
            return null;
        }

        var found = reference.StartsWith('#')
            ? long.TryParse(reference.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? activity.BySequence(activity.SequenceOfStreamIndex(index, alert.FirstSeen)) : null
            : activity.Find(reference);
        if (found is null)
        {
            return null;
        }

        bool Disagrees(string field, string? value) => alert.Group.TryGetValue(field, out var expected) && expected is not null && !string.Equals(expected, value, StringComparison.Ordinal);
        return Disagrees("user.name", found.Event.Actor) || Disagrees("source.ip", found.Event.SourceIp) ? null : found;
    }

    private static NodeSiem RequireSiem(KonfidoNode node) =>
        node.Siem ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", "this node runs without a SIEM (no 'siem' section)");

    private static NodeLedger RequireLedger(NodeComponents components) =>
        components.Ledger ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", "this node runs without an audit ledger (no 'ledger' section)");

    private static NodePolicy RequirePolicy(KonfidoNode node) =>
        node.Policy ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", "this node has no access policy (no 'policy' section), so no break-the-glass reviews");

    /// <summary>The checkpoint of the latest publication attempt, or null.</summary>
    internal static Checkpoint? PublishedCheckpoint(NodeLedger? ledger) =>
        ledger?.Publisher?.Latest is { } latest && Checkpoint.TryParse(latest.Checkpoint.Text, out var checkpoint, out _) ? checkpoint : null;

    private static SecurityEvent StaffEvent(string country, ProfessionalSession staff, string category, string action, EventOutcome outcome, string? reason,
        params (string Key, string Value)[] attributes) => new()
        {
            Node = country,
            Category = category,
            Action = action,
            Outcome = outcome,
            Actor = staff.PersonIdentifier,
            ActorRole = staff.ConsoleRole?.ToString().ToLowerInvariant(),
            Reason = reason,
            Attributes = attributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal),
        };

    private static object EventJson(ConsoleEvent e) => new
    {
        seq = e.Sequence,
        received = e.Received,
        id = e.Event.Id,
        timestamp = e.Event.Timestamp,
        node = e.Event.Node,
        category = e.Event.Category,
        action = e.Event.Action,
        outcome = e.Event.Outcome.ToString().ToLowerInvariant(),
        actor = e.Event.Actor,
        actorRole = e.Event.ActorRole,
        organisation = e.Event.Organisation,
        purpose = e.Event.PurposeOfUse,
        patient = e.Event.PatientId,
        source = e.Event.SourceCountry,
        target = e.Event.TargetCountry,
        ip = e.Event.SourceIp,
        reason = e.Event.Reason,
        attributes = e.Event.Attributes,
    };

    private static object AlertJson(Alert a, AlertAcknowledgement? acknowledgement) => new
    {
        id = a.Id,
        ruleId = a.RuleId,
        title = a.Title,
        severity = a.Severity.ToString().ToLowerInvariant(),
        kind = a.Kind.ToString().ToLowerInvariant(),
        node = a.Node,
        receivedFrom = a.ReceivedFrom,
        firstSeen = a.FirstSeen,
        lastSeen = a.LastSeen,
        count = a.Count,
        group = a.Group,
        evidence = a.Evidence,
        description = a.Description,
        acknowledged = acknowledgement is null ? null : new { by = acknowledgement.By, byName = acknowledgement.ByName, at = acknowledgement.At, note = acknowledgement.Note },
    };

    private static object ReviewJson(BreakTheGlassReview r, NodeWebConsole console) => new
    {
        id = r.Id,
        accessedAt = r.AccessedAt,
        subject = r.SubjectId,
        role = r.Role,
        organisation = r.Organisation,
        requestingCountry = r.RequestingCountry,
        homeCountry = r.HomeCountry,
        patient = console.Pseudonym(r.PatientId),
        transaction = r.Transaction,
        ruleId = r.RuleId,
        reasons = r.Reasons,
        status = r.Status.ToString().ToLowerInvariant(),
        reviewer = r.Reviewer,
        verdict = r.Verdict?.ToString().ToLowerInvariant(),
        note = r.Note,
        reviewedAt = r.ReviewedAt,
    };

    private static DateTimeOffset? CertificateExpiry(string? base64Certificate)
    {
        if (base64Certificate is null)
        {
            return null;
        }

        try
        {
            using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(Convert.FromBase64String(base64Certificate));
            return new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception ex) when (ex is FormatException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    private static double Days(DateTimeOffset until, DateTimeOffset now) => Math.Round((until - now).TotalDays, 1);

    private static string Cut(string text) => text.Length <= MaxEntryChars ? text : text[..MaxEntryChars] + "…";

    private static long LongQuery(HttpContext context, string name, long fallback)
    {
        var text = context.Request.Query[name].ToString();
        if (text.Length == 0)
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"'{name}' must be a non-negative integer");
    }

    /// <summary>The request's JSON object body; 415 unless it is declared JSON (no cross-site form can declare it), 400 if malformed.</summary>
    private static async Task<JsonElement> ReadJsonAsync(HttpContext context)
    {
        if (context.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new ExchangeException(HttpStatusCode.UnsupportedMediaType, "not-supported", "console actions take a JSON body (Content-Type: application/json)");
        }

        var bytes = await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone()
                : throw new ExchangeException(HttpStatusCode.BadRequest, "structure", "the body must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "structure", $"the body is not JSON: {ex.Message}");
        }
    }

    private static string? OptionalString(JsonElement body, string name, int maxLength)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"'{name}' must be a string");
        return text.Length > maxLength
            ? throw new ExchangeException(HttpStatusCode.BadRequest, "too-long", $"'{name}' is longer than {maxLength} characters")
            : string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }
}
