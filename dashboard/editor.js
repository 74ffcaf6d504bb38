// The profile editor on a printer's page: its thresholds (the main metric's
// band), window mode, severity and alarm options, validated by the API's one
// validator (its message shown beside the attribute it names, else on one
// line), and a preview of what the edited profile would have done on the
// printer's recent values, drawn on the values chart before saving.
import { ApiError, post, printerPath } from './api.js';
import { mainBand } from './charts.js';
import { $, say } from './dom.js';

/** The attributes the form edits, each an input `#edit-<name>`: numbers, or one of a list. */
const NUMBERS = ['Window', 'Of', 'DurationSeconds', 'ClearAfter', 'SilenceSeconds', 'RenotifyMinutes', 'NotifyMinIntervalSeconds'];
const CHOICES = ['Mode', 'Severity', 'Latch'];

const editor = { id: null, profile: null, dirty: false };

const input = (name) => $(`edit-${name}`);
const numberOrUndefined = (text) => (text.trim() === '' ? undefined : Number(text));

/** Fills the form from the printer's own profile, unless the user is editing it. */
export function loadEditor(profile) {
  if (editor.dirty && editor.id === profile.PrinterId) return;
  editor.id = profile.PrinterId;
  editor.profile = profile;
  const { metric, band } = mainBand(profile);
  $('edit-metric').textContent = metric;
  input('Lower').value = band.Lower ?? '';
  input('Upper').value = band.Upper ?? '';
  for (const name of NUMBERS) input(name).value = profile[name] ?? '';
  for (const name of CHOICES) input(name).value = profile[name] === undefined ? '' : String(profile[name]);
  clearErrors();
}

/** The profile the form describes: the stored one with the edited attributes replaced (an empty field: not set). */
export function editedProfile() {
  const profile = { ...editor.profile };
  const { metric } = mainBand(profile);
  const band = { Lower: numberOrUndefined(input('Lower').value), Upper: numberOrUndefined(input('Upper').value) };
  const t = profile.Thresholds ?? {};
  const original = typeof t.Lower === 'number' || typeof t.Upper === 'number' || Object.keys(t).length === 0;
  const edited = Object.fromEntries(Object.entries(band).filter(([, v]) => v !== undefined));
  profile.Thresholds = original ? edited : { ...t, [metric]: { ...t[metric], Lower: undefined, Upper: undefined, ...edited } };
  if (!original)
    profile.Thresholds[metric] = Object.fromEntries(Object.entries(profile.Thresholds[metric]).filter(([, v]) => v !== undefined));
  for (const name of NUMBERS) profile[name] = numberOrUndefined(input(name).value);
  for (const name of CHOICES) {
    const value = input(name).value;
    profile[name] = value === '' ? undefined : name === 'Latch' ? value === 'true' : value;
  }
  return Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== undefined));
}

function clearErrors() {
  for (const error of document.querySelectorAll('#editor .field-error')) {
    error.textContent = '';
    error.hidden = true;
  }
  for (const field of document.querySelectorAll('#editor [aria-invalid]')) field.removeAttribute('aria-invalid');
}

/** Shows the API's refusal: beside each attribute it names (Thresholds: the band), else as one line. */
function showRefusal(error) {
  clearErrors();
  const fields = error instanceof ApiError && error.fields ? Object.entries(error.fields) : [];
  let placed = 0;
  for (const [attribute, text] of fields) {
    const name = attribute.split('.')[0];
    const target = name === 'Thresholds' ? input('Lower') : input(name);
    const slot = $(`error-${name}`);
    if (!target || !slot) continue;
    target.setAttribute('aria-invalid', 'true');
    slot.textContent = text;
    slot.hidden = false;
    placed += 1;
  }
  const first = document.querySelector('#editor [aria-invalid]');
  first?.focus();
  say($('editor-message'), placed === 0 ? `Not saved: ${error.message}` : `Not saved: ${placed} field(s) to correct.`, true);
}

/** Wires the form; `selected()` is the printer shown, `refresh` reads the page again, `showPreview` draws a preview (or none). */
export function setUpEditor(selected, refresh, showPreview) {
  $('editor').addEventListener('input', () => {
    editor.dirty = true;
  });
  $('editor').addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = selected();
    if (id === null) return;
    try {
      await post(printerPath(id), editedProfile(), 'PUT');
      editor.dirty = false;
      clearErrors();
      showPreview(null);
      say($('editor-message'), `Saved the profile of ${id}.`, false);
    } catch (error) {
      showRefusal(error);
    }
    await refresh();
  });
  $('editor-preview').addEventListener('click', async () => {
    const id = selected();
    if (id === null) return;
    const profile = editedProfile();
    try {
      const result = await post(`${printerPath(id)}/preview`, profile);
      clearErrors();
      showPreview({ ...result, profile });
      const count = (side) => (Array.isArray(side?.events) ? side.events.length : (side?.events ?? 0));
      say(
        $('editor-message'),
        `Preview on the last ${result.values.length} values: the saved profile raised ${count(result.current)} event(s), this one would raise ${count(result.proposed)}.`,
        false,
      );
    } catch (error) {
      showRefusal(error);
    }
  });
  $('editor-reset').addEventListener('click', () => {
    editor.dirty = false;
    if (editor.profile) loadEditor(editor.profile);
    showPreview(null);
    say($('editor-message'), 'Edits dropped.', false);
  });
}

/** Forgets the edits (another printer is shown). */
export function resetEditor() {
  editor.dirty = false;
  editor.id = null;
}
