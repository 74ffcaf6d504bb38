// Small DOM helpers the dashboard's modules share. Every value from the API
// is put on the page as text, never as HTML.
import { clockText, whenText } from './time.js';

export const $ = (id) => document.getElementById(id);

export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

export const stateLabel = (state) => state.replace('_', ' ');

/** A badge: the value's label (or `none`), coloured by kind and value. */
export function badge(element, kind, value) {
  setText(element, value ? stateLabel(value) : 'none');
  element.className = value ? `badge ${kind}-${value}` : 'badge none';
}

/** An element with attributes (`text` sets its text) and children. */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') element.textContent = value;
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

/**
 * Where a printer id may wrap: after a separator (`-`, `_`, `.`, `/`, `:`,
 * `@`) and where letters turn to digits, so `site-7/LaserJet4200` breaks
 * between its parts, never inside `LaserJet`. A 128-character run without
 * any of them still wraps (the stylesheet's `overflow-wrap`).
 */
export function idParts(id) {
  return id.split(/(?<=[-_./:@])|(?<=[A-Za-z])(?=\d)/u).filter((part) => part.length > 0);
}

/** The id as text with a `<wbr>` at each sensible break. */
export function idNodes(id) {
  return idParts(id).flatMap((part, i) => (i === 0 ? [part] : [document.createElement('wbr'), part]));
}

/** Puts `id` into `element` (once: ids do not change). */
export function setId(element, id) {
  if (element.dataset.id === id) return;
  element.dataset.id = id;
  element.replaceChildren(...idNodes(id));
}

/** Sets a `<time>` to `iso` in the one format (`time.js`), with its ISO time in a title; `—` when absent. */
export function setTime(element, iso, now, { age = true } = {}) {
  if (!iso) {
    setText(element, '—');
    element.removeAttribute('datetime');
    element.removeAttribute('title');
    return;
  }
  const ms = Date.parse(iso);
  const exact = new Date(ms).toISOString();
  setText(element, age ? whenText(ms, now) : clockText(ms, now));
  if (element.getAttribute('datetime') !== exact) {
    element.setAttribute('datetime', exact);
    element.setAttribute('title', exact);
  }
}

/** A new `<time>` for `iso`. */
export function timeElement(iso, now, options) {
  const element = document.createElement('time');
  setTime(element, iso, now, options);
  return element;
}

/** A reading's value as people read it: six significant digits at most. */
export const number = (value) => (value === null || value === undefined ? '—' : String(Number(value.toPrecision(6))));

/** Says `text` in a live region (emptied first, so that the same text twice is announced twice). */
export function say(element, text, failed) {
  element.classList.toggle('failed', failed);
  element.textContent = '';
  requestAnimationFrame(() => (element.textContent = text));
}
