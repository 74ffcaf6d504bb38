// The operator dashboard: plain ES modules, no build step. Three views, by
// the address's hash: the alarm list (the default), the printer list
// (`#printers`, paged and searched on the server) and one printer
// (`#printer=<id>`). It polls the operator API once a second (each poll
// starts when the last one has ended), updates the page in place and never
// reloads it. Rows are updated, not rebuilt, so keyboard focus stays where
// the user left it.
import { renderAlarms, setUpAlarms } from './alarms.js';
import { api, printerPath } from './api.js';
import { dropCharts, eventsChart, resizeCharts } from './charts.js';
import { $, setText, stateLabel } from './dom.js';
import { loadEditor, resetEditor, setUpEditor } from './editor.js';
import { readFleet, renderFleet, renderFleetAlarms, setUpFleet } from './fleet.js';
import { renderPrinter, resetPrinter, setUpPrinter } from './printer.js';

/** The alarm states, in the alarm list's order (the API's). */
const ALARM_ORDER = ['ACTIVE', 'LATCHED', 'ACKNOWLEDGED', 'SNOOZE_DISABLED', 'DISABLED'];
const POLL_MS = 1000;
/** While the tab is hidden, nobody reads it: poll the (possibly metered) API rarely. */
const HIDDEN_POLL_MS = 15_000;
/** The time ranges offered for the events charts and the history (the API's history reads at most this far back). */
const RANGES = { '1h': ['1 hour', 3600_000], '24h': ['24 hours', 86_400_000], '7d': ['7 days', 7 * 86_400_000] };
/** History items read per poll: the newest in the range. */
const HISTORY_LIMIT = 100;

const view = { name: null, selected: null, range: '24h', preview: null };
let generation = 0;
let timer;

function range(now) {
  const [label, span] = RANGES[view.range];
  return { from: now - span, to: now, label };
}

function renderCounts(alarms) {
  const counts = Object.fromEntries(ALARM_ORDER.map((s) => [s, 0]));
  for (const p of alarms) counts[p.Alarm.State] = (counts[p.Alarm.State] ?? 0) + 1;
  const list = $('counts');
  if (list.children.length !== ALARM_ORDER.length) list.replaceChildren(...ALARM_ORDER.map(() => document.createElement('li')));
  for (const [i, state] of ALARM_ORDER.entries()) setText(list.children[i], `${stateLabel(state).toLowerCase()}: ${counts[state]}`);
}

const since = (r) => encodeURIComponent(new Date(r.from).toISOString());

/** Reads everything the view shows; answers that a newer read overtook are dropped. */
async function refresh() {
  const mine = ++generation;
  const { name, selected } = view;
  const now = Date.now();
  const r = range(now);
  const [alarms, events, fleet, detail, history] = await Promise.all([
    api('api/alarms'),
    name === 'alarms' ? api(`api/events?limit=${HISTORY_LIMIT}&since=${since(r)}`) : null,
    name === 'printers' ? readFleet() : null,
    name === 'printer' ? api(printerPath(selected)).catch((error) => ({ error })) : null,
    name === 'printer'
      ? api(`${printerPath(selected)}/history?limit=${HISTORY_LIMIT}&since=${since(r)}`).catch(() => ({ items: [] }))
      : null,
  ]);
  if (mine !== generation || name !== view.name || selected !== view.selected) return;
  renderCounts(alarms.printers);
  if (name === 'alarms') {
    renderAlarms(alarms.printers, now);
    eventsChart($('fleet-chart'), events.items, { from: r.from, to: now, rangeLabel: r.label, fleet: true });
  } else if (name === 'printers') {
    renderFleetAlarms(alarms.printers);
    renderFleet(fleet, now);
  } else if (detail.error) {
    setText($('alarm-cause'), detail.error.message);
  } else {
    loadEditor(detail.profile);
    renderPrinter(detail, history.items, r, now, view.preview);
  }
  setConnection(`Updated ${new Date(now).toLocaleTimeString([], { hourCycle: 'h23' })}`);
}

function setConnection(text, failed = false) {
  setText($('connection'), text);
  $('connection').classList.toggle('failed', failed);
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

const refreshNow = () => refresh().catch(() => {});

/** The view the address names: `#printer=<id>`, `#printers`, else the alarm list. */
function route() {
  const match = /^#printer=(.+)$/.exec(location.hash);
  let id = null;
  try {
    id = match ? decodeURIComponent(match[1]) : null;
  } catch {
    // A hand-edited address with a broken escape: show the alarm list.
  }
  const name = id !== null ? 'printer' : location.hash === '#printers' ? 'printers' : 'alarms';
  if (name === view.name && id === view.selected) return;
  const previous = view.selected;
  Object.assign(view, { name, selected: id, preview: null });
  dropCharts();
  resetPrinter();
  if (id !== previous) resetEditor();
  for (const section of ['alarms', 'printers', 'printer']) $(`view-${section}`).hidden = section !== name;
  for (const link of document.querySelectorAll('nav a')) {
    if (link.getAttribute('href') === `#${name}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  setText($('message'), '');
  if (id !== null) {
    setText($('printer-title'), `Printer ${id}`);
    $('printer-title').focus();
  } else if (previous !== null) {
    document.querySelector(`[data-id="${CSS.escape(previous)}"] a`)?.focus();
  }
  refreshNow();
}

$('range').addEventListener('change', (event) => {
  view.range = event.target.value;
  refreshNow();
});
setUpAlarms(refreshNow);
setUpFleet(refreshNow);
setUpPrinter(() => view.selected, refreshNow);
setUpEditor(
  () => view.selected,
  refreshNow,
  (preview) => {
    view.preview = preview;
    refreshNow();
  },
);
window.addEventListener('hashchange', route);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) {
    clearTimeout(timer);
    poll();
  }
});
new ResizeObserver(resizeCharts).observe($('main'));

route();
poll();
