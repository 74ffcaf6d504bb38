// The operator dashboard: a plain ES module, no build step. It polls the
// operator API once a second (each poll starts when the last one has ended),
// updates the page in place and never reloads it. Rows are updated, not
// rebuilt, so keyboard focus stays where the user left it. Every value from
// the API is put on the page as text, never as HTML.
import { alarmBadges, snoozeText } from './alarm-text.js';
import uPlot from './vendor/uPlot.esm.js';

const POLL_MS = 1000;
/** While the tab is hidden, nobody reads it: poll the (possibly metered) API rarely. */
const HIDDEN_POLL_MS = 15_000;
/** The order of the alarm listing: alarms that need attention first. */
const ALARM_ORDER = ['ACTIVE', 'LATCHED', 'ACKNOWLEDGED', 'SNOOZE_DISABLED', 'DISABLED'];
/** Each action's name on its button, and as done. */
const ACTIONS = {
  acknowledge: ['Acknowledge', 'Acknowledged'],
  snooze: ['Snooze', 'Snoozed'],
  disable: ['Disable', 'Disabled'],
  enable: ['Enable', 'Enabled'],
  reset: ['Reset', 'Reset'],
};

const $ = (id) => document.getElementById(id);
const view = { printers: [], selected: null, filter: '', rows: new Map(), charts: new Map(), historyKey: '' };
let generation = 0;
let timer;

async function api(path, init = {}) {
  const headers = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) };
  const response = await fetch(path, { ...init, headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.error ?? `${response.status} ${response.statusText}`);
  return body;
}

const printerPath = (id) => `api/printers/${encodeURIComponent(id)}`;
const stateLabel = (state) => state.replace('_', ' ');
const code = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const alarmRank = (p) => {
  const i = ALARM_ORDER.indexOf(p.Alarm.State);
  return i === -1 ? ALARM_ORDER.length : i;
};
const shortTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
/** A reading's value as people read it: six significant digits at most. */
const number = (value) => (value === null || value === undefined ? '—' : String(Number(value.toPrecision(6))));
/** Charts show at least the last hour, so that one event is a step, not a dot in an empty year. */
const CHART_SPAN_MS = 60 * 60_000;
/**
 * The fleet chart reads the last day's events only: the API reads the fleet's
 * history a day at a time, so a read without `since` walks every day it keeps
 * (one query each) on every poll, and the table waits for it.
 */
const FLEET_EVENTS_SPAN_MS = 24 * 60 * 60_000;

/** The ranking and the alarm listing as one list: alarms first in their order, then the ranking's order. */
function merge(ranked, alarms) {
  const byId = new Map(ranked.map((p) => [p.PrinterId, p]));
  for (const p of alarms) byId.set(p.PrinterId, p);
  return [...byId.values()].sort(
    (a, b) =>
      alarmRank(a) - alarmRank(b) ||
      (alarmRank(a) === ALARM_ORDER.length ? b.EventCount - a.EventCount : 0) ||
      code(a.PrinterId, b.PrinterId),
  );
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function badge(element, kind, value) {
  setText(element, value ? stateLabel(value) : 'none');
  element.className = value ? `badge ${kind}-${value}` : 'badge none';
}

function renderCounts(printers, alarms) {
  const counts = Object.fromEntries(ALARM_ORDER.map((s) => [s, 0]));
  for (const p of alarms) counts[p.Alarm.State] = (counts[p.Alarm.State] ?? 0) + 1;
  const items = [
    ['Printers', printers.length >= 100 ? '100+' : String(printers.length)],
    ...ALARM_ORDER.map((s) => [stateLabel(s).toLowerCase(), String(counts[s])]),
  ];
  const list = $('counts');
  if (list.children.length !== items.length) list.replaceChildren(...items.map(() => document.createElement('li')));
  for (const [i, [label, n]] of items.entries()) setText(list.children[i], `${label}: ${n}`);
}

function rowFor(p) {
  let row = view.rows.get(p.PrinterId);
  if (!row) {
    row = document.createElement('tr');
    row.dataset.id = p.PrinterId;
    const link = document.createElement('a');
    link.href = `#printer=${encodeURIComponent(p.PrinterId)}`;
    link.textContent = p.PrinterId;
    const cells = ['id', 'state', 'severity', 'num', 'num wide', 'num value', 'wide'].map((cls) => {
      const td = document.createElement('td');
      if (cls) td.className = cls;
      return td;
    });
    cells[0].append(link);
    cells[1].append(document.createElement('span'));
    cells[2].append(document.createElement('span'));
    row.append(...cells);
    view.rows.set(p.PrinterId, row);
  }
  const [id, state, severity, events, out, value, seen] = row.cells;
  badge(state.firstChild, 'state', p.Alarm.State);
  badge(severity.firstChild, 'sev', alarmBadges(p.Alarm).severity);
  setText(events, String(p.EventCount));
  setText(out, String(p.OutOfBoundsCount));
  setText(value, number(p.LastValue));
  setText(seen, shortTime(p.LastSeenAt));
  const link = id.firstChild;
  if (p.PrinterId === view.selected) link.setAttribute('aria-current', 'true');
  else link.removeAttribute('aria-current');
  return row;
}

function renderTable() {
  const filter = view.filter.toLowerCase();
  const rows = view.printers.filter((p) => p.PrinterId.toLowerCase().includes(filter)).map(rowFor);
  const body = $('printers').tBodies[0];
  const current = [...body.rows];
  if (current.length !== rows.length || current.some((row, i) => row !== rows[i])) {
    // Moving the focused row would drop focus: put it back on the same printer's link.
    const focused = document.activeElement?.closest?.('tr')?.dataset.id;
    body.replaceChildren(...rows);
    if (focused !== undefined) view.rows.get(focused)?.querySelector('a')?.focus();
  }
  $('empty').hidden = rows.length > 0;
}

/** A uPlot chart in `element`, created on first use (or when its series change) and given new data after. */
function chart(element, label, series, data) {
  const key = series.map((s) => s.label).join('|');
  let entry = view.charts.get(element.id);
  if (entry && entry.key !== key) {
    entry.plot.destroy();
    entry = undefined;
  }
  const width = Math.max(200, element.clientWidth);
  if (!entry) {
    const options = {
      width,
      height: 180,
      legend: { show: false },
      cursor: { show: false },
      series: [{}, ...series],
      axes: [{}, { size: 56 }],
    };
    entry = { key, plot: new uPlot(options, data, element) };
    view.charts.set(element.id, entry);
  } else {
    entry.plot.setData(data);
    if (entry.plot.width !== width) entry.plot.setSize({ width, height: 180 });
  }
  element.setAttribute('aria-label', label);
}

const seconds = (ms) => ms / 1000;
const stepped = uPlot.paths.stepped({ align: 1 });

/**
 * Events (not transitions) as a running count over time, oldest first: from
 * the count before the first (`before`) to the last, held until now.
 */
function eventSeries(items, count, before) {
  const events = items.filter((i) => i.Type === 'event').reverse();
  if (events.length === 0) return [[], []];
  const now = Date.now();
  const times = events.map((e) => Date.parse(e.at));
  const counts = events.map((e, i) => count(e, i));
  const start = Math.min(times[0], now - CHART_SPAN_MS);
  return [[start, ...times, Math.max(now, times.at(-1))].map(seconds), [before(events[0]), ...counts, counts.at(-1)]];
}

function renderFleetChart(items) {
  const [xs, ys] = eventSeries(
    items,
    (_e, i) => i + 1,
    () => 0,
  );
  const last = items.find((i) => i.Type === 'event');
  const label = last ? `${ys.at(-1)} latest events of the fleet, the last at ${shortTime(last.at)}` : 'No events in the last 24 hours';
  chart($('fleet-chart'), label, [{ label: 'Events', stroke: '#b91c1c', width: 2, paths: stepped }], [xs, ys]);
}

function thresholdsOf(profile) {
  const t = profile.Thresholds ?? {};
  return typeof t.Lower === 'number' || typeof t.Upper === 'number' ? t : (t.value ?? {});
}

function renderValues(detail) {
  const xs = detail.recent.map(([at]) => seconds(at));
  const ys = detail.recent.map(([, value]) => value);
  // The effective settings: a printer that takes its Thresholds from the fleet defaults is judged, and drawn, by them.
  const { Lower, Upper } = thresholdsOf(detail.effective ?? detail.profile);
  const series = [{ label: 'Value', stroke: '#1d4ed8', width: 2 }];
  const data = [xs, ys];
  for (const [name, bound] of [
    ['Lower', Lower],
    ['Upper', Upper],
  ]) {
    if (typeof bound !== 'number') continue;
    series.push({ label: name, stroke: '#b91c1c', width: 1, dash: [6, 4], points: { show: false } });
    data.push(xs.map(() => bound));
  }
  const band = [Lower, Upper].every((b) => typeof b === 'number') ? `; thresholds ${Lower} to ${Upper}` : '';
  const label = ys.length === 0 ? 'No values yet' : `${ys.length} recent values, the last ${number(ys.at(-1))}${band}`;
  chart($('values-chart'), label, series, data);
}

/** The settings the detector runs, each inherited one marked as coming from the fleet defaults (as `npm run profile -- get` shows). */
function profileFacts(detail) {
  const effective = detail.effective ?? detail.profile;
  return Object.entries(effective).map(([name, value]) => {
    if (Object.hasOwn(detail.profile, name)) return [name, value];
    const shown = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    return [name, `${shown} (from *)`];
  });
}

function renderFacts(list, facts) {
  const key = JSON.stringify(facts);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(
    ...facts.flatMap(([name, value]) => {
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = name;
      dd.textContent = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value ?? '—');
      return [dt, dd];
    }),
  );
}

function describe(item) {
  if (item.Type === 'event') {
    const value = item.value === undefined ? '' : `, value ${number(item.value)}`;
    return [item.at, `Anomaly event ${item.events}${value}${item.severity ? `, ${item.severity}` : ''}`];
  }
  const note = item.Note ? `: “${item.Note}”` : '';
  const severity = item.Severity ? `, ${item.Severity}` : '';
  return [item.At, `${stateLabel(item.From)} → ${stateLabel(item.To)} (${item.Cause}${severity}) by ${item.By}${note}`];
}

function renderHistory(items) {
  const key = JSON.stringify(items);
  if (view.historyKey === key) return;
  view.historyKey = key;
  $('history').replaceChildren(
    ...items.map((item) => {
      const [at, text] = describe(item);
      const li = document.createElement('li');
      li.className = item.Type;
      const time = document.createElement('time');
      time.dateTime = at;
      time.textContent = shortTime(at);
      li.append(time, ` ${text}`);
      return li;
    }),
  );
  $('history-empty').hidden = items.length > 0;
}

function renderPrinter(detail, history) {
  setText($('printer-title'), `Printer ${detail.profile.PrinterId}`);
  badge($('alarm-state'), 'state', detail.alarm.State);
  const { severity, cause } = alarmBadges(detail.alarm);
  badge($('alarm-severity'), 'sev', severity);
  const since = detail.alarm.Since ? `since ${shortTime(detail.alarm.Since)}` : null;
  const until = detail.alarm.Until ? snoozeText(detail.alarm.Until, Date.now()) : null;
  setText($('alarm-detail'), [cause, since, until].filter(Boolean).join(', '));
  renderFacts($('state'), Object.entries(detail.state));
  renderFacts($('profile'), profileFacts(detail));
  renderValues(detail);
  const [xs, ys] = eventSeries(
    history,
    (e) => e.events,
    (e) => e.events - 1,
  );
  const label = xs.length === 0 ? 'No events yet' : `EventCount over time, now ${ys.at(-1)}`;
  chart($('events-chart'), label, [{ label: 'EventCount', stroke: '#b91c1c', width: 2, paths: stepped }], [xs, ys]);
  renderHistory(history);
}

function setConnection(text, failed = false) {
  setText($('connection'), text);
  $('connection').classList.toggle('failed', failed);
}

/** Reads everything the page shows; answers that a newer read overtook are dropped. */
async function refresh() {
  const mine = ++generation;
  const selected = view.selected;
  const [ranked, alarms, detail, history, events] = await Promise.all([
    api('api/printers/ranked?limit=100'),
    api('api/alarms'),
    selected === null ? null : api(printerPath(selected)).catch((error) => ({ error })),
    selected === null ? null : api(`${printerPath(selected)}/history?limit=100`).catch(() => ({ items: [] })),
    selected === null
      ? api(`api/events?limit=100&since=${encodeURIComponent(new Date(Date.now() - FLEET_EVENTS_SPAN_MS).toISOString())}`)
      : null,
  ]);
  if (mine !== generation) return;
  view.printers = merge(ranked.printers, alarms.printers);
  renderCounts(ranked.printers, alarms.printers);
  renderTable();
  if (selected === null) renderFleetChart(events.items);
  else if (selected === view.selected && detail.error) setText($('alarm-detail'), detail.error.message);
  else if (selected === view.selected) renderPrinter(detail, history.items);
  setConnection(`Updated ${new Date().toLocaleTimeString()}`);
}

async function poll() {
  try {
    await refresh();
  } catch (error) {
    setConnection(`Cannot read the API: ${error.message}`, true);
  } finally {
    clearTimeout(timer);
    timer = setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  }
}

function say(text, failed) {
  const message = $('message');
  message.classList.toggle('failed', failed);
  // Emptied first, so that the same text twice is announced twice.
  message.textContent = '';
  requestAnimationFrame(() => (message.textContent = text));
}

async function act(action) {
  const id = view.selected;
  if (id === null) return;
  const note = $('note').value.trim();
  const body = { action, ...(note ? { note } : {}) };
  if (action === 'snooze') body.until = new Date(Date.now() + Number($('snooze-for').value)).toISOString();
  try {
    const alarm = await api(`${printerPath(id)}/alarm`, { method: 'POST', body: JSON.stringify(body) });
    $('note').value = '';
    say(`${ACTIONS[action][1]} ${id}: the alarm is ${stateLabel(alarm.State)}.`, false);
  } catch (error) {
    say(`${ACTIONS[action][0]} refused: ${error.message}`, true);
  }
  await refresh().catch(() => {});
}

function selectFromHash() {
  const match = /^#printer=(.+)$/.exec(location.hash);
  let id = null;
  try {
    id = match ? decodeURIComponent(match[1]) : null;
  } catch {
    // A hand-edited address with a broken escape: show the fleet.
  }
  if (id === view.selected) return;
  const previous = view.selected;
  view.selected = id;
  view.historyKey = '';
  for (const entry of view.charts.values()) entry.plot.destroy();
  view.charts.clear();
  for (const list of [$('state'), $('profile')]) delete list.dataset.key;
  $('printer').hidden = id === null;
  $('overview').hidden = id !== null;
  $('main').classList.toggle('selected', id !== null);
  setText($('message'), '');
  if (id !== null) {
    setText($('printer-title'), `Printer ${id}`);
    $('printer-title').focus();
  } else if (previous !== null) {
    (view.rows.get(previous)?.querySelector('a') ?? $('search')).focus();
  }
  refresh().catch(() => {});
}

$('search').addEventListener('input', (event) => {
  view.filter = event.target.value.trim();
  renderTable();
});
$('actions').addEventListener('submit', (event) => event.preventDefault());
for (const button of document.querySelectorAll('[data-action]')) {
  button.addEventListener('click', () => act(button.dataset.action));
}
window.addEventListener('hashchange', selectFromHash);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) {
    clearTimeout(timer);
    poll();
  }
});
new ResizeObserver(() => {
  for (const [id, entry] of view.charts) entry.plot.setSize({ width: Math.max(200, $(id).clientWidth), height: 180 });
}).observe($('main'));

selectFromHash();
poll();
