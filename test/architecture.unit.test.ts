/**
 * The layout's rules, checked on every file git knows (`docs/design.md`,
 * "Project layout" and "Layout and dependencies"): top-level folders import
 * only the folders below them, so there is no cycle; source files stay short
 * enough to hold in mind; comments point at things a reader of this
 * repository can open.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/** What each top-level folder may import besides itself (Node and npm packages aside). */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  common: [],
  contract: [],
  lambda: ['contract', 'common'],
  dashboard: [],
  lib: ['contract', 'common', 'lambda'],
  bin: ['lib', 'contract'],
  twin: ['contract', 'common', 'lambda', 'dashboard', 'lib'],
  emitter: ['contract', 'common', 'lambda'],
  importer: ['contract', 'common', 'lambda'],
  bench: ['contract', 'common', 'lambda', 'twin', 'emitter'],
  cli: ['contract', 'common', 'lambda', 'twin', 'emitter', 'dashboard', 'importer', 'lib'],
  '.': ['bin', 'lib'],
};

const sources = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '*.ts'], { encoding: 'utf8' })
  .split('\0')
  .filter((file) => file && existsSync(file));
const topOf = (file: string) => (file.includes('/') ? file.split('/')[0]! : '.');
const isTest = (file: string) => topOf(file) === 'test';
const SPECIFIER = /(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SPECIFIER)].map((m) => normalize(join(dirname(file), (m[1] ?? m[2])!)));
}

/**
 * Every circle of files, each written once from the file where the
 * depth-first search met it (`docs/design.md`, "Layout and dependencies").
 */
function fileCycles(files: readonly string[], importsOf: (file: string) => readonly string[] = relativeImports): string[] {
  const known = new Set(files);
  const done = new Set<string>();
  const path: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string): void => {
    const at = path.indexOf(file);
    if (at >= 0) {
      cycles.push([...path.slice(at), file].join(' -> '));
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    for (const target of importsOf(file)) if (known.has(target)) visit(target);
    path.pop();
    done.add(file);
  };
  for (const file of files) visit(file);
  return cycles;
}

describe('layout', () => {
  it('knows every top-level source folder', () => {
    const folders = new Set(sources.filter((f) => !isTest(f)).map(topOf));
    expect([...folders].filter((folder) => !(folder in MAY_IMPORT))).toEqual([]);
  });

  it('top-level folders import only the folders below them (no cycle)', () => {
    const wrong: string[] = [];
    for (const file of sources.filter((f) => !isTest(f))) {
      const from = topOf(file);
      for (const target of relativeImports(file)) {
        const to = topOf(target);
        if (to !== from && !MAY_IMPORT[from]?.includes(to)) wrong.push(`${file} -> ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('nothing outside cli/ and test/ imports cli/ (one file per npm script)', () => {
    const importers = sources.filter((f) => !['cli', 'test'].includes(topOf(f)) && relativeImports(f).some((t) => topOf(t) === 'cli'));
    expect(importers).toEqual([]);
  });

  it('the contract and the common helpers import no package but Node built-ins', () => {
    const packageImport = /from\s+['"](?!node:|\.{1,2}\/)([^'"]+)['"]/;
    const offenders = sources.filter((f) => ['contract', 'common'].includes(topOf(f)) && packageImport.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the pure core imports no SDK and nothing outside the contract and common helpers', () => {
    const core = sources.filter((f) => f.startsWith('lambda/core/'));
    expect(core.length).toBeGreaterThan(0);
    const offenders = core.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return (
        /from\s+['"](?!\.{1,2}\/)/.test(text) ||
        relativeImports(f).some((t) => !/^(lambda\/core\/|lambda\/errors\.ts|contract\/|common\/)/.test(t))
      );
    });
    expect(offenders).toEqual([]);
  });

  it('no source file imports itself through other files (no cycle between files, type-only imports included)', () => {
    expect(fileCycles(sources.filter((f) => !isTest(f)))).toEqual([]);
  });

  it('the cycle check finds a circle of files and ignores a chain', () => {
    const graph: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a', 'd'], d: [] };
    expect(fileCycles(Object.keys(graph), (f) => graph[f] ?? [])).toEqual(['a -> b -> c -> a']);
    expect(fileCycles(['a', 'b'], (f) => (f === 'a' ? ['b'] : []))).toEqual([]);
  });

  it('no source file is over 400 lines', () => {
    const long = sources
      .filter((f) => !isTest(f))
      .map((f) => [f, readFileSync(f, 'utf8').split('\n').length] as const)
      .filter(([, lines]) => lines > 400);
    expect(long).toEqual([]);
  });

  it('no comment cites a spec section or an issue number (nothing a reader of the repository can open)', () => {
    const citation = /\bSPEC\b|\b[Ii]ssue #?\d+|\(#\d+\)/;
    const offenders = sources.filter((f) => f !== 'test/architecture.unit.test.ts' && citation.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
