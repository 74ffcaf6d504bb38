/**
 * How big a load, fault or compliance test is: `npm test` runs a
 * representative of each kind at a size that fits a 2-core machine in
 * minutes; `npm run soak` (SOAK=1, the files in `test/soak/`) runs every case
 * at full size. Which cases run where is listed in docs/local.md.
 */

/** True under `npm run soak`. */
export const SOAK = process.env['SOAK'] === '1';

/** Every case under soak; in `npm test`, the first `keep` (the representatives). */
export function soakCases<T>(cases: readonly T[], keep = 1): T[] {
  return SOAK ? [...cases] : cases.slice(0, keep);
}

/** `quick` in `npm test`, `full` under soak. */
export function soakSize<T>(quick: T, full: T): T {
  return SOAK ? full : quick;
}
