/**
 * Comparing severities: the detector ranks broken bands by it, the alarm
 * escalates by it, the outbox paces notifications by it. Pure.
 */
import type { Severity } from '../../contract/index.ts';

/** Whether `a` is more severe than `b`. */
export function moreSevere(a: Severity, b: Severity | null): boolean {
  const rank: Record<Severity, number> = { critical: 4, major: 3, minor: 2, warning: 1 };
  return b === null || rank[a] > rank[b];
}
