// `gradtune dashboard` in a real browser (Debian's Chromium, headless, through
// playwright-core), beside a real `gradtune search` running on iris in the background, on
// SQLite and on PostgreSQL: the study appears, a new trial and a running trial's growing
// curve arrive without a reload, the reader's sort and picked trial survive each update,
// no console error, no request leaves the dashboard's origin, no store password reaches
// the browser, and a study deleted while its page is open is shown as gone. Hostile study,
// parameter and value names are shown as text.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { saveStudy, syntheticStudy } from './fixtures/html-study.js';
import { HOSTILE_PARAM, HOSTILE_VALUE } from './fixtures/dashboard-space.js';
import { fixture, runOk, startCli, tempDir, type RunningCli } from './helpers/cli.js';
import { freshSchema, POSTGRES_URL, warnIfNoPostgres } from './helpers/postgres.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const available = existsSync(CHROMIUM);
const suite = available ? 'gradtune dashboard in headless Chromium' : `gradtune dashboard in headless Chromium — SKIPPED: ${CHROMIUM} not found (apt-get install chromium; .ci/run does)`;
const SPACE = fixture('dashboard-space.ts');
warnIfNoPostgres('test/dashboard-browser.test.ts');

interface Opened {
  page: Page;
  problems: string[];
  requests: string[];
  /** Bodies of every text response (HTML, JSON, scripts): where a password must never be. */
  bodies: string[];
}

/** Starts `gradtune dashboard --port 0` and waits for the URL it prints. */
async function startDashboard(storage: string, cwd: string): Promise<{ cli: RunningCli; base: string }> {
  const cli = startCli(['dashboard', '--port', '0', '--storage', storage], { cwd, timeoutMs: 300_000 });
  onTestFinished(async () => {
    if (cli.child.exitCode === null) {
      cli.child.kill('SIGTERM');
      await cli.done.catch(() => undefined);
    }
  });
  for (let i = 0; i < 600; i++) {
    const match = / at (http:\/\/\S+) /.exec(cli.output().stdout);
    if (match) return { cli, base: match[1] };
    if (cli.child.exitCode !== null) throw new Error(`gradtune dashboard exited with ${cli.child.exitCode}: ${cli.output().stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gradtune dashboard printed no URL: ${JSON.stringify(cli.output())}`);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!available)(suite, () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function open(url: string): Promise<Opened> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    onTestFinished(() => page.close());
    const opened: Opened = { page, problems: [], requests: [], bodies: [] };
    page.on('console', (m) => {
      if (m.type() === 'error') opened.problems.push(`console.error: ${m.text()}`);
    });
    page.on('pageerror', (e) => opened.problems.push(`uncaught: ${e.message}`));
    page.on('request', (r) => opened.requests.push(r.url()));
    page.on('response', (r) => {
      r.text().then(
        (t) => opened.bodies.push(t),
        () => undefined,
      );
    });
    await page.goto(url);
    return opened;
  }

  /** The number of points of a series of the chart in `selector` (undefined: no such series). */
  function seriesLength(page: Page, selector: string, id: string): Promise<number | undefined> {
    return page.$eval(
      selector,
      (el, id) => {
        const instance = (window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series?: Array<{ id?: string; data?: unknown[] }> } } | undefined } }).echarts.getInstanceByDom(el);
        return instance?.getOption().series?.find((s) => s.id === id)?.data?.length;
      },
      id,
    );
  }

  const rowsOf = (page: Page) => page.$$eval('#lb tbody tr', (trs) => trs.map((tr) => [Number(tr.getAttribute('data-trial')), tr.getAttribute('data-status')] as [number, string]));
  const picked = (page: Page) => page.evaluate(() => (window as unknown as { gradtuneReport: { picked(): number } }).gradtuneReport.picked());

  /** The whole live scenario against one store. */
  async function liveSearch(storage: string, dir: string, secret?: string): Promise<void> {
    // A first trial, so the study exists when the dashboard opens it.
    await runOk(['search', '--study', 'live', '--dataset', 'iris', '--space', SPACE, '--max-trials', '1', '--max-epochs', '1000', '--seed', '3', '--storage', storage], { cwd: dir, timeoutMs: 180_000 });
    const { cli, base } = await startDashboard(storage, dir);
    if (secret) expect(cli.output().stdout).not.toContain(secret);

    const opened = await open(`${base}/`);
    const { page } = opened;
    expect(await page.textContent('#studies tbody tr[data-study="live"]')).toContain('1 completed');
    await page.click('#studies tbody tr[data-study="live"] a');
    await page.waitForSelector('body[data-rendered]');
    expect(page.url()).toBe(`${base}/studies/live`);
    await page.evaluate(() => ((window as unknown as { __loaded: number }).__loaded = 1));
    expect(await rowsOf(page)).toEqual([[0, 'completed']]);

    // The reader sorts by trial number, highest first, and picks trial 0.
    await page.click('#lb th[data-key="trial"]');
    await page.click('#lb th[data-key="trial"]');
    await page.click('#lb tbody tr[data-trial="0"]');
    expect(await picked(page)).toBe(0);

    // One more trial, in the background.
    const search = startCli(['search', '--study', 'live', '--max-trials', '2', '--workers', '1', '--storage', storage], { cwd: dir, timeoutMs: 240_000 });
    onTestFinished(() => {
      if (search.child.exitCode === null) search.child.kill('SIGKILL');
    });

    // A new trial appears, running, at the top (sorted by number, descending); trial 0 stays picked.
    await waitFor('trial 1 on the page', async () => (await rowsOf(page)).some(([n]) => n === 1), 120_000);
    const rows = await rowsOf(page);
    expect(rows[0][0]).toBe(Math.max(...rows.map(([n]) => n)));
    expect(await page.getAttribute('#lb th[data-key="trial"]', 'aria-sort')).toBe('descending');
    expect(await picked(page)).toBe(0);
    expect(await page.getAttribute('#lb tbody tr[data-trial="0"]', 'class')).toContain('picked');

    // The running trial's curve grows while it runs: picked, its loss series gets longer.
    const runningTrial = await waitFor('a running trial', async () => (await rowsOf(page)).find(([, s]) => s === 'running')?.[0], 60_000);
    await page.evaluate((n) => (window as unknown as { gradtuneReport: { pick(n: number): void } }).gradtuneReport.pick(n), runningTrial);
    const lengths: number[] = [];
    await waitFor(
      'the running curve to grow',
      async () => {
        const length = await seriesLength(page, '#chart-loss', `loss:${runningTrial}`);
        const status = (await rowsOf(page)).find(([n]) => n === runningTrial)?.[1];
        if (length !== undefined && status === 'running' && length !== lengths.at(-1)) lengths.push(length);
        return lengths.length >= 3 || status !== 'running';
      },
      60_000,
    );
    expect(lengths.length).toBeGreaterThanOrEqual(2);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));

    // The search ends: every trial shows completed, still without a reload.
    expect((await search.done).code).toBe(0);
    await waitFor('two completed trials', async () => {
      const now = await rowsOf(page);
      return now.length === 2 && now.every(([, s]) => s === 'completed');
    });
    expect(await page.textContent('#summary')).toContain('2 completed');
    expect(await page.evaluate(() => (window as unknown as { __loaded?: number }).__loaded)).toBe(1);
    expect(await page.getAttribute('#lb th[data-key="trial"]', 'aria-sort')).toBe('descending');
    expect((await rowsOf(page)).map(([n]) => n)).toEqual([1, 0]);

    // Hostile parameter names and values are text (the picked trial's card lists every parameter).
    const card = (await page.textContent('#picked-card .params'))!;
    expect(card).toContain(HOSTILE_PARAM);
    expect(card.includes(`tag ${HOSTILE_VALUE}`) || card.includes('tag plain')).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    // Deleted while open: shown as gone, the last state still on the page.
    await runOk(['delete', '--study', 'live', '--storage', storage], { cwd: dir });
    await page.waitForSelector('body[data-gone]', { timeout: 30_000 });
    expect(await page.textContent('#gone-banner')).toContain('This study is gone');
    expect((await rowsOf(page)).length).toBe(2);

    expect(opened.problems).toEqual([]);
    const origin = new URL(base).origin;
    expect(opened.requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
    if (secret) for (const body of opened.bodies) expect(body).not.toContain(secret);
  }

  it('follows a search on SQLite: new trials, growing curves, status changes, sort and pick kept, deletion shown', async () => {
    const dir = tempDir();
    await liveSearch(join(dir, 'gradtune.db'), dir);
  }, 400_000);

  it.skipIf(!POSTGRES_URL)('follows a search on PostgreSQL the same way, and never shows the password', async () => {
    const dir = tempDir();
    const { url, drop } = await freshSchema('dash');
    onTestFinished(drop);
    const secret = new URL(url).password;
    expect(secret.length).toBeGreaterThan(3);
    await liveSearch(url, dir, decodeURIComponent(secret));
  }, 400_000);

  it('shows hostile study, space and parameter names as text and runs none of them', async () => {
    const dir = tempDir();
    const db = join(dir, 'gradtune.db');
    const { study, trials } = syntheticStudy({ trials: 12, seed: 4, name: 'plain' });
    const hostileName = `evil<script>window.__pwned=1</script>"'><img src=x onerror="window.__pwned=2">/..%2F`;
    const hostileSpace = `./<script>window.__pwned=5</script>.ts`;
    await saveStudy(db, { ...study, space: hostileSpace }, trials);
    // Study names are validated when made; a store written otherwise may still hold anything.
    const sqlite = new Database(db);
    sqlite.prepare('UPDATE studies SET name = ?').run(hostileName);
    sqlite.close();
    const { base } = await startDashboard(db, dir);
    const opened = await open(`${base}/`);
    const { page } = opened;
    expect(await page.textContent('#studies tbody a')).toBe(hostileName);
    await page.click('#studies tbody a');
    await page.waitForSelector('body[data-rendered]');
    expect(await page.textContent('#study-name')).toBe(hostileName);
    expect(await page.title()).toBe(`gradtune dashboard: ${hostileName}`);
    expect(await page.textContent('#summary')).toContain(hostileSpace);
    // A poll or two later, still inert, still no error.
    await page.waitForTimeout(2500);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(opened.problems).toEqual([]);
    const origin = new URL(base).origin;
    expect(opened.requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
  }, 120_000);
});
