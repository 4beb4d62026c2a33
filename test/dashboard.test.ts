// `gradtune dashboard` without a browser: its routes and headers (404 for anything else, a
// strict CSP, loopback Host only), that a poll reads and sends only what changed, that it
// never writes to the store, that a deleted study is "gone", that no password reaches a
// response, and its command line (a bad port, a port in use, a missing store, the warning
// for a non-loopback host). The browser tests are in dashboard-browser.test.ts.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { LiveStudy } from '../src/dashboard/live-study.js';
import { lightTrialView, type LightTrialView } from '../src/report/html/build-report-data.js';
import { startDashboard, type Dashboard } from '../src/dashboard/server.js';
import { openStore } from '../src/store/open-store.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { Store, StudyRecord } from '../src/store/store.js';
import { saveStudy, syntheticStudy } from './fixtures/html-study.js';
import { runCli, sha256, startCli, tempDir } from './helpers/cli.js';
import { freshSchema, POSTGRES_URL, warnIfNoPostgres } from './helpers/postgres.js';

warnIfNoPostgres('test/dashboard.test.ts');
const DATASET = { text: 'synthetic' };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(storage: string): Promise<{ dashboard: Dashboard; store: Store }> {
  const store = await openStore(storage, { readOnly: true });
  const dashboard = await startDashboard({ store, host: '127.0.0.1', port: 0, live: { dataset: DATASET } });
  cleanups.push(async () => {
    await dashboard.close();
    await store.close();
  });
  return { dashboard, store };
}

async function get(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** A study of `n` synthetic trials (histories, gradients, rejections, failures) in a new SQLite store. */
async function storeWith(n: number, name = 'big'): Promise<{ db: string; study: StudyRecord }> {
  const dir = tempDir();
  const db = join(dir, 'gradtune.db');
  const { study, trials } = syntheticStudy({ trials: n, seed: 5, name });
  return { db, study: await saveStudy(db, study, trials) };
}

/** Adds a running trial and reports epochs / tells it, as a search would, through a writer of its own. */
async function writer(db: string): Promise<Store> {
  const store = await openSqliteStore(db, { staleAfterMs: 1e12 });
  cleanups.push(() => store.close());
  return store;
}

describe('gradtune dashboard: routes and safety', () => {
  it('serves its routes with a strict CSP, and a 404 for anything else', async () => {
    const { db } = await storeWith(5, 'five');
    const { dashboard } = await serve(db);
    const base = dashboard.url;
    for (const path of ['/', '/api/studies', '/studies/five', '/api/studies/five/updates?since=0', '/assets/page.js', '/assets/echarts.min.js', '/assets/list.js']) {
      const r = await get(base + path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-security-policy'), path).toBe(
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const page = await get(`${base}/studies/five`);
    // Scripts come from the dashboard itself, none inline (the CSP would refuse them).
    expect(page.body).toContain('<script src="/assets/page.js"></script>');
    expect(page.body).not.toMatch(/<script>[^<]/);
    for (const path of ['/nope', '/studies', '/studies/', '/assets/nope.js', '/api/studies/five/nope', '/studies/five/x', '/%E0%A4%A', '/../etc/passwd', '/favicon.ico']) {
      const r = await get(base + path);
      expect(r.status, path).toBe(404);
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
    // An unknown study is a 404 page naming it (escaped), not an error.
    const unknown = await get(`${base}/studies/${encodeURIComponent('<b>x</b>')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('&lt;b&gt;x&lt;/b&gt;');
    for (const method of ['POST', 'PUT', 'DELETE']) expect((await get(`${base}/`, { method })).status).toBe(404);
    // Another Host (DNS rebinding: a page elsewhere reaching 127.0.0.1 under its own name) is refused.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/studies`, { headers: { Host: 'attacker.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  }, 60_000);

  it('never writes to the store: its file is the same after pages and polls', async () => {
    const { db } = await storeWith(20, 'quiet');
    const before = sha256(db);
    const { dashboard } = await serve(db);
    await get(`${dashboard.url}/`);
    await get(`${dashboard.url}/studies/quiet`);
    for (let i = 0; i < 3; i++) await get(`${dashboard.url}/api/studies/quiet/updates?since=0`);
    await get(`${dashboard.url}/api/studies/quiet/trials?n=0,1,2`);
    expect(sha256(db)).toBe(before);
  }, 60_000);
});

describe('gradtune dashboard: what a poll reads and sends', () => {
  /** A store that counts the reads a LiveStudy makes. */
  function counting(store: Store): { store: Store; calls: Record<string, number>; rows: Record<string, number> } {
    const calls: Record<string, number> = {};
    const rows: Record<string, number> = {};
    const counted = new Proxy(store, {
      get(target, key: string) {
        const value = (target as unknown as Record<string, unknown>)[key];
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          calls[key] = (calls[key] ?? 0) + 1;
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          const n = Array.isArray(result) ? result.length : (result as { trials?: unknown[]; epochs?: unknown[] } | undefined)?.trials?.length ?? (result as { epochs?: unknown[] } | undefined)?.epochs?.length;
          if (typeof n === 'number') rows[key] = (rows[key] ?? 0) + n;
          return result;
        };
      },
    });
    return { store: counted, calls, rows };
  }

  it('reads only the trials and epochs that changed, and sends only them', async () => {
    const { db, study } = await storeWith(300);
    const reader = await openStore(db, { readOnly: true });
    cleanups.push(() => reader.close());
    const { store, calls, rows } = counting(reader);
    const live = new LiveStudy(store, study, { dataset: DATASET, slowBudget: 0 });
    await live.refresh();
    expect(rows.changedTrials).toBe(300);
    const first = live.update(0, '', new Set());
    expect(first.trials).toHaveLength(300);
    // Light views: no per-epoch history or gradients for 300 trials.
    expect(first.trials.every((t) => !('history' in t) || t.status === 'running')).toBe(true);
    // Read light (curves cut in the database), yet the views of the whole trials: which
    // have curves and gradient statistics, their metrics, findings and reasons.
    const whole = await reader.trials(study.id);
    const finished = first.trials.filter((t) => t.status !== 'running');
    expect(finished.filter((t) => (t as LightTrialView).hasGradients).length).toBeGreaterThan(0);
    for (const view of finished) expect(view).toEqual(lightTrialView(study, whole.find((t) => t.number === view.n)!, null, whole));

    // Nothing changed: one look at the seq and the epochs, no trial read, nothing sent.
    for (const k of Object.keys(rows)) rows[k] = 0;
    for (const k of Object.keys(calls)) calls[k] = 0;
    await live.refresh();
    expect(calls).toMatchObject({ changedTrials: 1, epochsSince: 1 });
    expect(calls.trials ?? 0).toBe(0);
    expect(rows.changedTrials ?? 0).toBe(0);
    const quiet = live.update(live.version, first.sectionsHash, new Set());
    expect(quiet.trials).toEqual([]);
    expect(quiet.sections).toBeUndefined();
    expect(quiet.aggregates).toBeUndefined();
    expect(JSON.stringify(quiet).length).toBeLessThan(200);

    // A search asks a trial and reports two epochs: that trial only, with its curve so far.
    const w = await writer(db);
    const asked = await w.ask(study.id, () => ({ kind: 'run', params: { layers: 1, units_1: 16, activation: 'relu', optimizer: 'adam', learning_rate: 0.01, batch_size: 32 } }));
    if (asked.kind !== 'run') throw new Error('not asked');
    const n = asked.trial.number;
    const v1 = live.version;
    await live.refresh();
    const added = live.update(v1, first.sectionsHash, new Set());
    expect(added.trials.map((t) => [t.n, t.status])).toEqual([[n, 'running']]);
    // The summary's counts changed: the sections come too.
    expect(added.sections?.find((s) => s.id === 'summary')?.html).toContain('1 running');
    for (const e of [1, 2]) await w.reportEpoch(study.id, { number: n, attempt: 1, run: 0, epoch: e, value: 0.5 + e / 10, record: { epoch: e, loss: 1 / e, val_loss: 1 / e, accuracy: 0.5, val_accuracy: 0.5 + e / 10, learningRate: 0.01 } });
    for (const k of Object.keys(rows)) rows[k] = 0;
    const v2 = live.version;
    await live.refresh();
    expect(rows.epochsSince).toBe(2);
    expect(rows.trials).toBe(1);
    const grown = live.update(v2, added.sectionsHash, new Set());
    expect(grown.trials).toHaveLength(1);
    expect((grown.trials[0] as { history: { epoch: number[] } }).history.epoch).toEqual([1, 2]);

    // Told: the trial's new status and rank; the page re-ranks from the sort keys.
    await w.tell(study.id, n, { status: 'completed', score: 0.99, bestEpoch: 2, epochsRun: 2, history: [{ epoch: 1, loss: 1, val_loss: 1, learningRate: 0.01 }, { epoch: 2, loss: 0.5, val_loss: 0.5, val_accuracy: 0.99, learningRate: 0.01 }], backend: 'cpu', durationMs: 1000 });
    const v3 = live.version;
    await live.refresh();
    const told = live.update(v3, grown.sectionsHash, new Set());
    expect(told.trials.map((t) => [t.n, t.status, t.sortKey[0]])).toEqual([[n, 'completed', 0]]);
    expect(told.best).toBe(n);
    expect(told.top[0]).toBe(n);
    // An update of a 300-trial study with one trial told: a few kilobytes, not the study.
    expect(JSON.stringify(told).length).toBeLessThan(50_000);
  }, 120_000);

  it('says a study deleted (or replaced by another of the same name) is gone', async () => {
    const { db, study } = await storeWith(5, 'doomed');
    const { dashboard } = await serve(db);
    const page = (await get(`${dashboard.url}/studies/doomed`)).body;
    const config = JSON.parse(/<script type="application\/json" id="live-config">(.*?)<\/script>/.exec(page)![1]);
    const poll = async () => JSON.parse((await get(`${dashboard.url}${config.updates}?since=${config.version}&server=${config.server}&study=${config.study}`)).body);
    expect(await poll()).toMatchObject({ version: config.version, trials: [] });
    // A page from an earlier run of the dashboard reloads.
    expect(JSON.parse((await get(`${dashboard.url}${config.updates}?since=0&server=x`)).body)).toEqual({ restarted: true });
    const w = await writer(db);
    await w.deleteStudy(study.name);
    expect((await poll()).gone.reason).toBe('it was deleted from the store.');
    expect((await get(`${dashboard.url}/studies/doomed`)).status).toBe(404);
    // A new study of the same name: the old page says its study is gone, a new page shows the new one.
    const { id: _id, createdAt: _c, ...fresh } = study;
    await w.createStudy(fresh);
    expect((await poll()).gone.reason).toMatch(/a new study of the same name/);
    expect((await get(`${dashboard.url}/studies/doomed`)).status).toBe(200);
    expect((await poll()).gone.reason).toMatch(/a new study of the same name/);
  }, 60_000);
});

describe('gradtune dashboard: the command line', () => {
  it('refuses a bad port, a port in use and a missing store with one line and exit code 2', async () => {
    const dir = tempDir();
    const { db } = await storeWith(2, 'two');
    const bad = await runCli(['dashboard', '--port', '70000', '--storage', db], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gradtune: error: --port 70000 is not a TCP port; .*\n$/);
    const missing = await runCli(['dashboard'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^gradtune: error: no study store at gradtune.db: .*\n$/);
    // A port something else listens on.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    const busy = await runCli(['dashboard', '--port', String(port), '--storage', db], { cwd: dir });
    expect(busy.code).toBe(2);
    expect(busy.stderr).toBe(`gradtune: error: port ${port} is already in use on 127.0.0.1; pass another --port (or stop what listens there)\n`);
    expect(busy.stdout).toBe('');
  }, 120_000);

  it('binds to loopback by default; another --host prints a warning; SIGTERM ends it with code 0', async () => {
    const dir = tempDir();
    const { db } = await storeWith(2, 'two');
    for (const host of [undefined, '0.0.0.0']) {
      const cli = startCli(['dashboard', '--port', '0', '--storage', db, ...(host ? ['--host', host] : [])], { cwd: dir, timeoutMs: 120_000 });
      let line: RegExpExecArray | null = null;
      for (let i = 0; i < 600 && !line; i++) {
        line = / at (http:\/\/\S+) /.exec(cli.output().stdout);
        if (!line) await new Promise((r) => setTimeout(r, 100));
      }
      expect(line, JSON.stringify(cli.output())).not.toBeNull();
      if (host === undefined) {
        expect(line![1]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(cli.output().stderr).toBe('');
      } else {
        expect(line![1]).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
        expect(cli.output().stderr).toMatch(/^gradtune: warning: listening on 0\.0\.0\.0: every study in .* is visible to anyone who can reach port \d+ of this machine; there is no login\n$/);
      }
      const r = await get(`${line![1].replace('0.0.0.0', '127.0.0.1')}/api/studies`);
      expect(JSON.parse(r.body).studies.map((s: { name: string }) => s.name)).toEqual(['two']);
      cli.child.kill('SIGTERM');
      expect((await cli.done).code).toBe(0);
    }
  }, 180_000);

  it.skipIf(!POSTGRES_URL)('on PostgreSQL: no response and no output line carries the password', async () => {
    const { url, drop } = await freshSchema('dashpw');
    onTestFinished(drop);
    const secret = decodeURIComponent(new URL(url).password);
    const { study, trials } = syntheticStudy({ trials: 6, seed: 3, name: 'pg' });
    const writerStore = await openStore(url);
    const { id: _id, createdAt: _c, ...fresh } = study;
    const created = await writerStore.createStudy(fresh);
    for (const t of trials.slice(0, 3)) {
      await writerStore.ask(created.id, () => ({ kind: 'run', params: t.params }));
      await writerStore.tell(created.id, t.number, { status: t.status === 'running' ? 'completed' : t.status, score: t.score, bestEpoch: t.bestEpoch, epochsRun: t.epochsRun, history: t.history, backend: t.backend, durationMs: t.durationMs, error: t.error, diagnostics: t.diagnostics });
    }
    await writerStore.close();
    const dir = tempDir();
    const cli = startCli(['dashboard', '--port', '0', '--storage', url], { cwd: dir, timeoutMs: 120_000 });
    onTestFinished(() => {
      if (cli.child.exitCode === null) cli.child.kill('SIGTERM');
    });
    let line: RegExpExecArray | null = null;
    for (let i = 0; i < 600 && !line; i++) {
      line = / at (http:\/\/\S+) /.exec(cli.output().stdout);
      if (!line) await new Promise((r) => setTimeout(r, 100));
    }
    expect(line, JSON.stringify(cli.output())).not.toBeNull();
    expect(cli.output().stdout).toContain(':***@');
    const base = line![1];
    for (const path of ['/', '/api/studies', '/studies/pg', '/api/studies/pg/updates?since=0', '/api/studies/pg/trials?n=0,1,2']) {
      const r = await get(base + path);
      expect(r.status, path).toBeLessThan(500);
      expect(r.body, path).not.toContain(secret);
    }
    expect(cli.output().stdout + cli.output().stderr).not.toContain(secret);
  }, 120_000);
});
