/**
 * Calling the operator API of a running twin over HTTP, as the dashboard and
 * the CLIs do, and checking what every answer must be: JSON, never a CORS
 * grant, and every error exactly `{"error": "<one line>"}`.
 */
import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';

/** A whole answer: status, headers, the raw text and the parsed JSON body. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read into bodies of many shapes.
  readonly body: any;
}

export interface CallOptions {
  /** An object is sent as JSON; a string or a stream is sent as it is. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** An API client of `baseUrl` (the twin's `httpUrl`). */
export function apiClient(baseUrl: string) {
  return async (method: string, path: string, options: CallOptions = {}): Promise<Reply> => {
    const { body } = options;
    const raw = body === undefined || typeof body === 'string' || body instanceof ReadableStream;
    const headers = { ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}), ...options.headers };
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (body !== undefined) init.body = raw ? (body as RequestInit['body']) : JSON.stringify(body);
    if (body instanceof ReadableStream) init.duplex = 'half';
    const response = await fetch(`${baseUrl}${path}`, init);
    const text = await response.text();
    return checked(response.status, response.headers, text);
  };
}

function checked(status: number, headers: Headers, text: string): Reply {
  // No answer ever lets another web origin read it.
  expect([...headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  expect(headers.get('content-type')).toMatch(/^application\/json/);
  return { status, headers, text, body: JSON.parse(text) };
}

/** A raw HTTP request with any `Host` header (fetch always sends the URL's). */
export function withHost(baseUrl: string, method: string, path: string, host: string): Promise<Reply> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { host } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
        try {
          resolve(checked(res.statusCode ?? 0, headers, text));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The answer is `status` with exactly `{"error": "<one line>"}`, the line matching `matching` (a refused profile
 * may add `fields`: one line per attribute).
 */
export function expectError(reply: Reply, status: number, matching: RegExp): void {
  const { fields, ...rest } = reply.body ?? {};
  expect({ status: reply.status, body: rest }).toEqual({ status, body: { error: expect.any(String) } });
  if (fields !== undefined) {
    expect(Object.values(fields).every((reason) => typeof reason === 'string' && reason !== '' && !/[\r\n]/.test(reason))).toBe(true);
  }
  const line = reply.body.error as string;
  expect(line).toMatch(matching);
  expect(line).not.toMatch(/[\r\n]/);
  expect(line.trim()).toBe(line);
  expect(line).not.toBe('');
}

/** The answer is `status` (any 2xx for a success) with a JSON body; returns the body. */
// biome-ignore lint/suspicious/noExplicitAny: tests read into bodies of many shapes.
export function expectOk(reply: Reply, status = 200): any {
  expect({ status: reply.status, error: reply.status >= 400 ? reply.body?.error : undefined }).toEqual({ status, error: undefined });
  return reply.body;
}

/** Every item of a paginated listing (`printers` or `items`), page by page; also returns the number of pages. */
export async function allPages<T>(
  call: ReturnType<typeof apiClient>,
  path: string,
  key: 'printers' | 'items',
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page = expectOk(await call('GET', cursor === null ? path : `${path}${separator}cursor=${encodeURIComponent(cursor)}`));
    expect(Object.keys(page).sort()).toEqual([key, 'next'].sort());
    items.push(...(page[key] as T[]));
    cursor = page.next as string | null;
    pages += 1;
    expect(pages).toBeLessThan(1000);
  } while (cursor !== null);
  return { items, pages };
}

/** A history item's time: `at` of an event, `At` of a transition. */
export const timeOf = (item: { at?: string; At?: string }) => Date.parse(item.at ?? item.At ?? '');

/** Whether times never increase along `items` (newest first). */
export function expectNewestFirst(items: readonly { at?: string; At?: string }[]): void {
  const times = items.map(timeOf);
  expect(times.every((t) => Number.isFinite(t))).toBe(true);
  expect(times).toEqual([...times].sort((a, b) => b - a));
}
