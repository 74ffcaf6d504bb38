/**
 * Serving the operator dashboard: one page, its script and stylesheet, and
 * uPlot's files from node_modules, all from this machine (the page makes no
 * request elsewhere, and its Content-Security-Policy says so). The twin
 * mounts this beside the operator API; `npm run dashboard` beside a
 * forwarder to the deployed API. Both listen on 127.0.0.1 behind
 * {@link localOnly}.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Hono, type MiddlewareHandler } from 'hono';

const require = createRequire(import.meta.url);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Each path the page loads: the file and its type. */
const ASSETS: readonly (readonly [path: string, file: string, type: string])[] = [
  ['/', here('./index.html'), 'text/html; charset=utf-8'],
  ['/app.js', here('./app.js'), 'text/javascript; charset=utf-8'],
  ...['alarm-text', 'alarms', 'api', 'charts', 'dom', 'editor', 'fleet', 'printer', 'time'].map(
    (name) => [`/${name}.js`, here(`./${name}.js`), 'text/javascript; charset=utf-8'] as const,
  ),
  // The alarm's action rules, which the state machine reads too: the page shows only the buttons that can succeed.
  ['/alarm-actions.js', here('../contract/alarm-actions.js'), 'text/javascript; charset=utf-8'],
  ['/style.css', here('./style.css'), 'text/css; charset=utf-8'],
  ['/vendor/uPlot.esm.js', require.resolve('uplot/dist/uPlot.esm.js'), 'text/javascript; charset=utf-8'],
  ['/vendor/uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
];

/**
 * Only this origin's scripts, styles and API. uPlot styles its elements
 * through the DOM (`element.style`), which `style-src 'self'` allows.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page and its files at `/`, `/app.js`, `/style.css` and `/vendor/...`. Files are read once, here. */
export function dashboardApp(): Hono {
  const app = new Hono();
  for (const [path, file, type] of ASSETS) {
    const body = readFileSync(file);
    app.get(path, (c) =>
      c.body(body, 200, {
        'content-type': type,
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        // The files change only with the code: revalidating each load keeps an upgraded page from mixing versions.
        'cache-control': 'no-cache',
      }),
    );
  }
  return app;
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Refuses (403) what a local server with no authentication of its own must
 * not answer: a request addressed to another host name (a web page that
 * rebinds its own name to 127.0.0.1), and a write sent by another site's page
 * through the user's browser. The twin's API and `npm run dashboard`, which
 * signs with the user's AWS credentials, both sit behind it.
 */
export function localOnly(): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host') ?? '';
    if (!LOOPBACK_HOST.test(host)) return c.json({ error: 'this server answers requests to 127.0.0.1 or localhost only' }, 403);
    if (!SAFE_METHODS.has(c.req.method)) {
      const site = c.req.header('sec-fetch-site');
      const origin = c.req.header('origin');
      const crossSite =
        (site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && origin !== `http://${host}`);
      if (crossSite) return c.json({ error: `${c.req.method} from another site is refused` }, 403);
    }
    await next();
  };
}

/**
 * What answers `/api/*`: the operator API's own `fetch`, or a forwarder to the
 * deployed one; `env` is the server's (under `@hono/node-server`, the Node
 * request as `incoming`, for what a `Request` loses: repeated headers, the peer).
 */
export type ApiFetch = (request: Request, env?: unknown) => Response | Promise<Response>;

/**
 * The page and the API on one origin, as the twin and `npm run dashboard`
 * serve them: `/api/*` goes to `api` whole (so its own 404 and 405 answers
 * stay), everything else to the page, all behind {@link localOnly}.
 */
export function dashboardServer(api: ApiFetch): Hono {
  const app = new Hono();
  app.use('*', localOnly());
  app.all('/api/*', (c) => api(c.req.raw, c.env));
  app.route('/', dashboardApp());
  app.notFound((c) => c.json({ error: `no such page: ${c.req.path}` }, 404));
  return app;
}
