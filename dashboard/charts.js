// The page's charts (uPlot): the fleet's and a printer's events over the
// chosen time range, and a printer's recent values against its band, with a
// profile's preview drawn over them. Each chart keeps its uPlot instance on
// its element (`element.plot`), where the browser tests read its scales.
import { clockText } from './time.js';
import uPlot from './vendor/uPlot.esm.js';

const HEIGHT = 180;
const charts = new Map();
const seconds = (ms) => ms / 1000;
const stepped = uPlot.paths.stepped({ align: 1 });
/** Axis ticks in the page's one time format, with seconds when ticks are less than a minute apart. */
const timeTicks = (_u, splits) => {
  const seconds = splits.length > 1 && splits[1] - splits[0] < 60;
  return splits.map((s) => clockText(s * 1000, Date.now(), undefined, { seconds }));
};

/**
 * A uPlot chart in `element`, created on first use (or when its series or
 * scales change) and given new data after; `scales` may hold ranges that
 * read `element.range` (`[min, max]` per scale), set before each draw.
 */
function chart(element, label, { key, series, scales, axes, data, ranges }) {
  let plot = charts.get(element.id);
  if (plot && plot.key !== key) {
    plot.destroy();
    plot = undefined;
  }
  element.ranges = ranges;
  const width = Math.max(200, element.clientWidth);
  if (!plot) {
    const options = { width, height: HEIGHT, legend: { show: false }, cursor: { show: false }, series: [{}, ...series], scales, axes };
    plot = new uPlot(options, data, element);
    plot.key = key;
    charts.set(element.id, plot);
    element.plot = plot;
  } else {
    plot.setData(data);
    if (plot.width !== width) plot.setSize({ width, height: HEIGHT });
  }
  element.setAttribute('aria-label', label);
}

/** Forgets every chart (a new view draws its own). */
export function dropCharts() {
  for (const plot of charts.values()) plot.destroy();
  charts.clear();
}

export function resizeCharts() {
  for (const [id, plot] of charts) plot.setSize({ width: Math.max(200, document.getElementById(id).clientWidth), height: HEIGHT });
}

/** An x scale over `[from, to]` (epoch ms) exactly, whatever the data spans. */
const timeScale = (element) => ({ time: true, range: () => element.ranges.x });

/**
 * Events as a running count over `[from, to]` (epoch ms): from the count
 * before the first event in the range to the last, held until `to`. `items`
 * are history items, newest first.
 */
export function eventSeries(items, count, before, from, to) {
  const events = items.filter((i) => i.Type === 'event' && Date.parse(i.at) >= from).reverse();
  if (events.length === 0)
    return [
      [seconds(from), seconds(to)],
      [0, 0],
    ];
  const times = events.map((e) => Date.parse(e.at));
  const counts = events.map((e, i) => count(e, i));
  return [[from, ...times, Math.max(to, times.at(-1))].map(seconds), [before(events[0]), ...counts, counts.at(-1)]];
}

/** Events over `[from, to]` in `element`: `running` counts them from 0 (the fleet), else the printer's EventCount. */
export function eventsChart(element, items, { from, to, fleet, rangeLabel }) {
  const data = fleet
    ? eventSeries(
        items,
        (_e, i) => i + 1,
        () => 0,
        from,
        to,
      )
    : eventSeries(
        items,
        (e) => e.events,
        (e) => e.events - 1,
        from,
        to,
      );
  const n = items.filter((i) => i.Type === 'event' && Date.parse(i.at) >= from).length;
  const label = n === 0 ? `No events in the last ${rangeLabel}` : `${n} events in the last ${rangeLabel}`;
  chart(element, label, {
    key: 'events',
    series: [{ label: fleet ? 'Events' : 'EventCount', stroke: '#b91c1c', width: 2, paths: stepped, points: { show: false } }],
    scales: { x: timeScale(element) },
    axes: [{ values: timeTicks }, { size: 56 }],
    data,
    ranges: { x: [seconds(from), seconds(to)] },
  });
}

/** The metric the recent values are of, and its band: `value` for the original thresholds, else `value` or the first metric. */
export function mainBand(profile) {
  const t = profile?.Thresholds ?? {};
  if (typeof t.Lower === 'number' || typeof t.Upper === 'number') return { metric: 'value', band: t };
  const metric = Object.hasOwn(t, 'value') ? 'value' : Object.keys(t)[0];
  return { metric: metric ?? 'value', band: (metric && t[metric]) || {} };
}

const bounds = (band) => [band.Lower, band.Upper].filter((b) => typeof b === 'number');
/** `; band 20 to 80`, or the one bound of a one-sided band. */
function bandText(name, band) {
  if (typeof band.Lower === 'number' && typeof band.Upper === 'number') return `; ${name} ${band.Lower} to ${band.Upper}`;
  if (typeof band.Lower === 'number') return `; ${name} from ${band.Lower}`;
  if (typeof band.Upper === 'number') return `; ${name} up to ${band.Upper}`;
  return '';
}

/** A y range holding the values and every bound (current and proposed), with a little room. */
function yRange(values, bands) {
  const all = [...values, ...bands.flatMap(bounds)];
  if (all.length === 0) return [0, 1];
  const low = Math.min(...all);
  const high = Math.max(...all);
  const pad = (high - low) * 0.08 || Math.abs(high) * 0.1 || 1;
  return [low - pad, high + pad];
}

/**
 * The printer's recent values of its main metric against its band (the
 * effective one) and, with a `preview`, the proposed band and the values it
 * would flag. The y range always holds the bands, so their lines show.
 */
export function valuesChart(element, recent, profile, preview) {
  const values = preview?.values ?? recent;
  const xs = values.map(([at]) => seconds(at));
  const ys = values.map(([, v]) => v);
  const { metric, band } = mainBand(profile);
  const series = [{ label: metric, stroke: '#1d4ed8', width: 2 }];
  const data = [xs, ys];
  const line = (label, bound, stroke, dash) => {
    if (typeof bound !== 'number') return;
    series.push({ label, stroke, width: 1.5, dash, points: { show: false } });
    data.push(xs.map(() => bound));
  };
  line('Lower', band.Lower, '#b91c1c', [6, 4]);
  line('Upper', band.Upper, '#b91c1c', [6, 4]);
  const proposed = preview ? mainBand(preview.profile).band : undefined;
  if (proposed) {
    line('Proposed lower', proposed.Lower, '#047857', [2, 3]);
    line('Proposed upper', proposed.Upper, '#047857', [2, 3]);
    const flags = preview.proposed?.flags ?? [];
    series.push({ label: 'Flagged', stroke: '#7c2d12', width: 0, points: { show: true, size: 9, fill: '#f97316' } });
    data.push(ys.map((v, i) => (flags[i] ? v : null)));
  }
  const flagged = proposed ? `, ${(preview.proposed?.flags ?? []).filter(Boolean).length} flagged` : '';
  const label =
    ys.length === 0
      ? `No recent values of ${metric} yet`
      : `${metric}: ${ys.length} recent values, the last ${Number(ys.at(-1).toPrecision(6))}${bandText('band', band)}${
          proposed ? bandText('proposed band', proposed) + flagged : ''
        }`;
  chart(element, label, {
    key: series.map((s) => s.label).join('|'),
    series,
    scales: { x: { time: true }, y: { range: () => element.ranges.y } },
    axes: [{ values: timeTicks }, { size: 56, label: metric }],
    data,
    ranges: { y: yRange(ys, [band, ...(proposed ? [proposed] : [])]) },
  });
  return metric;
}
