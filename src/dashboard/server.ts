// `gradtune dashboard`'s HTTP server (Node's own http: a handful of GET routes need no
// framework). It only reads the store, opened read-only by the caller.
//
// Routes (everything else, any method but GET/HEAD included, is a 404):
//   /                                    the study list
//   /api/studies                         the study list as JSON (the list page polls it)
//   /studies/<name>                      a study's page: the HTML report's page, live
//   /api/studies/<name>/updates?since=   what changed since the page's version
//   /api/studies/<name>/trials?n=1,2     full views (curves, gradients) of some trials
//   /assets/echarts.min.js, /assets/page.js, /assets/list.js
//
// Safety: every response carries a Content-Security-Policy that lets the page run only
// scripts from this origin and talk only to it; user strings reach the page escaped in HTML
// or as JSON drawn with textContent; the store's location is shown redacted (never a
// password); and on loopback, requests must name a loopback host, so a web page elsewhere
// cannot read the store through DNS rebinding.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeHtml, jsonForScript } from '../report/html/escape.js';
import { gradtuneVersion } from '../report/html/report.js';
import { echartsAsset, LIVE_CSP, pageScript, renderHtml } from '../report/html/render-html.js';
import type { Store } from '../store/store.js';
import { LiveStudy } from './live-study.js';
import { listPage } from './list-page.js';

export interface DashboardOptions {
  store: Store;
  host: string;
  /** 0: any free port (the URL says which). */
  port: number;
  /** How often pages poll, in ms. Default 1000. */
  intervalMs?: number;
  /** Handed to every LiveStudy (tests pass a dataset line; the bench a budget). */
  live?: ConstructorParameters<typeof LiveStudy>[2];
}

export interface Dashboard {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

class NotFound extends Error {}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Content-Security-Policy': LIVE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(body);
}

function sendJson(res: ServerResponse, value: unknown): void {
  // The same escaping as JSON embedded in a page (NaN and Infinity kept as strings).
  send(res, 200, 'application/json; charset=utf-8', jsonForScript(value));
}

function notFound(res: ServerResponse, what = 'not found'): void {
  send(res, 404, 'text/plain; charset=utf-8', `${what}\n`);
}

/** `/studies/a%2Fb` → ['studies', 'a/b']; undefined when a segment is not valid percent-encoding. */
function segments(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function numbersParam(value: string | null): number[] {
  if (!value) return [];
  return value
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0)
    .slice(0, 100);
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { store } = options;
  const interval = options.intervalMs ?? 1000;
  // Versions are this process's: a page loaded from an earlier run of the dashboard reloads.
  const serverId = randomBytes(6).toString('hex');
  const studies = new Map<string, LiveStudy>();
  const assets = new Map<string, { type: string; body: Buffer }>();
  const js = 'text/javascript; charset=utf-8';
  const asset = (name: string, body: () => string) => assets.set(`/assets/${name}`, { type: js, body: Buffer.from(body()) });
  asset('echarts.min.js', () => echartsAsset().code);
  asset('page.js', pageScript);
  asset('list.js', () => readFileSync(new URL('./list.js', import.meta.url), 'utf8'));
  let port = options.port;
  const loopback = isLoopback(options.host);

  /**
   * The followed study of that name, brought up to date; opened on first use. A study that
   * is gone stays gone for the pages that showed it; a new study of the same name is
   * followed afresh (its pages tell the two apart by id). Undefined: the store has none.
   */
  async function live(name: string): Promise<LiveStudy | undefined> {
    const known = studies.get(name);
    if (known) {
      await known.refresh();
      if (!known.gone) return known;
      if (!(await store.getStudy(name))) return known;
      studies.delete(name);
    }
    const record = await store.getStudy(name);
    if (!record) return undefined;
    const study = new LiveStudy(store, record, options.live);
    studies.set(name, study);
    await study.refresh();
    return study;
  }

  const studyPath = (name: string) => `/studies/${encodeURIComponent(name)}`;
  const apiPath = (name: string) => `/api/studies/${encodeURIComponent(name)}`;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return notFound(res);
    if (loopback) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!isLoopback(host)) {
        return send(res, 403, 'text/plain; charset=utf-8', `this dashboard answers only to http://127.0.0.1:${port} (the Host header named another host)\n`);
      }
    }
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const parts = segments(url.pathname);
    if (!parts) return notFound(res);
    const fixed = assets.get(url.pathname);
    if (fixed) return send(res, 200, fixed.type, fixed.body, { 'Cache-Control': 'no-cache' });
    if (url.pathname === '/') {
      return send(res, 200, 'text/html; charset=utf-8', listPage({ studies: await store.listStudies(), location: store.location, interval: Math.max(interval, 2000), studyPath, version: gradtuneVersion() }));
    }
    if (url.pathname === '/api/studies') {
      return sendJson(res, { location: store.location, studies: (await store.listStudies()).map((s) => ({ ...s, href: studyPath(s.name) })) });
    }
    if (parts.length === 2 && parts[0] === 'studies' && parts[1] !== '') {
      const study = await live(parts[1]);
      if (!study || study.gone) {
        return send(res, 404, 'text/html; charset=utf-8', `<!doctype html><meta charset="utf-8"><title>no such study</title><p>There is no study named <b>${escapeHtml(parts[1])}</b> in ${escapeHtml(store.location)}. <a href="/">All studies</a></p>\n`);
      }
      const snap = await study.snapshot();
      const html = renderHtml({
        data: snap.data,
        header: snap.header,
        gradtuneVersion: gradtuneVersion(),
        mode: {
          kind: 'live',
          sections: snap.sections,
          scripts: { echarts: '/assets/echarts.min.js', page: '/assets/page.js' },
          home: '/',
          config: {
            updates: `${apiPath(study.study.name)}/updates`,
            trials: `${apiPath(study.study.name)}/trials`,
            home: '/',
            server: serverId,
            study: study.study.id,
            version: study.version,
            sectionsHash: snap.sectionsHash,
            sectionHashes: Object.fromEntries(snap.sectionList.map((s) => [s.id, s.hash])),
            interval,
          },
        },
      });
      return send(res, 200, 'text/html; charset=utf-8', html);
    }
    if (parts.length === 4 && parts[0] === 'api' && parts[1] === 'studies' && (parts[3] === 'updates' || parts[3] === 'trials')) {
      const study = await live(parts[2]);
      if (!study) return sendJson(res, { gone: { reason: 'there is no study of that name in the store.' } });
      if (study.gone) return sendJson(res, { gone: study.gone });
      // The page's study, by id: one deleted and made again under its name is another study.
      const id = url.searchParams.get('study');
      if (id !== null && Number(id) !== study.study.id) return sendJson(res, { gone: { reason: 'a new study of the same name has replaced it in the store.' } });
      if (parts[3] === 'trials') return sendJson(res, { trials: await study.fullViews(numbersParam(url.searchParams.get('n'))) });
      const since = Number(url.searchParams.get('since'));
      if (url.searchParams.get('server') !== serverId || !Number.isInteger(since) || since > study.version) return sendJson(res, { restarted: true });
      return sendJson(res, study.update(since, url.searchParams.get('sections') ?? '', new Set(numbersParam(url.searchParams.get('show')))));
    }
    throw new NotFound();
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof NotFound) return notFound(res);
      // The store failed (a database that went away): the page says so and retries.
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      if (!res.headersSent) send(res, 503, 'text/plain; charset=utf-8', `the store could not be read: ${message}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
