// gradtune vs bare tfjs on the same configurations, in one process run.
//
//   npx tsx bench/overhead.ts [--trials 8] [--rounds 3] [--backend auto|wasm|cpu]
//
// gradtune: a Tuner with one worker (pool, store, custom training loop) runs K trials.
// bare: the same K configurations, built identically, trained with model.fit for the
// same epochs and batch sizes in a fresh worker thread of this process (cold, as a
// script of its own would be, and as gradtune's pool threads are). The two alternate for several rounds
// (a shared VM's speed drifts by ±15% over a minute); each round's ratio is printed,
// then the median. CPU time of the whole process is printed beside wall time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Tuner } from '../src/tuner.js';
import { seedOf } from '../src/oracle/seed.js';
import { initBackend } from '../src/train/backend.js';
import { loadSpace } from '../src/space/load.js';
import type { BareFitJob } from './bare-fit.js';
import type { BackendPreference } from '../src/train/types.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '8' }, rounds: { type: 'string', default: '5' }, backend: { type: 'string', default: 'auto' } } });
const trials = Number(values.trials);
const rounds = Number(values.rounds);
const backendPref = values.backend as BackendPreference;
const seed = 42;
const spacePath = fileURLToPath(new URL('./overhead-space.ts', import.meta.url));

const backend = await initBackend(backendPref);
const dir = mkdtempSync(join(tmpdir(), 'gradtune-bench-'));
/** Runs bench/bare-fit.ts in a new worker thread (this thread idles meanwhile). */
function runBareFit(job: BareFitJob): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const worker = new Worker(new URL('./bare-fit-entry.mjs', import.meta.url), { workerData: job, execArgv: ['--import', tsx] });
    worker.once('message', (m: { scores: number[] }) => resolve(m.scores));
    worker.once('error', reject);
  });
}

try {
  const space = await loadSpace({ path: spacePath });
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const cpuSeconds = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1e6;
  };
  for (let round = 1; round <= rounds; round++) {
    // --- gradtune -----------------------------------------------------------------
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const results = await new Tuner({ space: spacePath, data: 'digits', maxTrials: trials, workers: 1, seed, storage: join(dir, `bench-${round}.db`), backend: backendPref }).search();
    const gradtuneMs = performance.now() - t0;
    const gradtuneCpu = cpuSeconds(c0);

    // --- bare tfjs: model.fit on the same configurations, in a fresh thread ---------
    const jobs = results.trials.map((trial) => ({ config: space.configFor(trial.params), seed: seedOf(seed, trial) }));
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const bareScores = await runBareFit({ configs: jobs, data: results.study.data, backend: backendPref });
    const bareMs = performance.now() - t1;
    const bareCpu = cpuSeconds(c1);

    const gradtuneScores = results.trials.map((t) => t.score ?? NaN);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    if (round === 1) console.log(`backend: ${backend}; ${trials} configurations on digits, ${results.trials[0]?.epochsRun} epochs each, ${rounds} rounds`);
    ratios.push(gradtuneMs / bareMs);
    cpuRatios.push(gradtuneCpu / bareCpu);
    console.log(
      `round ${round}: gradtune (1 worker, store, custom loop) ${(gradtuneMs / 1000).toFixed(1)} s wall, ${gradtuneCpu.toFixed(1)} s cpu, mean best val_accuracy ${mean(gradtuneScores).toFixed(4)} | ` +
        `bare model.fit ${(bareMs / 1000).toFixed(1)} s wall, ${bareCpu.toFixed(1)} s cpu, ${mean(bareScores).toFixed(4)} | ratio ${(gradtuneMs / bareMs).toFixed(2)}x wall, ${(gradtuneCpu / bareCpu).toFixed(2)}x cpu`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`ratio gradtune / bare, median of ${rounds} rounds: ${median(ratios).toFixed(2)}x wall time, ${median(cpuRatios).toFixed(2)}x cpu time`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
