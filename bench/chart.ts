/**
 * The fleet chart (`bench/results/fleet.svg`), written by hand: DynamoDB
 * requests per reading and readings per second against fleet size, our
 * handler next to the original's access pattern.
 */
import type { PerReadingResult } from './per-reading.ts';
import { REQUESTS_PER_READING } from './targets.ts';

interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly { x: number; y: number }[];
}

interface Panel {
  readonly title: string;
  readonly yLabel: string;
  readonly log: boolean;
  readonly series: readonly Series[];
  readonly target?: { y: number; label: string };
}

const W = 460;
const H = 340;
const M = { top: 48, right: 24, bottom: 56, left: 64 };
const OURS = '#1f6fb4';
const ORIGINAL = '#d1495b';

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmtTick = (v: number) => (v >= 1000 ? `${v / 1000}k` : Number.isInteger(v) ? String(v) : v.toFixed(1));
const fmtValue = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function panel(p: Panel, offsetX: number, xs: readonly number[]): string {
  const innerW = W - M.left - M.right;
  const innerH = H - M.top - M.bottom;
  const lx = (x: number) => Math.log10(x);
  const [xMin, xMax] = [lx(Math.min(...xs)), lx(Math.max(...xs))];
  const sx = (x: number) => M.left + ((lx(x) - xMin) / (xMax - xMin || 1)) * innerW;
  const ys = p.series.flatMap((s) => s.points.map((pt) => pt.y)).concat(p.target ? [p.target.y] : []);
  let yTicks: number[];
  let sy: (y: number) => number;
  if (p.log) {
    const lo = Math.floor(Math.log10(Math.min(...ys)));
    const hi = Math.ceil(Math.log10(Math.max(...ys)));
    yTicks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
    sy = (y) => M.top + innerH - ((Math.log10(y) - lo) / (hi - lo || 1)) * innerH;
  } else {
    const hi = Math.ceil(Math.max(...ys) + 0.5);
    yTicks = Array.from({ length: hi + 1 }, (_, i) => i);
    sy = (y) => M.top + innerH - (y / hi) * innerH;
  }
  const parts: string[] = [`<g transform="translate(${offsetX},0)">`];
  parts.push(`<text x="${M.left}" y="24" font-size="15" font-weight="600">${esc(p.title)}</text>`);
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${M.left - 8}" y="${y}" dy="4" text-anchor="end" font-size="11" fill="#555">${fmtTick(t)}</text>`);
  }
  for (const x of xs) {
    const px = sx(x).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${M.top}" y2="${M.top + innerH}" stroke="#f0f0f0"/>`);
    parts.push(
      `<text x="${px}" y="${M.top + innerH + 18}" text-anchor="middle" font-size="11" fill="#555">${x.toLocaleString('en-US')}</text>`,
    );
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${innerW}" height="${innerH}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${M.left + innerW / 2}" y="${H - 14}" text-anchor="middle" font-size="12">printers in the fleet (log scale)</text>`);
  parts.push(
    `<text transform="translate(16,${M.top + innerH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`,
  );
  if (p.target) {
    const y = sy(p.target.y).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#2a9d8f" stroke-dasharray="5 4"/>`);
    parts.push(
      `<text x="${M.left + innerW * 0.25}" y="${y}" dy="14" text-anchor="middle" font-size="11" fill="#2a9d8f">${esc(p.target.label)}</text>`,
    );
  }
  for (const s of p.series) {
    const path = s.points.map((pt, i) => `${i === 0 ? 'M' : 'L'}${sx(pt.x).toFixed(1)},${sy(pt.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2.5"/>`);
    for (const pt of s.points) {
      const cx = sx(pt.x);
      const cy = sy(pt.y);
      parts.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4" fill="${s.color}"/>`);
      const above = s.color === OURS ? -9 : 16;
      parts.push(
        `<text x="${cx.toFixed(1)}" y="${(cy + above).toFixed(1)}" text-anchor="middle" font-size="10.5" fill="${s.color}">${fmtValue(pt.y)}</text>`,
      );
    }
  }
  parts.push('</g>');
  return parts.join('\n');
}

/** The SVG document for the per-reading result. */
export function fleetChart(result: PerReadingResult, caption: string): string {
  const xs = result.rows.map((r) => r.fleetSize);
  const series = (pick: (d: PerReadingResult['rows'][number]['ours']) => number): Series[] => [
    { label: 'this design', color: OURS, points: result.rows.map((r) => ({ x: r.fleetSize, y: pick(r.ours) })) },
    { label: 'original pattern', color: ORIGINAL, points: result.rows.map((r) => ({ x: r.fleetSize, y: pick(r.original) })) },
  ];
  const width = W * 2;
  const height = H + 70;
  const legendY = H + 14;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    `<title>DynamoDB requests per reading and readings per second against fleet size</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    panel(
      {
        title: 'DynamoDB requests per reading',
        yLabel: 'requests per reading',
        log: false,
        series: series((d) => d.requestsPerReading),
        target: { y: REQUESTS_PER_READING.max, label: `target ≤ ${REQUESTS_PER_READING.max}` },
      },
      0,
      xs,
    ),
    panel(
      { title: 'Handler throughput', yLabel: 'readings per second (log scale)', log: true, series: series((d) => d.readingsPerSecond) },
      W,
      xs,
    ),
    `<g font-size="12">`,
    `<rect x="${M.left}" y="${legendY}" width="14" height="4" fill="${OURS}"/><text x="${M.left + 20}" y="${legendY + 6}">this design (guarded UpdateItem, cached state)</text>`,
    `<rect x="${M.left + 330}" y="${legendY}" width="14" height="4" fill="${ORIGINAL}"/><text x="${M.left + 350}" y="${legendY + 6}">original pattern (GetItem + UpdateItem + full Scan)</text>`,
    `</g>`,
    ...caption
      .split('\n')
      .map((line, i) => `<text x="${M.left}" y="${legendY + 28 + i * 14}" font-size="10.5" fill="#666">${esc(line)}</text>`),
    `</svg>`,
    '',
  ].join('\n');
}
