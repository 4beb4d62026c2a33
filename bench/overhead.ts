// gradtune against bare tfjs on the same configurations, in one process run, before and
// after gradtune's kernels.
//
//   npx tsx bench/overhead.ts [--trials 8] [--rounds 5] [--backend auto|wasm|cpu] [--part both|search|epochs]
//
// (a) Search. gradtune: a Tuner with one worker (pool, store, custom loop, the gradient
//     monitor on at its default interval) runs K trials, with gradtune's kernels ('after',
//     the default) and with tfjs's own ops only ('before', GRADTUNE_KERNELS=tfjs). bare: the
//     same K configurations, built identically, trained with model.fit for the same epochs
//     and batch sizes in a fresh worker thread of this process (cold, as a script of its
//     own would be, and as gradtune's pool threads are). The three alternate, in a rotating
//     order, for several rounds (a shared VM's speed drifts by ±15% over a minute); each
//     round's wall and CPU times are printed, then the medians of the ratios.
// (b) Epochs. For each configuration of (a), and for one configuration with each of the six
//     optimizers, in this thread: kernels per training step before → after (counted at the
//     tfjs engine over 50 steps, monitor checks averaged in; see bench/step-profile.ts), ms
//     of CPU per epoch on digits before → after (the difference between 3 epochs and 1,
//     so trial set-up is left out; median over rounds, arms alternating), and the
//     arithmetic lower bound per epoch: the epoch's matrix-product FLOPs (training steps
//     and the validation pass) over the backend's measured matrix-product throughput.
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
import { loadDataset } from '../src/data/load.js';
import { epochFlops, kernelsPerStep, matmulThroughput, median, totalKernels, trainRun, type Arm } from './step-profile.js';
import type { BareFitJob } from './bare-fit.js';
import type { BackendPreference } from '../src/train/types.js';
import type { OptimizerName, TrialConfig } from '../src/space/types.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'auto' },
    part: { type: 'string', default: 'both' },
  },
});
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

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

type SearchArm = 'after' | 'before' | 'fit';

/** One gradtune search; `before` trains with tfjs's ops only (the pool's threads read GRADTUNE_KERNELS when they start). */
async function search(arm: 'after' | 'before', round: number) {
  if (arm === 'before') process.env.GRADTUNE_KERNELS = 'tfjs';
  else delete process.env.GRADTUNE_KERNELS;
  try {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const results = await new Tuner({ space: spacePath, data: 'digits', maxTrials: trials, workers: 1, seed, storage: join(dir, `bench-${arm}-${round}.db`), backend: backendPref }).search();
    return { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds(c0), results };
  } finally {
    delete process.env.GRADTUNE_KERNELS;
  }
}

try {
  const space = await loadSpace({ path: spacePath });
  let configs: TrialConfig[] = [];
  let seeds: number[] = [];
  let data: Awaited<ReturnType<typeof search>>['results']['study']['data'] | undefined;

  if (values.part !== 'epochs') {
    const ratios: Record<string, number[]> = { afterFit: [], beforeFit: [], afterBefore: [], afterFitCpu: [], beforeFitCpu: [] };
    for (let round = 1; round <= rounds; round++) {
      const order: SearchArm[] = (['after', 'before', 'fit'] as const).map((_, i, arms) => arms[(i + round - 1) % 3]);
      const row: Partial<Record<SearchArm, { wall: number; cpu: number; score: number }>> = {};
      for (const arm of order) {
        if (arm === 'fit') {
          // The configurations come from the first search of the run (the same every time: same seed).
          if (configs.length === 0) {
            const first = await search('after', 0);
            configs = first.results.trials.map((t) => space.configFor(t.params));
            seeds = first.results.trials.map((t) => seedOf(seed, t));
            data = first.results.study.data;
          }
          const jobs = configs.map((config, i) => ({ config, seed: seeds[i] }));
          const t1 = performance.now();
          const c1 = process.cpuUsage();
          const scores = await runBareFit({ configs: jobs, data: data!, backend: backendPref });
          row.fit = { wall: (performance.now() - t1) / 1000, cpu: cpuSeconds(c1), score: mean(scores) };
        } else {
          const r = await search(arm, round);
          if (configs.length === 0) {
            configs = r.results.trials.map((t) => space.configFor(t.params));
            seeds = r.results.trials.map((t) => seedOf(seed, t));
            data = r.results.study.data;
          }
          row[arm] = { wall: r.wall, cpu: r.cpu, score: mean(r.results.trials.map((t) => t.score ?? NaN)) };
        }
      }
      const { after, before, fit } = row as Record<SearchArm, { wall: number; cpu: number; score: number }>;
      if (round === 1) console.log(`backend: ${backend}; (a) ${trials} configurations on digits, ${configs[0]?.training.epochs} epochs each, ${rounds} rounds, the gradient monitor on`);
      ratios.afterFit.push(after.wall / fit.wall);
      ratios.beforeFit.push(before.wall / fit.wall);
      ratios.afterBefore.push(after.wall / before.wall);
      ratios.afterFitCpu.push(after.cpu / fit.cpu);
      ratios.beforeFitCpu.push(before.cpu / fit.cpu);
      const s = (x: { wall: number; cpu: number; score: number }) => `${x.wall.toFixed(1)} s wall, ${x.cpu.toFixed(1)} s cpu, mean best val_accuracy ${x.score.toFixed(4)}`;
      console.log(
        `round ${round} (${order.join(', ')}): after ${s(after)} | before ${s(before)} | model.fit ${s(fit)} | after/fit ${(after.wall / fit.wall).toFixed(2)}x wall, ${(after.cpu / fit.cpu).toFixed(2)}x cpu`,
      );
    }
    console.log(
      `medians of ${rounds} rounds: gradtune / model.fit ${median(ratios.afterFit).toFixed(2)}x wall time (${median(ratios.afterFitCpu).toFixed(2)}x cpu); ` +
        `before gradtune's kernels ${median(ratios.beforeFit).toFixed(2)}x wall (${median(ratios.beforeFitCpu).toFixed(2)}x cpu); after / before ${median(ratios.afterBefore).toFixed(2)}x wall`,
    );
  }

  if (values.part !== 'search') {
    if (configs.length === 0) {
      const r = await search('after', 0);
      configs = r.results.trials.map((t) => space.configFor(t.params));
      data = r.results.study.data;
    }
    const ds = loadDataset(data!);
    const gflops = matmulThroughput();
    const describe = (c: TrialConfig) =>
      c.model.kind === 'mlp'
        ? `${c.model.hidden.map((h) => h.units).join('-')} ${c.model.hidden[0].activation}${c.model.hidden[0].batchNorm ? ' bn' : ''}${c.model.hidden[0].dropout ? ` drop ${c.model.hidden[0].dropout}` : ''} ${c.training.optimizer} b${c.training.batchSize}`
        : 'custom';
    // The same network with each optimizer: the first configuration's.
    const perOptimizer = (['sgd', 'momentum', 'rmsprop', 'adam', 'adamax', 'adagrad'] as OptimizerName[]).map(
      (optimizer): TrialConfig => ({ ...configs[0], training: { ...configs[0].training, optimizer } }),
    );
    console.log(
      `\n(b) per configuration, on digits (${ds.nTrain} training rows, ${ds.nVal} validation rows); ${backend} matrix product ${gflops.toFixed(1)} GFLOP/s; ms are CPU time per epoch, medians of ${Math.max(3, Math.min(rounds, 5))} rounds`,
    );
    console.log(`${'configuration'.padEnd(40)} ${'kernels/step'.padStart(16)} ${'ratio'.padStart(6)} ${'ms/epoch before'.padStart(16)} ${'after'.padStart(7)} ${'speedup'.padStart(8)} ${'bound ms'.padStart(9)} ${'x bound'.padStart(8)}`);
    const epochRounds = Math.max(3, Math.min(rounds, 5));
    const kernelRatios: number[] = [];
    for (const [label, list] of [['the search\'s configurations', configs], ['one network, each optimizer', perOptimizer]] as const) {
      console.log(`-- ${label}`);
      for (const config of list) {
        const k: Record<Arm, number> = {
          tfjs: totalKernels(await kernelsPerStep(config, ds, 'tfjs')),
          gradtune: totalKernels(await kernelsPerStep(config, ds, 'gradtune')),
        };
        const ms: Record<Arm, number[]> = { tfjs: [], gradtune: [] };
        await trainRun(config, ds, 1, 'gradtune'); // warm-up
        for (let r = 0; r < epochRounds; r++) {
          for (const arm of (r % 2 === 0 ? ['tfjs', 'gradtune'] : ['gradtune', 'tfjs']) as Arm[]) {
            const one = await trainRun(config, ds, 1, arm);
            const three = await trainRun(config, ds, 3, arm);
            ms[arm].push((three.cpuMs - one.cpuMs) / 2);
          }
        }
        const before = median(ms.tfjs);
        const after = median(ms.gradtune);
        const bound = epochFlops(config, ds) / (gflops * 1e6);
        if (list === configs) kernelRatios.push(k.gradtune / k.tfjs);
        console.log(
          `${describe(config).padEnd(40)} ${`${k.tfjs.toFixed(1)} → ${k.gradtune.toFixed(1)}`.padStart(16)} ${`${((100 * k.gradtune) / k.tfjs).toFixed(0)}%`.padStart(6)} ${before.toFixed(1).padStart(16)} ${after.toFixed(1).padStart(7)} ${`${(before / after).toFixed(2)}x`.padStart(8)} ${bound.toFixed(2).padStart(9)} ${`${(after / bound).toFixed(0)}x`.padStart(8)}`,
        );
      }
    }
    console.log(`kernels per step after / before over the search's configurations: median ${(100 * median(kernelRatios)).toFixed(0)}%, at most ${(100 * Math.max(...kernelRatios)).toFixed(0)}%`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
