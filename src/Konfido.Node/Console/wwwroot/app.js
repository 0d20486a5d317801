// The Konfido operator console: a single page over /console/api (same origin, session cookie).
// Everything from the server is put into the page as text nodes, never as HTML.
import { stackedColumns, horizontalBars, progress, colourOf } from './charts.js';
import { verifyInclusion, parseCheckpoint, fromBase64, toBase64 } from './merkle.js';
import { verifyCheckpoint } from './notes.js';

const $ = id => document.getElementById(id);
const state = { me: null, page: null, timers: [], stream: null, live: [], lastSeq: 0, expanded: new Set() };

// ---------- DOM helpers ----------
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
const when = t => (t ? new Date(t).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '—');
const time = t => (t ? new Date(t).toLocaleTimeString() : '—');
const short = (s, n = 14) => (s && s.length > n ? `${s.slice(0, n)}…` : s ?? '—');
const badge = (text, kind = '') => h('span', { class: `badge ${kind}` }, text);
const card = (label, value, note, kind = '', attrs = {}) => h('div', { ...attrs, class: `card ${kind}` }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value ?? '—'), note ? h('div', { class: 'card-note' }, note) : null);
const empty = text => h('div', { class: 'empty' }, text);
function table(headers, rows, attrs = {}) {
  return h('table', attrs, h('thead', {}, h('tr', {}, headers.map(x => h('th', {}, x)))), h('tbody', {}, rows));
}
function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

// ---------- API ----------
class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
async function api(path, options = {}) {
  const response = await fetch(`/console/api/${path}`, {
    credentials: 'same-origin',
    headers: options.body ? { 'Content-Type': 'application/json' } : {},
    method: options.method ?? 'GET',
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!response.ok) {
    const reason = body?.issue?.[0]?.diagnostics ?? `${response.status} ${response.statusText}`;
    if (response.status === 401) showLogin(reason);
    throw new ApiError(response.status, reason);
  }
  return body;
}

function toast(text, kind = 'ok') {
  const t = $('toast');
  t.textContent = text;
  t.className = `toast ${kind}`;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
}
function banner(text) {
  const b = $('banner');
  b.textContent = text ?? '';
  b.hidden = !text;
}

// ---------- login ----------
function showLogin(reason) {
  stopPage();
  $('app').hidden = true;
  $('who').hidden = true;
  $('login').hidden = false;
  const error = $('login-error');
  error.hidden = !reason;
  error.textContent = reason ?? '';
}

async function start() {
  try {
    state.me = await api('me');
  } catch (e) {
    if (e.status !== 401) showLogin(e.message);
    return;
  }
  $('login').hidden = true;
  $('app').hidden = false;
  $('who').hidden = false;
  $('who-name').textContent = state.me.name;
  $('who-role').textContent = state.me.role;
  $('who-role').className = `badge ${state.me.role === 'operator' ? 'blue' : 'grey'}`;
  $('node-country').textContent = state.me.country;
  document.title = `Konfido console · ${state.me.country}`;
  $('logout').addEventListener('click', async () => {
    await fetch('/eid/logout', { method: 'POST', credentials: 'same-origin' });
    state.me = null;
    showLogin('You are logged out.');
  });
  window.addEventListener('hashchange', route);
  refreshCounts();
  state.countsTimer = setInterval(refreshCounts, 10000);
  route();
}

async function refreshCounts() {
  try {
    const o = await api('overview');
    const set = (id, n) => { $(id).textContent = n ? String(n) : ''; };
    set('count-alerts', o.alerts);
    set('count-reviews', o.pendingReviews);
    set('count-breaches', o.openBreaches);
    set('count-health', o.failing);
  } catch { /* the page shows its own errors */ }
}

// ---------- routing ----------
const pages = { federation, health, exchanges, alerts, ledger, devices, analytics, reviews, breaches };

function stopPage() {
  state.timers.forEach(clearInterval);
  state.timers = [];
  if (state.stream) { state.stream.close(); state.stream = null; }
}

function route() {
  const name = location.hash.slice(1) || 'federation';
  const page = pages[name] ?? federation;
  stopPage();
  banner(null);
  state.page = name;
  for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('active', a.dataset.tab === name);
  const main = $('main');
  main.replaceChildren(h('div', { class: 'loading' }, 'Loading…'));
  main.dataset.page = name;
  page(main);
}

/** Renders with `render()` now and every `seconds`, keeping errors on the banner. */
function every(seconds, render) {
  const run = async () => {
    // Never redraw under a person typing (a review note, a proof index).
    if (document.activeElement?.tagName === 'INPUT' && $('main').contains(document.activeElement) && run.done) return;
    run.done = true;
    try {
      await render();
      banner(null);
    } catch (e) {
      if (e.status !== 401) banner(e.message);
    }
  };
  run();
  state.timers.push(setInterval(run, seconds * 1000));
}

// ---------- Federation ----------
function federation(main) {
  every(10, async () => {
    const f = await api('federation');
    const daysClass = d => (d === null || d === undefined ? '' : d < 14 ? 'danger' : d < 45 ? 'warn' : 'ok');
    const days = d => (d === null || d === undefined ? '—' : `${d} days`);
    const members = f.members.map(m => h('tr', { 'data-country': m.country },
      h('td', {}, h('strong', {}, m.country), m.self ? badge('this node', 'grey') : null),
      h('td', {}, m.name),
      h('td', {}, badge(m.status, m.status === 'up' ? 'ok' : m.status === 'this node' ? 'grey' : 'danger'), m.error ? h('div', { class: 'muted small' }, m.error) : null),
      h('td', { class: 'num' }, m.latencyMs !== null && m.latencyMs !== undefined ? `${m.latencyMs} ms` : '—'),
      // A node with a custody-held TLS issuer renews its certificate every day or two: the issuer's expiry is the one to watch.
      h('td', { class: `expiry ${daysClass(m.tlsIssued ? m.tlsIssuerDaysLeft : m.tlsDaysLeft)}`, 'data-days': m.tlsDaysLeft ?? '', 'data-issuer-days': m.tlsIssuerDaysLeft ?? '' },
        days(m.tlsDaysLeft), h('div', { class: 'muted small' }, when(m.tlsNotAfter)),
        m.tlsIssued ? h('div', { class: 'muted small issuer' }, `short-lived; issuer valid ${days(m.tlsIssuerDaysLeft)}`) : null),
      h('td', { class: `expiry ${daysClass(m.assertionDaysLeft)}` }, days(m.assertionDaysLeft)),
      h('td', {}, [m.ledger ? badge('ledger', 'grey') : null, m.witness ? badge('witness', 'grey') : null, m.attested ? badge('attested', 'grey') : null, m.sealed ? badge('sealed', 'grey') : null]),
      h('td', { class: 'mono small', title: m.tlsCertificateSha256 }, short(m.tlsCertificateSha256, 16)),
    ));
    main.replaceChildren(
      h('div', { class: 'cards' },
        card('Federation', f.federation),
        card('Trust list', `#${f.sequence}`, `issued ${when(f.issuedAt)}`),
        card('Trust list next update', days(f.daysToNextUpdate), when(f.nextUpdate), daysClass(f.daysToNextUpdate)),
        card('Peers up', `${f.members.filter(m => m.status === 'up').length} / ${f.members.filter(m => !m.self).length}`)),
      section('Members and certificates',
        table(['Country', 'Node', 'Status', 'Handshake', 'TLS certificate expires', 'Assertion certificate', 'Roles', 'Pinned TLS issuer or certificate (SHA-256)'], members, { id: 'members' })),
    );
  });
}

// ---------- Node health ----------
const subjectName = s => (s === 'database' ? 'National database' : s === 'ledger' ? 'Audit ledger' : s.startsWith('peer/') ? `Peer ${s.slice(5)}` : s);
const seconds = x => (x === undefined ? '' : ` (${x} s)`);
// One sentence per node event, for an operator; the node's own wording follows it.
function headline(e) {
  const a = e.attributes ?? {};
  const at = when(e.timestamp);
  switch (e.action) {
    case 'node-start':
      return a['previous.run'] === 'unclean' ? `${e.node} restarted after an unclean stop at ${at}`
        : a['previous.run'] === 'clean' ? `${e.node} started at ${at} (the previous run stopped cleanly)` : `${e.node} started at ${at}`;
    case 'node-stop': return `${e.node} stopped gracefully at ${at}`;
    case 'peer-unreachable': return `${a.peer} unreachable since ${at}`;
    case 'peer-reachable': return `${a.peer} reachable again at ${at}, after being unreachable since ${when(a['down.since'])}${seconds(a['down.seconds'])}`;
    case 'database-unavailable': return `National database unavailable since ${at}`;
    case 'database-restored': return `National database restored at ${at}, after being unavailable since ${when(a['down.since'])}${seconds(a['down.seconds'])}`;
    case 'ledger-write-failed': return `Ledger writes failing since ${at}`;
    case 'ledger-write-resumed': return `Ledger writes resumed at ${at}, after failing since ${when(a['down.since'])}${seconds(a['down.seconds'])}`;
    default: return `${e.action} at ${at}`;
  }
}

function health(main) {
  every(5, async () => {
    const d = await api('health');
    const failing = d.conditions.filter(c => !c.healthy);
    const rows = d.events.map(e => h('tr', { 'data-action': e.action, 'data-outcome': e.outcome, 'data-peer': e.attributes?.peer, 'data-time': e.timestamp, 'data-id': e.id },
      h('td', {}, badge(e.outcome === 'failure' ? 'fault' : 'ok', e.outcome === 'failure' ? 'danger' : 'ok')),
      h('td', {}, h('strong', { class: 'headline' }, headline(e)), h('div', { class: 'muted small reason' }, e.reason ?? '')),
      h('td', { class: 'nowrap small' }, when(e.timestamp))));
    main.replaceChildren(
      h('div', { class: 'cards', id: 'conditions' },
        card('Node', d.country, `${d.runs.length} run(s) seen by this console`),
        ...d.conditions.map(c => h('div', { class: `card ${c.healthy ? 'ok' : 'danger'}`, 'data-subject': c.subject, 'data-healthy': String(c.healthy) },
          h('div', { class: 'card-label' }, subjectName(c.subject)),
          h('div', { class: 'card-value' }, c.healthy ? 'working' : 'failing'),
          h('div', { class: 'card-note' }, c.healthy ? `since ${when(c.since)}` : `since ${when(c.since)}: ${c.reason ?? ''} (${c.failures} failure(s))`))),
        d.store.kept ? null : card('Console history', 'memory only', 'this node has no data folder: the view starts empty after a restart', 'warn'),
        d.store.error ? card('Console history', 'not written', d.store.error, 'warn') : null),
      section('What happened to this node', h('p', { class: 'muted' }, 'Starts and stops, and every fault the node saw and its recovery (one event per change, also in the audit ledger and the SIEM). Kept across restarts.'),
        rows.length ? table(['', 'Event', 'Time'], rows, { id: 'health-events' }) : empty('Nothing has happened to this node yet.')),
    );
    $('count-health').textContent = failing.length ? String(failing.length) : '';
  });
}

// ---------- Exchanges (live) ----------
function eventRow(e, runStart = 0) {
  return h('tr', { 'data-category': e.category, 'data-action': e.action, 'data-id': e.id, 'data-seq': e.seq, class: e.seq < runStart ? 'earlier-run' : null },
    h('td', { class: 'nowrap' }, time(e.timestamp)),
    h('td', { class: 'nowrap' }, h('span', { class: 'dot', 'data-colour': e.category }), e.category),
    h('td', {}, e.action),
    h('td', {}, badge(e.outcome, e.outcome === 'success' ? 'ok' : e.outcome === 'failure' ? 'danger' : 'grey')),
    h('td', {}, e.actor ?? '—', e.actorRole ? h('span', { class: 'muted small' }, ` (${e.actorRole})`) : null),
    h('td', { class: 'nowrap' }, e.source || e.target ? `${e.source ?? '?'} → ${e.target ?? '?'}` : '—', e.purpose ? h('div', { class: 'muted small' }, e.purpose) : null),
    h('td', { class: 'mono small', title: e.patient ?? '' }, short(e.patient, 22)),
    h('td', { class: 'small' }, e.reason ?? ''));
}

function exchanges(main) {
  const filter = h('select', { id: 'event-filter', 'aria-label': 'Which events' },
    h('option', { value: 'exchange' }, 'Cross-border exchanges'),
    h('option', { value: 'node' }, 'Node events (starts, faults)'),
    h('option', { value: '' }, 'All security events'));
  const status = h('span', { class: 'live', id: 'live-status' }, 'connecting…');
  const body = h('tbody', { id: 'live-events' });
  const chart = h('div', { class: 'chart-box', id: 'events-per-minute' });
  const legend = h('div', { class: 'legend' });
  main.replaceChildren(
    section('Events per minute (last 30 minutes)', chart, legend),
    section('Live events', h('div', { class: 'toolbar' }, filter, status),
      h('table', { id: 'live-table' }, h('thead', {}, h('tr', {}, ['Time', 'Category', 'Action', 'Outcome', 'Actor', 'Route', 'Patient (pseudonym)', 'Reason'].map(x => h('th', {}, x)))), body)),
  );
  let runStart = 0;
  let restart = null;
  const render = () => {
    const wanted = filter.value;
    const rows = state.live.filter(e => !wanted || e.category === wanted).slice(-200).reverse();
    const out = [];
    for (const [i, e] of rows.entries()) {
      // A line where the node restarted: the events below it are from before (kept across the restart).
      if (e.seq < runStart && (i === 0 || rows[i - 1].seq >= runStart)) {
        out.push(h('tr', { class: 'run-boundary' }, h('td', { colspan: 8 }, restart
          ? `▲ ${restart.reason ?? `${restart.node} started`} (${when(restart.timestamp)}); below: before the restart`
          : '▲ the node restarted here; below: before the restart')));
      }
      out.push(eventRow(e, runStart));
    }
    body.replaceChildren(...(out.length ? out : [h('tr', {}, h('td', { colspan: 8 }, empty(wanted ? 'No cross-border exchange yet.' : 'No event yet.')))]));
    paintSwatches(body, []);
  };
  filter.addEventListener('change', render);
  const drawChart = async () => {
    const m = await api('metrics?minutes=30');
    const categories = [...new Set(m.perMinute.flatMap(x => Object.keys(x.byCategory)))].sort();
    chart.replaceChildren(stackedColumns(m.perMinute.map(x => ({
      label: new Date(x.minute).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }), total: x.total, parts: x.byCategory,
    })), categories, { title: 'Security events per minute, by category' }));
    legend.replaceChildren(...categories.map((c, i) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', 'data-colour': c }), c)));
    paintSwatches(legend, categories);
  };
  (async () => {
    try {
      // The latest events, and the latest exchanges among everything kept (also from before a restart).
      const [first, exchangesKept, nodeKept] = await Promise.all([api('activity?after=0'), api('activity?after=0&category=exchange'), api('activity?after=0&category=node')]);
      const bySeq = new Map([...exchangesKept.events, ...nodeKept.events, ...first.events].map(e => [e.seq, e]));
      state.live = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
      state.lastSeq = first.last;
      runStart = first.runs.length ? first.runs[first.runs.length - 1].firstSequence : 0;
      restart = nodeKept.events.filter(e => e.action === 'node-start' && e.seq >= runStart)[0] ?? null;
      render();
      await drawChart();
    } catch (e) {
      if (e.status !== 401) banner(e.message);
      return;
    }
    const stream = new EventSource(`/console/api/activity/stream?after=${state.lastSeq}`);
    state.stream = stream;
    stream.onopen = () => { status.textContent = 'live'; status.className = 'live on'; };
    stream.onerror = () => { status.textContent = 'reconnecting…'; status.className = 'live off'; };
    stream.addEventListener('activity', message => {
      const e = JSON.parse(message.data);
      state.lastSeq = e.seq;
      state.live.push(e);
      if (state.live.length > 1500) state.live.splice(0, state.live.length - 1500);
      render();
    });
  })();
  state.timers.push(setInterval(() => drawChart().catch(e => banner(e.message)), 10000));
}
// Colours are set through the CSSOM (allowed by the page's Content-Security-Policy, unlike style attributes).
function paintSwatches(root, categories) {
  root.querySelectorAll('[data-colour]').forEach(node => {
    node.style.backgroundColor = colourOf(node.dataset.colour, Math.max(0, categories.indexOf(node.dataset.colour)));
  });
}

// ---------- Alerts ----------
function alerts(main) {
  every(5, async () => {
    const [list, metrics] = await Promise.all([api('alerts'), api('metrics?minutes=5')]);
    const canAct = state.me.canAct;
    const rows = [];
    for (const a of list.alerts) {
      const open = state.expanded.has(a.id);
      const ack = a.acknowledged
        ? h('span', { class: 'acked' }, badge('acknowledged', 'ok'), h('div', { class: 'muted small' }, `${a.acknowledged.byName}, ${when(a.acknowledged.at)}`))
        : a.receivedFrom
          ? h('span', { class: 'muted small' }, `raised by ${a.node}`)
          : canAct
            ? h('button', { class: 'small primary', 'data-ack': a.id, onclick: ev => { ev.stopPropagation(); acknowledge(a); } }, 'Acknowledge')
            : h('button', { class: 'small', disabled: true, title: 'Auditors have read-only access' }, 'Acknowledge (operators)');
      rows.push(h('tr', { class: `alert-row ${open ? 'open' : ''}`, 'data-alert': a.id, 'data-rule': a.ruleId, onclick: () => toggleAlert(a.id) },
        h('td', {}, badge(a.severity, a.severity === 'critical' || a.severity === 'high' ? 'danger' : a.severity === 'medium' ? 'warn' : 'grey')),
        h('td', {}, h('strong', {}, a.title), h('div', { class: 'muted small mono' }, a.ruleId)),
        h('td', {}, a.node, a.receivedFrom ? h('div', { class: 'muted small' }, a.receivedFrom === a.node ? 'shared with this node' : `shared by ${a.receivedFrom}`) : null),
        h('td', { class: 'num' }, a.count),
        h('td', { class: 'nowrap small' }, when(a.firstSeen), h('br'), when(a.lastSeen)),
        h('td', {}, ack)));
      if (open) rows.push(h('tr', { class: 'detail' }, h('td', { colspan: 6 }, h('div', { class: 'evidence', id: `evidence-${a.id}` }, 'Loading evidence…'))));
    }
    const chartRows = metrics.alertsByRule.map(r => ({ label: r.title, value: r.alerts, note: `${r.occurrences} occurrence(s)` }));
    main.replaceChildren(
      section('Alerts by rule', chartRows.length ? h('div', { class: 'chart-box', id: 'alerts-by-rule' }, horizontalBars(chartRows, { title: 'Alerts by rule' })) : empty('No alert yet.')),
      section('Alerts', list.alerts.length
        ? table(['Severity', 'Alert', 'Raised at', 'Occurrences', 'First / last seen', 'Status'], rows, { id: 'alerts-table' })
        : empty('No alert: the SIEM has raised nothing on this node.')),
    );
    for (const id of state.expanded) loadEvidence(id);
  });
}

function toggleAlert(id) {
  if (state.expanded.has(id)) state.expanded.delete(id); else state.expanded.add(id);
  route();
}

async function loadEvidence(id) {
  const box = $(`evidence-${id}`);
  if (!box) return;
  try {
    const d = await api(`alerts/${encodeURIComponent(id)}`);
    const a = d.alert;
    const kept = d.evidence.filter(x => x.kept);
    box.replaceChildren(...[
      a.description ? h('p', {}, a.description) : null,
      h('div', { class: 'kv' }, Object.entries(a.group ?? {}).map(([k, v]) => h('span', {}, h('b', {}, k), ' ', v ?? '—'))),
      h('h3', {}, `Evidence: ${d.evidence.length} event(s)${kept.length < d.evidence.length ? `, ${kept.length} still held by the console` : ''}`),
      kept.length
        ? table(['Time', 'Category', 'Action', 'Outcome', 'Actor', 'Route', 'Patient (pseudonym)', 'Reason'], kept.map(x => eventRow({ seq: 0, ...x.event })))
        : h('ul', { class: 'mono small' }, d.evidence.slice(0, 50).map(x => h('li', {}, x.reference))),
      a.acknowledged?.note ? h('p', { class: 'muted' }, `Note: ${a.acknowledged.note}`) : null,
    ].filter(Boolean));
    paintSwatches(box, []);
  } catch (e) {
    box.replaceChildren(h('p', { class: 'error' }, e.message));
  }
}

async function acknowledge(a) {
  const note = prompt(`Acknowledge "${a.title}"? Optional note:`, '');
  if (note === null) return;
  try {
    await api(`alerts/${encodeURIComponent(a.id)}/acknowledge`, { method: 'POST', body: { note } });
    toast(`Alert acknowledged: ${a.title}`);
  } catch (e) {
    toast(e.message, 'error');
  }
  route();
}

// ---------- Ledger ----------
function ledger(main) {
  const lookup = h('section', { class: 'panel' }, h('h2', {}, 'Proof lookup'),
    h('p', { class: 'muted' }, 'Proves that an entry is in the published, cosigned log: the node sends the entry, the inclusion proof and the cosigned checkpoint; your browser recomputes the Merkle root (RFC 6962), compares it with the checkpoint and verifies the log\'s signature and the witnesses\' cosignatures with the trust list\'s keys; the node checks the same bundle.'),
    h('form', { id: 'proof-form', class: 'toolbar', onsubmit: ev => { ev.preventDefault(); prove(); } },
      h('label', { for: 'proof-index' }, 'Entry index'),
      h('input', { id: 'proof-index', type: 'number', min: 0, step: 1, required: true, inputmode: 'numeric' }),
      h('button', { class: 'primary', type: 'submit' }, 'Verify inclusion')),
    h('div', { id: 'proof-result' }));
  const summary = h('div', { id: 'ledger-summary' });
  main.replaceChildren(summary, lookup);
  every(10, async () => {
    const [l, entries] = await Promise.all([api('ledger'), api('ledger/entries?count=15')]);
    const published = l.latest?.published;
    summary.replaceChildren(
      h('div', { class: 'cards' },
        card('Log', l.origin, `${l.size} entries`),
        card('Published checkpoint', l.latest ? `size ${l.latest.size}` : 'none yet', l.latest ? (published ? 'quorum met' : 'quorum NOT met') : 'no checkpoint published since start', l.latest ? (published ? 'ok' : 'danger') : 'warn',
          { id: 'published-card', 'data-size': l.latest?.size, 'data-published': String(!!published) }),
        card('Witness quorum', l.quorum ? `${l.quorum.threshold} of ${l.quorum.witnesses}` : '—', l.latest ? `cosigned by ${l.latest.cosigners.length}` : null),
        card('Split views', String(l.splitViews), l.splitViews ? 'a log showed two histories!' : 'none detected', l.splitViews ? 'danger' : 'ok')),
      h('div', { class: 'columns' },
        section('Cosignatures of the latest checkpoint', l.latest
          ? h('div', {},
            h('ul', { class: 'cosigners', id: 'cosigners' }, l.latest.cosigners.map(c => h('li', {}, badge('cosigned', 'ok'), ' ', c)),
              l.latest.refusals.map(r => h('li', {}, badge('refused', 'danger'), ' ', r))),
            h('details', {}, h('summary', {}, 'Signed checkpoint note'), h('pre', { class: 'note' }, l.latest.note)))
          : empty('No checkpoint has been published since the node started.')),
        section(`This node's witness (${l.witness.name})`, l.witness.logs.length
          ? table(['Log', 'Cosigned size', 'Root'], l.witness.logs.map(w => h('tr', {}, h('td', {}, w.origin), h('td', { class: 'num' }, w.size ?? 'nothing yet'), h('td', { class: 'mono small', title: w.root ?? '' }, short(w.root, 20)))), { id: 'witness-table' })
          : empty('No other log to witness.'))),
      section('Checkpoints seen', l.history.length
        ? table(['Size', 'Root', 'Published', 'Cosigners', 'Seen'], l.history.map(c => h('tr', {}, h('td', { class: 'num' }, c.size), h('td', { class: 'mono small', title: c.root }, short(c.root, 24)), h('td', {}, badge(c.published ? 'yes' : 'no', c.published ? 'ok' : 'danger')), h('td', { class: 'small' }, c.cosigners.join(', ')), h('td', { class: 'small' }, when(c.seenAt)))))
        : empty('None yet.')),
      section('Latest entries', table(['#', 'Entry (patients pseudonymised)'], entries.entries.map(e => h('tr', {},
        h('td', { class: 'num' }, h('a', { href: '#ledger', 'data-index': e.index, onclick: ev => { ev.preventDefault(); $('proof-index').value = e.index; prove(); } }, String(e.index))),
        h('td', { class: 'mono small entry' }, e.entry))), { id: 'entries-table' })),
    );
  });
}

async function prove() {
  const out = $('proof-result');
  const index = $('proof-index').value.trim();
  if (!/^\d+$/.test(index)) { out.replaceChildren(h('p', { class: 'error' }, 'Enter a non-negative entry index.')); return; }
  out.replaceChildren(h('p', {}, 'Verifying…'));
  try {
    const p = await api(`ledger/proof/${index}`);
    const checkpoint = parseCheckpoint(p.checkpoint);
    const local = await verifyInclusion(p.index, checkpoint.size, fromBase64(p.entryBase64), p.proof.map(fromBase64), checkpoint.root);
    let signed;
    try {
      signed = p.keys.log ? await verifyCheckpoint(p.checkpoint, p.keys.log, p.keys.witnesses, p.keys.threshold) : { logSigned: false, cosigners: [], quorum: false, error: 'the trust list names no log key' };
    } catch (e) {
      signed = { logSigned: false, cosigners: [], quorum: false, error: e.message };
    }
    const signaturesOk = signed.logSigned && signed.quorum;
    const ok = local.valid && signaturesOk && p.server.valid;
    out.replaceChildren(h('div', { class: `verdict ${ok ? 'ok' : 'danger'}`, id: 'proof-verdict', 'data-valid': String(ok) },
      h('strong', {}, ok ? `Entry #${p.index} is in the published log` : `Entry #${p.index} could NOT be proven`),
      h('ul', {},
        h('li', { id: 'proof-browser', 'data-valid': String(local.valid) }, local.valid
          ? `Your browser recomputed the root from the entry and ${p.proof.length} proof hashes: it equals the root of checkpoint ${checkpoint.origin} size ${checkpoint.size} (${short(toBase64(checkpoint.root), 16)}).`
          : `Browser check failed: ${local.reason}`),
        h('li', { id: 'proof-signatures', 'data-valid': String(signaturesOk) }, signaturesOk
          ? `Your browser verified the log's Ed25519 signature on the checkpoint and ${signed.cosigners.length} witness cosignature(s) (${signed.cosigners.join(', ')}; ${p.keys.threshold} required), with the keys of the trust list.`
          : `Browser signature check failed: ${signed.error ?? (!signed.logSigned ? 'no valid log signature' : `only ${signed.cosigners.length} of ${p.keys.threshold} required witness cosignatures`)}`),
        h('li', { id: 'proof-server', 'data-valid': String(p.server.valid) }, p.server.valid
          ? `The node verified the log's signature and the witness quorum (cosigned by ${(p.server.cosigners ?? []).join(', ')}).`
          : `Node check failed (${p.server.failure}): ${p.server.reason}`))),
    h('pre', { class: 'entry' }, p.entry),
    h('details', {}, h('summary', {}, 'Offline proof bundle (konfido-proof-bundle/1)'), h('pre', { class: 'note' }, p.bundle)));
  } catch (e) {
    out.replaceChildren(h('p', { class: 'error', id: 'proof-error' }, e.message));
  }
}

// ---------- Devices ----------
function devices(main) {
  every(10, async () => {
    const d = await api('devices');
    main.replaceChildren(section('PUF devices', h('p', { class: 'muted' }, `Source: ${d.source}.`),
      d.devices.length
        ? table(['Device', 'Status', 'Enrolled', 'Last seen', 'Successes', 'Failures', 'Last failure'], d.devices.map(x => h('tr', { 'data-device': x.deviceId },
          h('td', { class: 'mono' }, x.deviceId),
          h('td', {}, badge(x.status, x.status === 'refused' || x.status === 'revoked' ? 'danger' : 'ok')),
          h('td', {}, when(x.enrolledAt)), h('td', {}, when(x.lastSeen)),
          h('td', { class: 'num' }, x.successes), h('td', { class: 'num' }, x.failures),
          h('td', { class: 'small' }, x.lastReason ?? ''))), { id: 'devices-table' })
        : empty('No PUF device has enrolled or authenticated with this node yet.')));
  });
}

// ---------- HE analytics ----------
function analytics(main) {
  every(10, async () => {
    const a = await api('analytics');
    const jobs = a.events;
    main.replaceChildren(
      h('div', { class: 'cards' }, card('Registered programs', String(a.programs.length), a.programs.join(', ') || 'none'),
        card('Evaluations', String(jobs.filter(j => j.action === 'he-evaluate').length), 'since the node started'),
        card('Refused inputs', String(jobs.filter(j => j.outcome === 'failure').length), 'rejected ciphertexts, failed loads', jobs.some(j => j.outcome === 'failure') ? 'warn' : 'ok')),
      section('Homomorphic-encryption jobs', jobs.length
        ? table(['Time', 'Action', 'Program', 'Requester / device', 'Outcome', 'Duration', 'Reason'], jobs.map(j => h('tr', { 'data-action': j.action },
          h('td', { class: 'nowrap' }, time(j.timestamp)), h('td', {}, j.action), h('td', { class: 'mono small' }, j.attributes?.program ?? '—'),
          h('td', {}, j.actor ?? '—'), h('td', {}, badge(j.outcome, j.outcome === 'success' ? 'ok' : 'danger')),
          h('td', { class: 'num' }, j.attributes?.duration_ms ? `${j.attributes.duration_ms} ms` : '—'), h('td', { class: 'small' }, j.reason ?? ''))), { id: 'jobs-table' })
        : empty('No analytics job has run on this node since it started.')));
  });
}

// ---------- Reviews ----------
function reviews(main) {
  every(10, async () => {
    const r = await api('reviews');
    const canAct = state.me.canAct;
    const rows = r.reviews.map(x => {
      let decision;
      if (x.status === 'reviewed') {
        decision = h('div', {}, badge(x.verdict, x.verdict === 'justified' ? 'ok' : 'danger'), h('div', { class: 'muted small' }, `${x.reviewer}, ${when(x.reviewedAt)}`), x.note ? h('div', { class: 'small' }, x.note) : null);
      } else if (canAct) {
        const note = h('input', { type: 'text', placeholder: 'Note (optional)', class: 'note-input', 'aria-label': 'Review note' });
        const decide = verdict => async () => {
          try {
            await api(`reviews/${encodeURIComponent(x.id)}/decide`, { method: 'POST', body: { verdict, note: note.value } });
            toast(`Review recorded: ${verdict}`);
          } catch (e) { toast(e.message, 'error'); }
          route();
        };
        decision = h('div', { class: 'decide' }, note,
          h('button', { class: 'small primary', 'data-verdict': 'justified', onclick: decide('justified') }, 'Justified'),
          h('button', { class: 'small danger', 'data-verdict': 'unjustified', onclick: decide('unjustified') }, 'Unjustified'));
      } else {
        decision = badge('pending', 'warn');
      }
      return h('tr', { 'data-review': x.id, 'data-status': x.status },
        h('td', { class: 'nowrap' }, when(x.accessedAt)),
        h('td', {}, h('strong', {}, x.subject), h('div', { class: 'muted small' }, `${x.role}${x.organisation ? `, ${x.organisation}` : ''}`)),
        h('td', {}, `${x.requestingCountry} → ${x.homeCountry}`, h('div', { class: 'muted small' }, x.transaction)),
        h('td', { class: 'mono small', title: x.patient }, short(x.patient, 22)),
        h('td', { class: 'small' }, x.reasons.join('; ')),
        h('td', {}, decision));
    });
    main.replaceChildren(section('Break-the-glass review queue', h('p', { class: 'muted' }, 'Emergency accesses to this country\'s patients, permitted without consent and queued for review after the fact.'),
      rows.length ? table(['Accessed', 'Professional', 'Route', 'Patient (pseudonym)', 'Why flagged', 'Decision'], rows, { id: 'reviews-table' })
        : empty('No emergency access to review.')));
  });
}

// ---------- Breaches ----------
function clock(seconds) {
  const s = Math.abs(Math.round(seconds));
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${seconds < 0 ? '-' : ''}${hh}:${mm}:${ss}`;
}

function breaches(main) {
  let cases = [];
  const draw = () => {
    const now = Date.now();
    for (const c of cases) {
      const node = document.querySelector(`[data-breach="${CSS.escape(c.id)}"]`);
      if (!node) continue;
      const left = (new Date(c.deadline).getTime() - now) / 1000;
      const clockNode = node.querySelector('.clock');
      clockNode.textContent = clock(left);
      clockNode.dataset.seconds = String(Math.round(left));
      node.querySelector('.bar').replaceChildren(progress(1 - left / (72 * 3600), { overdue: left < 0 }));
      node.classList.toggle('overdue', left < 0);
    }
  };
  every(15, async () => {
    const b = await api('breaches');
    // Align the page's clock with the node's.
    const skew = new Date(b.now).getTime() - Date.now();
    cases = b.cases.map(c => ({ ...c, deadline: new Date(new Date(c.deadline).getTime() - skew).toISOString() }));
    main.replaceChildren(section('Personal-data breaches (GDPR Art. 33)',
      h('p', { class: 'muted' }, 'Cases opened from SIEM alerts classified as personal-data breaches. The supervisory authority must be notified within 72 hours of detection.'),
      cases.length ? h('div', { class: 'breaches', id: 'breaches' }, cases.map(c => h('article', { class: 'breach', 'data-breach': c.id },
        h('div', { class: 'breach-head' },
          h('div', {}, h('h3', {}, `${c.nature} breach · ${c.severity}`), h('div', { class: 'muted small' }, `Case ${c.id} · rule ${c.classificationRule} · incident ${short(c.incidentId, 18)}`)),
          h('div', { class: 'clock-box' }, h('div', { class: 'clock-label' }, 'left to notify'), h('div', { class: 'clock' }, '--:--:--'))),
        h('div', { class: 'bar' }),
        h('div', { class: 'kv' }, h('span', {}, h('b', {}, 'Detected'), ' ', when(c.detectedAt)), h('span', { class: 'deadline' }, h('b', {}, 'Deadline'), ' ', when(c.deadline)),
          h('span', {}, h('b', {}, 'Data subjects'), ' ', String(c.affectedSubjects.length))),
        h('details', {}, h('summary', {}, 'Draft notification to the supervisory authority'), h('pre', { class: 'note' }, c.draftNotification)),
        state.me.canAct ? h('button', { class: 'small', onclick: () => markNotified(c) }, 'Record notification sent') : null)))
        : empty('No open breach case.')));
    draw();
  });
  state.timers.push(setInterval(draw, 1000));
}

async function markNotified(c) {
  const late = new Date(c.deadline).getTime() < Date.now();
  const reasons = late ? prompt('The 72 hours have passed: reasons for the delay (Art. 33(1))?', '') : null;
  if (late && !reasons) return;
  if (!late && !confirm('Record that the supervisory authority was notified now?')) return;
  try {
    await api(`breaches/${encodeURIComponent(c.id)}/notified`, { method: 'POST', body: { delayReasons: reasons } });
    toast('Notification recorded');
  } catch (e) { toast(e.message, 'error'); }
  route();
}

start();
