// The alarm list, the view an operator opens first: every alarm that is not
// NORMAL, most urgent first (the API's order), with its state, severity,
// cause, age, owner and snooze end; several can be selected (checkboxes) and
// acknowledged or snoozed at once with one note, each result listed.
import { alarmBadges, snoozeText } from './alarm-text.js';
import { post } from './api.js';
import { $, badge, el, say, setId, setText, setTime, stateLabel } from './dom.js';

const rows = new Map();
const selected = new Set();
let shown = [];

function rowFor(p, now) {
  let row = rows.get(p.PrinterId);
  if (!row) {
    const box = el('input', { type: 'checkbox', 'aria-label': `Select ${p.PrinterId}` });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(p.PrinterId);
      else selected.delete(p.PrinterId);
      syncSelection();
    });
    const link = el('a', { href: `#printer=${encodeURIComponent(p.PrinterId)}` });
    setId(link, p.PrinterId);
    const cells = ['pick', 'id', 'state', 'severity', 'cause', 'since', 'owner', 'until'].map((cls) => el('td', { class: cls }));
    cells[0].append(box);
    cells[1].append(link);
    // On a phone the severity, cause, owner and snooze end columns fold into the state cell (style.css): this line carries them.
    cells[2].append(el('span'), el('span', { class: 'phone-only' }));
    cells[3].append(el('span'));
    cells[5].append(el('time'));
    row = el('tr', {}, ...cells);
    row.dataset.id = p.PrinterId;
    rows.set(p.PrinterId, row);
  }
  const [, , state, severity, cause, since, owner, until] = row.cells;
  const badges = alarmBadges(p.Alarm);
  badge(state.firstChild, 'state', p.Alarm.State);
  badge(severity.firstChild, 'sev', badges.severity);
  setText(cause, badges.cause ?? '—');
  const snooze = p.Alarm.Until ? snoozeText(p.Alarm.Until, now) : null;
  setText(state.lastChild, [badges.severity, badges.cause, p.Alarm.By ? `by ${p.Alarm.By}` : null, snooze].filter(Boolean).join(' · '));
  setTime(since.firstChild, p.Alarm.Since, now);
  setText(owner, p.Alarm.By ?? '—');
  setText(until, snooze ?? '—');
  row.cells[0].firstChild.checked = selected.has(p.PrinterId);
  return row;
}

function syncSelection() {
  for (const id of selected) if (!shown.some((p) => p.PrinterId === id)) selected.delete(id);
  const all = $('select-all');
  all.checked = shown.length > 0 && selected.size === shown.length;
  all.indeterminate = selected.size > 0 && selected.size < shown.length;
  setText($('selected-count'), selected.size === 0 ? 'None selected' : `${selected.size} selected`);
}

/** Shows `printers` (the API's alarm listing) in the table, keeping the focus on the same row. */
export function renderAlarms(printers, now) {
  shown = printers;
  const body = $('alarm-list').tBodies[0];
  const wanted = printers.map((p) => rowFor(p, now));
  const current = [...body.rows];
  if (current.length !== wanted.length || current.some((row, i) => row !== wanted[i])) {
    const active = document.activeElement;
    body.replaceChildren(...wanted);
    if (active && !active.isConnected) $('select-all').focus();
    else active?.focus?.();
  }
  for (const id of rows.keys()) if (!printers.some((p) => p.PrinterId === id)) rows.delete(id);
  $('alarms-empty').hidden = printers.length > 0;
  syncSelection();
}

/** What one result says: `Printer3: ACKNOWLEDGED` or `Printer6: refused, alarm is …`. */
function resultText(result) {
  if (result.status >= 200 && result.status < 300) return `${result.PrinterId}: done, now ${stateLabel(result.alarm?.State ?? '')}`;
  return `${result.PrinterId}: refused, ${result.error ?? `status ${result.status}`}`;
}

async function bulk(action, refresh) {
  const printers = [...selected];
  if (printers.length === 0) {
    say($('bulk-message'), 'Select one or more alarms first.', true);
    return;
  }
  const note = $('bulk-note').value.trim();
  const body = { printers, action, ...(note ? { note } : {}) };
  if (action === 'snooze') body.until = new Date(Date.now() + Number($('bulk-snooze-for').value)).toISOString();
  try {
    const { results } = await post('api/alarms/actions', body);
    const done = results.filter((r) => r.status >= 200 && r.status < 300).length;
    $('bulk-results').replaceChildren(...results.map((r) => el('li', { class: r.status < 300 ? 'done' : 'failed', text: resultText(r) })));
    say($('bulk-message'), `${action === 'snooze' ? 'Snooze' : 'Acknowledge'}: ${done} of ${results.length} done.`, done < results.length);
    if (done > 0) $('bulk-note').value = '';
    selected.clear();
  } catch (error) {
    say($('bulk-message'), `Refused: ${error.message}`, true);
  }
  await refresh();
}

/** Wires the select-all box and the bulk buttons; `refresh` reads the page again. */
export function setUpAlarms(refresh) {
  $('select-all').addEventListener('change', (event) => {
    for (const p of shown) {
      if (event.target.checked) selected.add(p.PrinterId);
      else selected.delete(p.PrinterId);
      rows.get(p.PrinterId).cells[0].firstChild.checked = event.target.checked;
    }
    syncSelection();
  });
  $('bulk').addEventListener('submit', (event) => event.preventDefault());
  for (const button of document.querySelectorAll('[data-bulk]')) button.addEventListener('click', () => bulk(button.dataset.bulk, refresh));
}
