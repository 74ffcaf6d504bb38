/**
 * The README and `docs/*.md` cite only what exists: every npm script, every
 * flag given to a CLI, every relative link (and its heading) and every repo
 * path in backticks. Tables read in a terminal (no row over 120 characters),
 * the README stays a ten-minute read, and its table of docs pages lists every
 * page. Flags are checked against the CLIs' sources, not by running them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README_MAX_BYTES = 15_500;
const TABLE_LINE_MAX = 120;
/** Paths the docs name that commands create (git-ignored), so they need not exist in a clone. */
const GENERATED = ['.local/', 'certs/', 'cdk.out/', 'models/', 'node_modules/', 'reports/', '.stryker-tmp/'];

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
/** A path in backticks is a repo path when it starts at a top-level entry (`lambda/core/`), not at a folder named nearby (`core/`). */
const TOP_LEVEL = new Set(readdirSync(ROOT));
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const SCRIPTS: Record<string, string> = JSON.parse(read('package.json')).scripts;

/** A page's text outside fenced code blocks, and the code blocks' lines, kept apart. */
function split(text: string): { prose: string; code: string[] } {
  const prose: string[] = [];
  const code: string[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced;
      prose.push('');
    } else (fenced ? code : prose).push(line);
  }
  return { prose: prose.join('\n'), code };
}

/** Inline code spans of the prose (they may wrap across lines), and each line of the code blocks. */
function codeTexts(text: string): string[] {
  const { prose, code } = split(text);
  const spans = [...prose.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\n\s*/g, ' '));
  return [
    ...spans,
    ...code
      .join('\n')
      .replace(/\\\n\s*/g, ' ')
      .split('\n'),
  ];
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(path: string): Set<string> {
  const headings = split(read(path)).prose.match(/^#{1,6} .+$/gm) ?? [];
  return new Set(headings.map((h) => slug(h.replace(/^#+ /, ''))));
}

/** The source files that define a script's flags: its entry point and the files of its folder that it imports. */
function scriptSources(script: string): string[] | undefined {
  const entry = SCRIPTS[script]?.match(/\btsx ((?:cli|bench)\/[\w-]+\.ts)\b/)?.[1];
  if (entry === undefined) return undefined;
  const source = read(entry);
  const local = [...source.matchAll(/from '\.\/([\w-]+\.ts)'/g)].map((m) => join(dirname(entry), m[1]!));
  return [source, ...local.map(read)];
}

function definesFlag(sources: readonly string[], flag: string): boolean {
  if (flag === 'help') return true;
  const key = new RegExp(`(['"\`]${flag}['"\`]|--${flag}\\b${/^[a-z]+$/.test(flag) ? `|\\b${flag}:` : ''})`);
  return sources.some((s) => key.test(s));
}

const cited = PAGES.flatMap((page) => codeTexts(read(page)).map((text) => ({ page, text })));

describe('README.md and docs/*.md', () => {
  it('the README is a ten-minute read', () => {
    expect(Buffer.byteLength(read('README.md'))).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('no table line is wider than a terminal', () => {
    const wide = PAGES.flatMap((page) =>
      split(read(page))
        .prose.split('\n')
        .filter((line) => line.startsWith('|') && line.length > TABLE_LINE_MAX)
        .map((line) => `${page}: ${line.slice(0, 60)}... (${line.length})`),
    );
    expect(wide).toEqual([]);
  });

  it('every npm script cited is in package.json', () => {
    const missing = cited.flatMap(({ page, text }) =>
      // `npm run X` anywhere; `npm X` where a command starts (`npm start`, not "one file per npm script").
      [...text.matchAll(/\bnpm run ([a-z][\w:-]*\w)|(?:^|&&|;|\|)\s*npm ([a-z][\w:-]*\w)/g)]
        .map((m) => m[1] ?? m[2]!)
        .filter((name) => !['install', 'ci', 'i', 'exec', 'run'].includes(name) && !(name in SCRIPTS))
        .map((name) => `${page}: npm run ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('every --flag given to a CLI is one that CLI defines', () => {
    const unknown: string[] = [];
    let checked = 0;
    for (const { page, text } of cited) {
      for (const m of text.matchAll(/\bnpm (?:run ([\w:-]+)|(start|test))((?: -- | --$)?.*)/g)) {
        const script = m[1] ?? m[2]!;
        const sources = scriptSources(script);
        if (sources === undefined) continue;
        const args = m[3]!.split(/&&|;|\s#|\bnpm /)[0]!;
        for (const flag of args.matchAll(/(?:^|[\s[|(])--([a-z][a-z0-9-]*)/g)) {
          checked += 1;
          if (!definesFlag(sources, flag[1]!)) unknown.push(`${page}: npm run ${script} --${flag[1]}`);
        }
      }
    }
    expect(unknown).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('every relative link leads to a file, and to a heading of it', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      for (const m of split(read(page)).prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const [file, anchor] = target.split('#') as [string, string | undefined];
        const path = file === '' ? page : normalize(join(dirname(page), file));
        if (!existsSync(join(ROOT, path))) broken.push(`${page}: ${target}`);
        else if (anchor !== undefined && path.endsWith('.md') && !anchors(path).has(anchor))
          broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every repo path in backticks exists', () => {
    const missing: string[] = [];
    for (const page of PAGES) {
      for (const m of split(read(page)).prose.matchAll(/`([^`\s]+)`/g)) {
        const path = m[1]!.replace(/#.*$/, '');
        if (!path.includes('/') || /[<>$*{}~]|:\/\/|\.\.\.|^\//.test(path)) continue;
        if (!path.endsWith('/') && !/\.[a-z][a-z0-9]{0,4}$/i.test(path)) continue;
        if (GENERATED.some((g) => path.startsWith(g))) continue;
        if (!path.startsWith('.') && !TOP_LEVEL.has(path.split('/')[0]!)) continue;
        const resolved = path.startsWith('.') ? normalize(join(dirname(page), path)) : path;
        if (!existsSync(join(ROOT, resolved))) missing.push(`${page}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("the README's table of docs pages lists every page", () => {
    const readme = read('README.md');
    const unlisted = PAGES.filter((p) => p !== 'README.md' && !readme.includes(`](${p})`));
    expect(unlisted).toEqual([]);
  });
});
