/**
 * Finding a running twin from its discovery file, what its health says is
 * still in flight, and the check that keeps the twin out of folders it
 * cannot use (before Node's `mkdir -p` loops forever on /proc).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRunningTwin, pendingMessages, readDiscoveryFile, sameEndpoint, writeDiscoveryFile } from '../../twin/discovery.ts';
import { TwinStartError } from '../../twin/errors.ts';
import { twinHealth } from '../../twin/http-server.ts';
import { checkWritableFolder } from '../../twin/state-dir.ts';

const dir = mkdtempSync(join(tmpdir(), 'discovery-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (pid: number, mqttPort = 1883) => ({
  pid,
  mqtt: `mqtt://127.0.0.1:${mqttPort}`,
  dynamodb: 'http://127.0.0.1:8000',
  http: 'http://127.0.0.1:8080',
  table: 'PrinterProfiles',
});
/** A pid no process has (above Linux's pid_max). */
const GONE = 2 ** 22 + 1;

describe('sameEndpoint', () => {
  it.each([
    ['mqtt://127.0.0.1:1883', 'mqtt://localhost:1883', true],
    ['mqtt://127.0.0.1:1883', 'mqtt://127.0.0.1', true],
    ['http://127.0.0.1:8000', 'http://localhost:8000/', true],
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8001', false],
    ['http://127.0.0.1:8000', 'https://127.0.0.1:8000', false],
    ['mqtt://10.0.0.1:1883', 'mqtt://127.0.0.1:1883', false],
  ])('%s and %s: %s', (a, b, same) => {
    expect(sameEndpoint(a, b)).toBe(same);
  });
});

describe('pendingMessages', () => {
  it('is what was received and not yet handled, or the invocations running, whichever is more', () => {
    expect(pendingMessages(twinHealth({ received: 10, done: 10, inFlight: 0 }))).toBe(0);
    expect(pendingMessages(twinHealth({ received: 10, done: 4, inFlight: 2 }))).toBe(6);
    expect(pendingMessages(twinHealth({ received: 10, done: 10, inFlight: 1 }))).toBe(1);
  });
});

describe('the discovery file', () => {
  it('is written, read back while its process lives, and removed by the twin that wrote it only', () => {
    const file = join(dir, 'a', 'twin.json');
    const remove = writeDiscoveryFile(file, record(process.pid));
    expect(readDiscoveryFile(file)).toEqual(record(process.pid));
    // Another twin took the file over since: the first one's close leaves it alone.
    writeFileSync(file, JSON.stringify(record(process.pid + 1)));
    remove();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(record(process.pid + 1));
    writeFileSync(file, JSON.stringify(record(process.pid)));
    remove();
    expect(readDiscoveryFile(file, { alive: false })).toBeUndefined();
  });

  it('is ignored when its process is gone, or when it is not a discovery file', () => {
    const stale = join(dir, 'stale.json');
    writeFileSync(stale, JSON.stringify(record(GONE)));
    expect(readDiscoveryFile(stale)).toBeUndefined();
    expect(readDiscoveryFile(stale, { alive: false })).toEqual(record(GONE));
    const garbage = join(dir, 'garbage.json');
    writeFileSync(garbage, '{"pid": "x"}');
    expect(readDiscoveryFile(garbage)).toBeUndefined();
    expect(readDiscoveryFile(join(dir, 'missing.json'))).toBeUndefined();
  });

  it('findRunningTwin returns the first live record that matches', () => {
    const [stale, other, live] = ['f1.json', 'f2.json', 'f3.json'].map((name) => join(dir, name)) as [string, string, string];
    writeFileSync(stale, JSON.stringify(record(GONE, 1883)));
    writeFileSync(other, JSON.stringify(record(process.pid, 1884)));
    writeFileSync(live, JSON.stringify(record(process.pid, 1883)));
    const files = [stale, other, live];
    expect(findRunningTwin((r) => sameEndpoint(r.mqtt, 'mqtt://localhost:1883'), files)).toEqual(record(process.pid, 1883));
    expect(findRunningTwin((r) => sameEndpoint(r.mqtt, 'mqtt://localhost:1999'), files)).toBeUndefined();
  });
});

describe('checkWritableFolder', () => {
  it('accepts a folder to create under a writable one, and an existing one', () => {
    expect(() => checkWritableFolder(join(dir, 'new', 'deeper'), 'state folder x')).not.toThrow();
    expect(() => checkWritableFolder(dir, 'state folder x')).not.toThrow();
  });

  it('refuses a file where a folder should be, in one line', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    expect(() => checkWritableFolder(join(file, 'state'), `state folder ${file}/state`)).toThrow(
      new TwinStartError(`state folder ${file}/state: ${file} is a file, not a folder`),
    );
    expect(() => checkWritableFolder(file, `state folder ${file}`)).toThrow(`state folder ${file}: it is a file, not a folder`);
  });

  it.runIf(process.platform === 'linux')('refuses the kernel filesystems /proc and /sys', () => {
    expect(() => checkWritableFolder('/proc/x/y', 'state folder /proc/x/y')).toThrow(
      "state folder /proc/x/y: /proc is on the kernel's proc filesystem, not a place for files",
    );
    expect(() => checkWritableFolder('/sys/x', 'state folder /sys/x')).toThrow(
      "state folder /sys/x: /sys is on the kernel's sysfs filesystem, not a place for files",
    );
  });

  it('refuses a folder it may not write in, or one on a read-only filesystem', () => {
    // Root may write anywhere, so the permission check itself stands in for the filesystem's answer.
    const denied = (code: string) => () => {
      throw Object.assign(new Error(code), { code });
    };
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    expect(() => checkWritableFolder(join(locked, 'state'), 'state folder s', denied('EACCES'))).toThrow(
      `state folder s: no permission to write in ${locked}`,
    );
    expect(() => checkWritableFolder(join(locked, 'state'), 'state folder s', denied('EROFS'))).toThrow(
      `state folder s: ${locked} is on a read-only filesystem`,
    );
  });
});
