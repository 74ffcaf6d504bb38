/**
 * The performance page (`docs/performance.md`): `npm run bench` renders it
 * from `bench/results/*.json`, so the committed page must be exactly what
 * those results render, and its tables must read in a terminal.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readResults } from '../../bench/report.ts';
import { performancePage } from '../../bench/report-page.ts';

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const page = performancePage(readResults(repo('bench/results')));

describe('docs/performance.md', () => {
  it('is what the bench renders from bench/results (npm run bench -- --report-only rewrites it)', () => {
    expect(readFileSync(repo('docs/performance.md'), 'utf8')).toBe(page);
  });

  it('has every target of the results and no table row over 120 characters', () => {
    expect(page).toMatch(/^# Performance\n/);
    expect(page).toContain('## Targets');
    expect(page.split('\n').filter((line) => line.startsWith('|') && line.length > 120)).toEqual([]);
  });

  it('renders a results folder with no section run as a page without figures', () => {
    const empty = performancePage({});
    expect(empty).toContain('## Targets');
    expect(empty).not.toContain('| printers |');
  });
});
