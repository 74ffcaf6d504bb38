/** The ranking as a text table, for `npm run ranked` and `npm start`. */
import type { RankedPrinter } from '../lambda/adapters/ranking-query.ts';

/** The ranking as a table for people. */
export function renderRanking(printers: readonly RankedPrinter[]): string {
  if (printers.length === 0) return 'No printers.';
  const idWidth = Math.max('Printer'.length, ...printers.map((p) => p.PrinterId.length));
  const countWidth = Math.max('Events'.length, ...printers.map((p) => String(p.EventCount).length));
  const rankWidth = Math.max('Rank'.length, String(printers.length).length);
  const header = `${'Rank'.padStart(rankWidth)}  ${'Printer'.padEnd(idWidth)}  ${'Events'.padStart(countWidth)}  Last event`;
  const rows = printers.map(
    (p, index) =>
      `${String(index + 1).padStart(rankWidth)}  ${p.PrinterId.padEnd(idWidth)}  ${String(p.EventCount).padStart(countWidth)}  ${p.LastEventAt ?? '-'}`,
  );
  return [header, ...rows].join('\n');
}
