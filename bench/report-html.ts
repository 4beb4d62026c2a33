// The HTML report of a large study: how long it takes to make, how big it is, and whether
// it opens without freezing the browser.
//
//   npm run bench:report-html -- [--trials 500] [--algo random,hyperband] [--runs 3] [--keep]
//
// For each algorithm, a synthetic study of --trials trials (test/fixtures/html-study.ts:
// per-epoch histories of up to 30 epochs, per-layer gradient statistics of 2-7 layers per
// epoch, rejections with evidence, failures with stacks, conditional parameters; for
// Hyperband, its brackets and promotions) is written into a temporary SQLite store through
// the store's ask/tell. Then, --runs times (medians are printed):
//   cli        `gradtune report --format html --out` in a new node process, as a user runs
//              it: start-up, TypeScript loading, store, dataset check, report, write
//   in-process reading the trials from the store, then building and rendering the page
//   size       the file's size
//   browser    the file opened from file:// in headless Chromium (Debian's, as in the
//              tests): DOMContentLoaded, load, and `rendered` (every chart drawn: the page
//              marks <body data-rendered>), all from navigation start; long tasks (> 50 ms,
//              from a PerformanceObserver) during that time: how many, the longest, and the
//              total blocking time (their time beyond 50 ms); then the time from a click on
//              a leaderboard header to the next frame (sorting every row), and from picking
//              a trial to the next frame (redrawing the curves and the gradient chart).
// The browser part is skipped, and says so, when /usr/bin/chromium is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { formatHtmlReport } from '../src/report/html/report.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { saveStudy, syntheticStudy } from '../test/fixtures/html-study.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '500' },
    algo: { type: 'string', default: 'random,hyperband' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const trialCount = Number(values.trials);
const runs = Number(values.runs);
const algorithms = values.algo.split(',') as Array<'random' | 'hyperband'>;
const CHROMIUM = '/usr/bin/chromium';
const CLI = fileURLToPath(new URL('../bin/gradtune.js', import.meta.url));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${Math.round(x)} ms`;

interface BrowserFigures {
  domContentLoaded: number;
  load: number;
  rendered: number;
  longTasks: number;
  longestTask: number;
  blocking: number;
  sort: number;
  pick: number;
}

/** Set up before the page's own scripts run (Playwright injects it past the page's CSP). */
const INSTRUMENT = `
  window.__bench = { longtasks: [], rendered: undefined };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  new MutationObserver(() => {
    if (window.__bench.rendered === undefined && document.body && document.body.hasAttribute('data-rendered')) {
      window.__bench.rendered = performance.now();
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-rendered'] });
`;

async function openInBrowser(file: string, pickTrial: number): Promise<BrowserFigures> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(INSTRUMENT);
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-rendered]', { timeout: 120_000 });
    // Long tasks are reported after they end; give the observer a moment.
    await page.waitForTimeout(200);
    const load = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const bench = (window as unknown as { __bench: { longtasks: Array<{ start: number; duration: number }>; rendered: number } }).__bench;
      const during = bench.longtasks.filter((t) => t.start <= bench.rendered);
      return {
        domContentLoaded: nav.domContentLoadedEventEnd,
        load: nav.loadEventEnd,
        rendered: bench.rendered,
        longTasks: during.length,
        longestTask: Math.max(0, ...during.map((t) => t.duration)),
        blocking: during.reduce((a, t) => a + Math.max(0, t.duration - 50), 0),
      };
    });
    // No named functions inside: tsx compiles them with a __name helper the page lacks.
    const interaction = await page.evaluate(async (n) => {
      let t0 = performance.now();
      (document.querySelector('#lb th[data-key="trial"]') as HTMLElement).click();
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      const sort = performance.now() - t0;
      t0 = performance.now();
      (window as unknown as { gradtuneReport: { pick(n: number): void } }).gradtuneReport.pick(n);
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      return { sort, pick: performance.now() - t0 };
    }, pickTrial);
    if (errors.length > 0) throw new Error(`the page reported errors:\n${errors.join('\n')}`);
    return { ...load, ...interaction };
  } finally {
    await browser.close();
  }
}

function cliReport(storage: string, study: string, out: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'report', '--study', study, '--format', 'html', '--out', out, '--storage', storage], { encoding: 'utf8' });
  const elapsed = performance.now() - t0;
  if (r.status !== 0) throw new Error(`gradtune report failed (${r.status}):\n${r.stderr}`);
  return elapsed;
}

async function inProcess(storage: string, name: string): Promise<{ read: number; render: number; html: string }> {
  const t0 = performance.now();
  const store = await openSqliteStore(storage);
  const study = (await store.getStudy(name))!;
  const trials = await store.trials(study.id);
  await store.close();
  const t1 = performance.now();
  const html = formatHtmlReport(study, trials);
  return { read: t1 - t0, render: performance.now() - t1, html };
}

const dir = mkdtempSync(join(tmpdir(), 'gradtune-bench-html-'));
const hasBrowser = existsSync(CHROMIUM);
console.log(`${trialCount} trials, ${runs} runs each, medians; node ${process.version}${hasBrowser ? '' : `; browser part skipped: ${CHROMIUM} not found`}`);
try {
  for (const algorithm of algorithms) {
    const { study, trials } = syntheticStudy({ trials: trialCount, algorithm, name: `bench-${algorithm}` });
    const storage = join(dir, `${algorithm}.db`);
    const t0 = performance.now();
    await saveStudy(storage, study, trials);
    const epochs = trials.reduce((a, t) => a + t.history.length, 0);
    const layerEpochs = trials.reduce((a, t) => a + (t.diagnostics?.epochs.reduce((b, e) => b + e.layers.length, 0) ?? 0), 0);
    const statuses = ['completed', 'rejected', 'failed'].map((s) => `${trials.filter((t) => t.status === s).length} ${s}`).join(', ');
    console.log(`\n${algorithm}: ${statuses}; ${epochs} epochs of history, ${layerEpochs} layer-epochs of gradient statistics; store ${(statSync(storage).size / 1e6).toFixed(1)} MB, written in ${ms(performance.now() - t0)}`);

    const out = join(dir, `${algorithm}.html`);
    const cli: number[] = [];
    const read: number[] = [];
    const render: number[] = [];
    let size = 0;
    for (let r = 0; r < runs; r++) {
      cli.push(cliReport(storage, study.name, out));
      const p = await inProcess(storage, study.name);
      read.push(p.read);
      render.push(p.render);
      size = Buffer.byteLength(p.html);
      if (r === 0) writeFileSync(join(dir, `${algorithm}-in-process.html`), p.html);
    }
    console.log(`  cli        ${ms(median(cli))}  (gradtune report --format html --out, new process; runs: ${cli.map(ms).join(', ')})`);
    console.log(`  in-process ${ms(median(read) + median(render))}  (read the store ${ms(median(read))}, build and render ${ms(median(render))})`);
    console.log(`  size       ${(size / 1e6).toFixed(2)} MB (${(readFileSync(out).length / 1e6).toFixed(2)} MB written by the CLI)`);
    if (!hasBrowser) continue;
    // Pick a trial that is not drawn yet: the last one in trial order.
    const pickTrial = trials[trials.length - 1].number;
    const figures: BrowserFigures[] = [];
    for (let r = 0; r < runs; r++) figures.push(await openInBrowser(out, pickTrial));
    const m = (k: keyof BrowserFigures) => median(figures.map((f) => f[k]));
    console.log(`  browser    DOMContentLoaded ${ms(m('domContentLoaded'))}, load ${ms(m('load'))}, every chart drawn ${ms(m('rendered'))}`);
    console.log(`             long tasks until drawn: ${m('longTasks')}, longest ${ms(m('longestTask'))}, total blocking time ${ms(m('blocking'))}`);
    console.log(`             sort ${trialCount} rows ${ms(m('sort'))}, pick a trial ${ms(m('pick'))} (to the next frame)`);
  }
} finally {
  if (values.keep) console.log(`\nkept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
