// One printer: its alarm (with only the actions that can succeed in its
// state), what it reports now, its recent values against its band, its
// events and history over the chosen time range, and its profile.
import { actionsFor } from './alarm-actions.js';
import { alarmBadges, snoozeText } from './alarm-text.js';
import { post, printerPath } from './api.js';
import { eventsChart, valuesChart } from './charts.js';
import { $, badge, el, number, say, setText, setTime, stateLabel, timeElement } from './dom.js';

/** Each action's name on its button, and as done. */
const ACTIONS = {
  acknowledge: ['Acknowledge', 'Acknowledged'],
  snooze: ['Snooze', 'Snoozed'],
  disable: ['Disable', 'Disabled'],
  enable: ['Enable', 'Enabled'],
  reset: ['Reset', 'Reset'],
};

let historyKey = '';
/** How often ages ("3 min ago") in the facts and the history are re-drawn. */
const AGE_STEP_MS = 5_000;

/** The settings the detector runs, each inherited one marked as coming from the fleet defaults (as `npm run profile -- get` shows). */
function profileFacts(detail) {
  const effective = detail.effective ?? detail.profile;
  return Object.entries(effective).map(([name, value]) => {
    if (Object.hasOwn(detail.profile, name)) return [name, value];
    const shown = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    return [name, `${shown} (from *)`];
  });
}

/** Which facts are times (`LastSeenAt` ISO, `LastTimestamp` epoch ms): shown in the page's one format. */
const TIME_FACT = /(At|Timestamp)$/;
const asTime = (value) =>
  typeof value === 'number' ? new Date(value).toISOString() : typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : null;

/** Counters and bookkeeping; times in the page's one format (re-drawn every few seconds for their ages). */
function renderFacts(list, facts, now) {
  const key = `${JSON.stringify(facts)}|${Math.floor(now / AGE_STEP_MS)}`;
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(
    ...facts.flatMap(([name, value]) => {
      const dd = el('dd');
      const time = TIME_FACT.test(name) ? asTime(value) : null;
      if (time !== null) dd.append(timeElement(time, now));
      else dd.textContent = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value ?? '—');
      return [el('dt', { text: name }), dd];
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

function renderHistory(items, now) {
  // Re-drawn when the items change, and every few seconds for the ages.
  const key = `${JSON.stringify(items)}|${Math.floor(now / AGE_STEP_MS)}`;
  if (historyKey === key) return;
  historyKey = key;
  $('history').replaceChildren(
    ...items.map((item) => {
      const [at, text] = describe(item);
      return el('li', { class: item.Type }, timeElement(at, now), ` ${text}`);
    }),
  );
  $('history-empty').hidden = items.length > 0;
}

/** Shows only the buttons of the actions that can succeed now; the focus, if on one that goes, moves to the note. */
function renderButtons(state) {
  const valid = actionsFor(state);
  for (const button of document.querySelectorAll('[data-action]')) {
    const hide = !valid.includes(button.dataset.action);
    if (hide && document.activeElement === button) $('note').focus();
    button.hidden = hide;
  }
  $('snooze-field').hidden = !valid.includes('snooze');
}

/** The printer page from its detail and history; `range` the chosen time range (`from`, `to`, `label`). */
export function renderPrinter(detail, history, range, now, preview) {
  setText($('printer-title'), `Printer ${detail.profile.PrinterId}`);
  badge($('alarm-state'), 'state', detail.alarm.State);
  const { severity, cause } = alarmBadges(detail.alarm);
  badge($('alarm-severity'), 'sev', severity);
  setText($('alarm-cause'), cause ? `cause ${cause}` : '');
  setTime($('alarm-since'), detail.alarm.Since, now);
  $('alarm-since-label').hidden = !detail.alarm.Since;
  setText($('alarm-until'), detail.alarm.Until ? snoozeText(detail.alarm.Until, now) : '');
  setText($('alarm-owner'), detail.alarm.By ? `by ${detail.alarm.By}` : '');
  renderButtons(detail.alarm.State);
  renderFacts($('state'), Object.entries(detail.state), now);
  renderFacts($('profile'), profileFacts(detail), now);
  const metric = valuesChart($('values-chart'), detail.recent, detail.effective ?? detail.profile, preview);
  setText($('values-title'), `Recent values of ${metric}`);
  eventsChart($('events-chart'), history, { from: range.from, to: now, rangeLabel: range.label, fleet: false });
  renderHistory(history, now);
}

/** Forgets what was drawn for the last printer. */
export function resetPrinter() {
  historyKey = '';
  for (const list of [$('state'), $('profile')]) delete list.dataset.key;
}

async function act(id, action, refresh) {
  const note = $('note').value.trim();
  const body = { action, ...(note ? { note } : {}) };
  if (action === 'snooze') body.until = new Date(Date.now() + Number($('snooze-for').value)).toISOString();
  try {
    const alarm = await post(`${printerPath(id)}/alarm`, body);
    $('note').value = '';
    say($('message'), `${ACTIONS[action][1]} ${id}: the alarm is ${stateLabel(alarm.State)}.`, false);
  } catch (error) {
    say($('message'), `${ACTIONS[action][0]} refused: ${error.message}`, true);
  }
  await refresh();
}

/** Wires the action buttons; `selected()` is the printer shown, `refresh` reads the page again. */
export function setUpPrinter(selected, refresh) {
  $('actions').addEventListener('submit', (event) => event.preventDefault());
  for (const button of document.querySelectorAll('[data-action]')) {
    button.addEventListener('click', () => {
      const id = selected();
      if (id !== null) act(id, button.dataset.action, refresh);
    });
  }
}
