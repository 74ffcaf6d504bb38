// The printer list at fleet scale: one page at a time from the API
// (`GET /api/printers?search&cursor&limit`), searched on the server, with
// next and previous pages; alarms that need attention are the alarm list's
// (linked above the table with their count), so nobody scrolls the fleet.
import { alarmBadges } from './alarm-text.js';
import { api } from './api.js';
import { $, badge, el, number, setId, setText, setTime } from './dom.js';

export const PAGE_SIZE = 25;
/** Typing pauses this long before the search is sent. */
const SEARCH_DELAY_MS = 300;

const page = { search: '', cursors: [undefined], index: 0, next: null, printers: [] };
const rows = new Map();

function query() {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (page.search) params.set('search', page.search);
  const cursor = page.cursors[page.index];
  if (cursor !== undefined) params.set('cursor', cursor);
  return `api/printers?${params}`;
}

/** API pages read at most for one page of search results: a search reads a bounded share of the table per answer. */
const MAX_READS_PER_PAGE = 20;

/**
 * Reads the page shown now (polled like the rest of the page). A search's
 * answer may hold fewer printers than asked with more to read: the reads go
 * on until the page is full or the fleet is read.
 */
export async function readFleet() {
  const wanted = query();
  let answer = await api(wanted);
  const printers = [...answer.printers];
  for (let reads = 1; page.search && printers.length < PAGE_SIZE && answer.next !== null && reads < MAX_READS_PER_PAGE; reads += 1) {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE - printers.length), search: page.search, cursor: answer.next });
    answer = await api(`api/printers?${params}`);
    printers.push(...answer.printers);
  }
  return { wanted, answer: { printers, next: answer.next } };
}

function rowFor(p, now) {
  let row = rows.get(p.PrinterId);
  if (!row) {
    const link = el('a', { href: `#printer=${encodeURIComponent(p.PrinterId)}` });
    setId(link, p.PrinterId);
    const cells = ['id', 'state', 'severity', 'cause wide', 'num', 'num wide', 'num value', 'wide'].map((cls) => el('td', { class: cls }));
    cells[0].append(link);
    cells[1].append(el('span'));
    cells[2].append(el('span'));
    cells[7].append(el('time'));
    row = el('tr', {}, ...cells);
    row.dataset.id = p.PrinterId;
    rows.set(p.PrinterId, row);
  }
  const [, state, severity, cause, events, out, value, seen] = row.cells;
  const badges = alarmBadges(p.Alarm);
  badge(state.firstChild, 'state', p.Alarm.State);
  badge(severity.firstChild, 'sev', badges.severity);
  setText(cause, badges.cause ?? '—');
  setText(events, String(p.EventCount));
  setText(out, String(p.OutOfBoundsCount));
  setText(value, number(p.LastValue));
  setTime(seen.firstChild, p.LastSeenAt, now);
  return row;
}

/** Shows a page read by {@link readFleet}, unless the user moved on since (another search or page). */
export function renderFleet({ wanted, answer }, now) {
  if (wanted !== query()) return;
  page.next = answer.next;
  const body = $('printers').tBodies[0];
  const wantedRows = answer.printers.map((p) => rowFor(p, now));
  const current = [...body.rows];
  if (current.length !== wantedRows.length || current.some((row, i) => row !== wantedRows[i])) {
    const focusedId = document.activeElement?.closest?.('tr')?.dataset.id;
    body.replaceChildren(...wantedRows);
    if (focusedId !== undefined) rows.get(focusedId)?.querySelector('a')?.focus();
    for (const [id, row] of rows) if (!row.isConnected) rows.delete(id);
  }
  $('empty').hidden = wantedRows.length > 0;
  // aria-disabled, not disabled: a button pressed to the last page keeps the keyboard focus.
  $('page-previous').setAttribute('aria-disabled', String(page.index === 0));
  $('page-next').setAttribute('aria-disabled', String(page.next === null));
  const first = page.index * PAGE_SIZE + 1;
  setText(
    $('page-label'),
    wantedRows.length === 0
      ? 'No printers'
      : `Printers ${first} to ${first + wantedRows.length - 1}${page.next === null ? '' : ' (more on the next page)'}`,
  );
}

/** The alarms line above the list: how many alarms need attention, linking to the alarm list. */
export function renderFleetAlarms(alarms) {
  const active = alarms.filter((p) => p.Alarm.State === 'ACTIVE' || p.Alarm.State === 'LATCHED').length;
  setText($('fleet-alarms-link'), `${alarms.length} alarms not NORMAL (${active} active or latched): see the alarm list`);
}

/** Wires the search box and the page buttons; `refresh` reads the page again. */
export function setUpFleet(refresh) {
  let typing;
  $('search').addEventListener('input', (event) => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      page.search = event.target.value.trim();
      page.cursors = [undefined];
      page.index = 0;
      refresh();
    }, SEARCH_DELAY_MS);
  });
  $('search-form').addEventListener('submit', (event) => event.preventDefault());
  $('page-next').addEventListener('click', () => {
    if (page.next === null) return;
    page.cursors[page.index + 1] = page.next;
    page.index += 1;
    refresh();
  });
  $('page-previous').addEventListener('click', () => {
    if (page.index === 0) return;
    page.index -= 1;
    refresh();
  });
}
