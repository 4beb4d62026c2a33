// What `gradtune dashboard` costs on a 10,000-trial study (issue 19): the time to first
// render of the study's page, the size of each update a page receives, and the trial
// throughput of a search running beside it, with and without a dashboard polling every
// second.
//
//   npm run bench:dashboard -- [--trials 10000] [--rounds 3] [--round-trials 24] [--browser] [--render-only]
//
// Setup: a real `gradtune search` makes the study (iris, bench/dashboard-space.ts: the quick
// space with a continuous learning rate, --max-epochs 3),
// then --trials - 1 more finished trials are written through the store's ask/tell (20
// epochs of history, per-layer gradient statistics for 3 layers, 10% rejected, 4% failed,
// as a search writes them).
//
//   first render  `gradtune dashboard` is started on the store; headless Chromium (Debian's)
//                 opens the study's page: navigation start → every chart drawn (the page
//                 marks <body data-rendered>). "cold" is the first page after the dashboard
//                 started (it reads the 10,000 trials then); "warm" a second page.
//   throughput    rounds alternate: `gradtune search --study … --max-trials +N` alone, then
//                 with the dashboard and a poller that asks for updates every second as the
//                 page does (since its version, its sections' hash, the trials it shows);
//                 with --browser the poller is the real page in Chromium instead. Trials per
//                 second from the store's timestamps (first start → last finish of the
//                 round), so process start-up is left out. Medians over --rounds.
//   update size   every update the poller received during the "with" rounds: bytes of the
//                 JSON body (median, 95th percentile, max).
// Targets: first render <= 2 s, updates <= 50 kB, throughput loss <= 3%.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import seedrandom from 'seedrandom';
import { openStore } from '../src/store/open-store.js';
import type { TrialOutcomeUpdate, TrialStatus } from '../src/store/store.js';
import type { TrialDiagnostics } from '../src/train/diagnostics-types.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import type { EpochRecord } from '../src/train/types.js';

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    'round-trials': { type: 'string', default: '24' },
    browser: { type: 'boolean', default: false },
    'render-only': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const TRIALS = Number(args.trials);
const ROUNDS = Number(args.rounds);
const ROUND_TRIALS = Number(args['round-trials']);
const CLI = fileURLToPath(new URL('../bin/gradtune.js', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const STUDY = 'dash-bench';
const SPACE = fileURLToPath(new URL('./dashboard-space.ts', import.meta.url));
const EPOCHS = 20;
const LAYERS = ['dense', 'dense_1', 'logits'];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;

/** Runs the CLI; `cpu`: the CPU time it used (sampled just before it exits, from /proc). */
function run(argv: string[], cwd: string): Promise<{ code: number | null; out: string; cpu: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let cpu = 0;
    const sampler = setInterval(() => {
      const now = cpuMs(child.pid!);
      if (Number.isFinite(now)) cpu = now;
    }, 100);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      resolve({ code, out, cpu });
    });
  });
}

/** Starts `gradtune dashboard --port 0`; its URL once it listens. */
async function dashboard(db: string, cwd: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'dashboard', '--port', '0', '--storage', db], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  for (let i = 0; i < 1200; i++) {
    const m = / at (http:\/\/\S+) /.exec(out);
    if (m) return { child, url: m[1] };
    if (child.exitCode !== null) throw new Error(`dashboard exited: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`dashboard printed no URL: ${out}`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('close', () => resolve());
    child.kill('SIGTERM');
  });
}

function history(rng: () => number, epochs: number): EpochRecord[] {
  return Array.from({ length: epochs }, (_, i) => {
    const p = (i + 1) / epochs;
    return { epoch: i + 1, loss: 1.1 * (1 - p) + rng() * 0.1, val_loss: 1.2 * (1 - p) + rng() * 0.1, accuracy: 0.5 + 0.45 * p, val_accuracy: 0.5 + 0.4 * p + rng() * 0.05, learningRate: 0.01 };
  });
}

function diagnostics(rng: () => number, epochs: number, rejected: boolean): TrialDiagnostics {
  return {
    verdict: rejected
      ? { kind: 'vanishing', evidence: { statistic: 'kernel gradient norm', layer: 'dense', value: 1e-9, threshold: 1e-7, epoch: epochs, step: epochs * 4, preflight: false } }
      : { kind: 'healthy' },
    checks: epochs * 4,
    epochs: Array.from({ length: epochs }, (_, i) => ({
      epoch: i + 1,
      globalGrad: 0.5 + rng(),
      layers: LAYERS.map((layer) => ({ layer, kernelGrad: rejected ? 1e-9 : rng(), biasGrad: rng() * 0.1, weight: 3 + rng(), updateRatio: rng() * 1e-3 })),
    })),
    settings: resolveDiagnostics(),
  };
}

/** Fills the study with finished trials, as a search writes them. */
async function fill(db: string, count: number): Promise<void> {
  const store = await openStore(db);
  const study = (await store.getStudy(STUDY))!;
  const rng = seedrandom('dash-bench');
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
  for (let i = 0; i < count; i++) {
    const layers = 1 + Math.floor(rng() * 2);
    const params = {
      layers,
      activation: pick(['relu', 'tanh']),
      units_1: pick([8, 16, 32]),
      ...(layers === 2 ? { units_2: pick([8, 16, 32]) } : {}),
      optimizer: pick(['adam', 'sgd']),
      learning_rate: 10 ** (-3 + 2 * rng()),
      batch_size: pick([16, 32]),
      epochs: 20,
      patience: 5,
    };
    const asked = await store.ask(study.id, () => ({ kind: 'run', params }));
    if (asked.kind !== 'run') throw new Error(`fill: ${asked.kind}`);
    const r = rng();
    const status: TrialStatus = r < 0.86 ? 'completed' : r < 0.96 ? 'rejected' : 'failed';
    const epochs = status === 'failed' ? 0 : status === 'rejected' ? 1 + Math.floor(rng() * 5) : EPOCHS;
    const outcome: TrialOutcomeUpdate = {
      status,
      score: status === 'completed' ? 0.6 + rng() * 0.37 : null,
      bestEpoch: status === 'completed' ? epochs : null,
      epochsRun: epochs,
      history: history(rng, epochs),
      backend: 'wasm',
      durationMs: 800 + Math.round(rng() * 400),
      error: status === 'failed' ? 'Error: out of memory\n    at trainTrial (src/train/loop.ts:141:22)' : null,
      diagnostics: epochs > 0 ? diagnostics(rng, epochs, status === 'rejected') : null,
      plannedEpochs: EPOCHS,
    };
    await store.tell(study.id, asked.trial.number, outcome);
  }
  await store.close();
}

/** Trials per second of the trials numbered from `from` on: first start → last finish. */
async function throughput(db: string, from: number): Promise<number> {
  const store = await openStore(db, { readOnly: true });
  const study = (await store.getStudy(STUDY))!;
  const trials = (await store.summaries(study.id)).filter((t) => t.number >= from && t.finishedAt !== null);
  await store.close();
  if (trials.length < 2) throw new Error(`the search ran ${trials.length} trials: nothing to measure`);
  const start = Math.min(...trials.map((t) => Date.parse(t.startedAt)));
  const end = Math.max(...trials.map((t) => Date.parse(t.finishedAt!)));
  return trials.length / ((end - start) / 1000);
}

async function countTrials(db: string): Promise<number> {
  const store = await openStore(db, { readOnly: true });
  const study = (await store.getStudy(STUDY))!;
  const n = (await store.summaries(study.id)).length;
  await store.close();
  return n;
}

/** Polls like the page: since its version, with its sections' hash, the trials it shows. */
function poller(url: string, sizes: number[]): { ready: Promise<void>; stop(): Promise<void> } {
  let stopped = false;
  let loaded: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (loaded = resolve));
  const loop = (async () => {
    const page = await (await fetch(`${url}/studies/${STUDY}`)).text();
    loaded();
    const config = JSON.parse(/<script type="application\/json" id="live-config">(.*?)<\/script>/s.exec(page)![1]);
    let version = config.version;
    let sections = config.sectionsHash;
    let shown: number[] = [];
    while (!stopped) {
      await new Promise((r) => setTimeout(r, config.interval));
      const res = await fetch(`${url}${config.updates}?since=${version}&sections=${encodeURIComponent(sections)}&server=${config.server}&study=${config.study}&show=${shown.join(',')}`);
      const body = await res.text();
      sizes.push(Buffer.byteLength(body));
      const u = JSON.parse(body);
      version = u.version;
      sections = u.sectionsHash;
      shown = u.top;
    }
  })();
  return {
    ready,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

interface Render {
  /** Navigation start → every chart drawn (wall clock). */
  wall: number;
  /** Navigation start → the page's HTML fully received (the server's part). */
  server: number;
  /** Bytes of the page's HTML (the data of every trial, as light views, included). */
  bytes: number;
  /** CPU time of the page's renderer process until then, and of the dashboard's process while it served the page (ms): what the render costs, however loaded the machine is. */
  rendererCpu: number;
  serverCpu: number;
  /** Time the page's main thread was busy until then (CDP TaskDuration): what the page costs, whatever else runs on the machine. */
  busy: number;
}

async function rendererCpuMs(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string; cpuTime: number }> };
  await cdp.detach();
  return 1000 * processInfo.filter((p) => p.type === 'renderer').reduce((a, p) => a + p.cpuTime, 0);
}

async function firstRender(browser: Browser, url: string, serverPid: number): Promise<Render> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto('about:blank');
  const renderer0 = await rendererCpuMs(browser);
  const server0 = cpuMs(serverPid);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${url}/studies/${STUDY}`, { timeout: 300_000 });
  await page.waitForSelector('body[data-rendered]', { timeout: 300_000 });
  const wall = await page.evaluate(() => performance.now());
  const [server, bytes] = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return [nav.responseEnd, nav.encodedBodySize];
  });
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  const busy = 1000 * (metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN);
  const rendererCpu = (await rendererCpuMs(browser)) - renderer0;
  const serverCpu = cpuMs(serverPid) - server0;
  await page.close();
  if (errors.length > 0) throw new Error(`the page reported errors: ${errors.join('; ')}`);
  return { wall, server, busy, bytes, rendererCpu, serverCpu };
}

/** CPU time (user + system, ms) a process has used so far, all its threads, from /proc. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the name), in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'gradtune-bench-dashboard-'));
const db = join(dir, 'gradtune.db');
try {
  console.log(`dashboard bench: a ${TRIALS}-trial study in ${db}`);
  const made = await run(['search', '--study', STUDY, '--algo', 'random', '--dataset', 'iris', '--space', SPACE, '--max-trials', '1', '--max-epochs', '3', '--workers', '1', '--storage', db], dir);
  if (made.code !== 0) throw new Error(made.out);
  let t0 = performance.now();
  await fill(db, TRIALS - 1);
  console.log(`filled ${TRIALS - 1} trials through ask/tell in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  const browser = existsSync(CHROMIUM) ? await chromium.launch({ executablePath: CHROMIUM, args: ARGS }) : undefined;
  if (browser) {
    const cold: Render[] = [];
    const warm: Render[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const d = await dashboard(db, dir);
      cold.push(await firstRender(browser, d.url, d.child.pid!));
      warm.push(await firstRender(browser, d.url, d.child.pid!));
      await stop(d.child);
    }
    const show = (rs: Render[]) =>
      `${median(rs.map((r) => r.wall)).toFixed(0)} ms (${(median(rs.map((r) => r.bytes)) / 1e6).toFixed(1)} MB page received after ${median(rs.map((r) => r.server)).toFixed(0)} ms; main thread busy ${median(rs.map((r) => r.busy)).toFixed(0)} ms); CPU: dashboard ${median(rs.map((r) => r.serverCpu)).toFixed(0)} ms + page ${median(rs.map((r) => r.rendererCpu)).toFixed(0)} ms`;
    console.log(`first render (navigation → every chart drawn), medians of ${ROUNDS}  [target <= 2000 ms]`);
    console.log(`  cold (the dashboard's first read of ${TRIALS} trials included): ${show(cold)}`);
    console.log(`  warm (another page, the dashboard already following the study): ${show(warm)}`);
  } else console.log(`first render: skipped (${CHROMIUM} not found)`);

  const alone: number[] = [];
  const dashboardCpuMs: number[] = [];
  const searchCpuMs: number[] = [];
  const watched: number[] = [];
  const sizes: number[] = [];
  for (let round = 0; round < (args['render-only'] ? 0 : ROUNDS); round++) {
    for (const withDashboard of [false, true]) {
      const from = await countTrials(db);
      let d: { child: ChildProcess; url: string } | undefined;
      let poll: ReturnType<typeof poller> | undefined;
      let page: Awaited<ReturnType<Browser['newPage']>> | undefined;
      if (withDashboard) {
        d = await dashboard(db, dir);
        if (args.browser && browser) {
          page = await browser.newPage();
          page.on('response', async (r) => {
            if (r.url().includes('/updates?')) sizes.push((await r.body()).length);
          });
          await page.goto(`${d.url}/studies/${STUDY}`, { timeout: 120_000 });
          await page.waitForSelector('body[data-rendered]', { timeout: 120_000 });
        } else poll = poller(d.url, sizes);
        // The page is loaded (the dashboard has read the study): from here on, what polling costs.
        await poll?.ready;
      }
      t0 = performance.now();
      const dashboardCpu = d ? cpuMs(d.child.pid!) : 0;
      const searched = await run(['search', '--study', STUDY, '--max-trials', String(from + ROUND_TRIALS), '--workers', '2', '--storage', db], dir);
      if (searched.code !== 0) throw new Error(searched.out);
      if (d) {
        dashboardCpuMs.push(cpuMs(d.child.pid!) - dashboardCpu);
        searchCpuMs.push(searched.cpu);
      }
      await poll?.stop();
      await page?.close();
      if (d) await stop(d.child);
      const rate = await throughput(db, from);
      (withDashboard ? watched : alone).push(rate);
      console.log(`round ${round + 1} ${withDashboard ? 'with dashboard   ' : 'without dashboard'}: ${rate.toFixed(2)} trials/s (${ROUND_TRIALS} trials, ${((performance.now() - t0) / 1000).toFixed(0)} s with start-up)`);
    }
  }
  if (args['render-only']) {
    await browser?.close();
    process.exitCode = 0;
  } else {
  const loss = 1 - median(watched) / median(alone);
  console.log(`throughput: ${median(alone).toFixed(2)} trials/s alone, ${median(watched).toFixed(2)} with a dashboard polling every second${args.browser ? ' (the page in Chromium)' : ''}: loss ${(loss * 100).toFixed(1)}%  [target <= 3%]`);
  console.log(
    `CPU: the dashboard used ${median(dashboardCpuMs).toFixed(0)} ms of CPU per round while the search used ${median(searchCpuMs).toFixed(0)} ms (its start-up included): ${((100 * median(dashboardCpuMs)) / median(searchCpuMs)).toFixed(1)}% — the most it can take from a CPU-bound search, whatever else loads the machine`,
  );
  console.log(`update size over ${sizes.length} polls: median ${kB(median(sizes))}, p95 ${kB(quantile(sizes, 0.95))}, max ${kB(Math.max(...sizes))}  [target <= 50 kB]`);
  await browser?.close();
  }
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
