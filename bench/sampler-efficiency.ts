// Samplers and algorithms at equal epoch budgets, on real data, over several seeds, in one run:
// random search, TPE, GP (whole trials), Hyperband, and Hyperband + TPE (BOHB-style).
//
//   npx tsx bench/sampler-efficiency.ts [--datasets digits,breast-cancer] [--seeds 1,2,3,4,5]
//        [--max-epochs 27] [--factor 3] [--workers 2] [--space mlp] [--variants random,tpe,gp,hyperband,hyperband+tpe]
//
// Per dataset and seed, the budget is the epochs Hyperband's whole schedule trained; every
// other variant runs until it has trained as many (a trial in flight finishes). Printed:
// each variant's best validation score and the epochs it had trained (in finishing order)
// when its best-so-far first reached random search's final best. Targets (issue 17): TPE
// and GP beat random on the median best score; Hyperband + TPE reaches random's best in at
// most half random's epochs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tuner, type TunerOptions } from '../src/tuner.js';
import type { TrialRecord } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'digits,breast-cancer' },
    seeds: { type: 'string', default: '1,2,3,4,5' },
    'max-epochs': { type: 'string', default: '27' },
    factor: { type: 'string', default: '3' },
    workers: { type: 'string', default: '2' },
    space: { type: 'string', default: 'mlp' },
    variants: { type: 'string', default: 'random,tpe,gp,hyperband,hyperband+tpe' },
  },
});
const datasets = values.datasets.split(',');
const seeds = values.seeds.split(',').map(Number);
const maxEpochs = Number(values['max-epochs']);
const factor = Number(values.factor);
const workers = Number(values.workers);
const variants = values.variants.split(',');

const VARIANT: Record<string, Partial<TunerOptions>> = {
  random: { algorithm: 'random', sampler: 'random' },
  tpe: { algorithm: 'random', sampler: 'tpe' },
  gp: { algorithm: 'random', sampler: 'gp' },
  hyperband: { algorithm: 'hyperband', sampler: 'random', factor },
  'hyperband+tpe': { algorithm: 'hyperband', sampler: 'tpe', factor },
};

interface Run {
  best: number;
  order: TrialRecord[];
  epochs: number;
  seconds: number;
}

/** Epochs trained, in finishing order, when the best score so far first reached `target`. */
function epochsToReach(order: TrialRecord[], target: number): number | null {
  let epochs = 0;
  let best = -Infinity;
  for (const t of order) {
    epochs += t.epochsRun;
    if (t.status === 'completed' && t.score !== null) best = Math.max(best, t.score);
    if (best >= target) return epochs;
  }
  return null;
}

async function run(dir: string, data: string, seed: number, variant: string, budget: number | undefined): Promise<Run> {
  const order: TrialRecord[] = [];
  let epochs = 0;
  const opts = VARIANT[variant];
  const wholeSchedule = opts.algorithm === 'hyperband' && budget === undefined;
  const started = performance.now();
  const tuner: Tuner = new Tuner(
    { space: values.space, data, maxEpochs, workers, seed, storage: join(dir, `${data}-${seed}-${variant}.db`), ...opts, ...(wholeSchedule ? {} : { maxTrials: 100_000, hyperbandIterations: opts.algorithm === 'hyperband' ? 20 : undefined }) },
    {
      onTrialEnd: (t) => {
        order.push(t);
        epochs += t.epochsRun;
        if (budget !== undefined && epochs >= budget) tuner.stop();
      },
    },
  );
  const results = await tuner.search();
  return { best: results.best?.score ?? NaN, order, epochs, seconds: (performance.now() - started) / 1000 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'gradtune-samplers-'));
try {
  for (const data of datasets) {
    console.log(`\n${data}, space ${values.space}, --max-epochs ${maxEpochs}, ${workers} workers; budget per seed: the epochs of Hyperband's whole schedule`);
    const bests: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
    const ratios: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
    for (const seed of seeds) {
      const schedule = await run(dir, data, seed, 'hyperband', undefined);
      const budget = schedule.epochs;
      const runs: Record<string, Run> = { hyperband: schedule };
      for (const v of variants) if (v !== 'hyperband') runs[v] = await run(dir, data, seed, v, budget);
      const target = runs.random?.best ?? NaN;
      const rsNeeded = runs.random ? epochsToReach(runs.random.order, target) : null;
      const cells = variants.map((v) => {
        const r = runs[v];
        bests[v].push(r.best);
        const needed = epochsToReach(r.order, target);
        const ratio = needed !== null && rsNeeded ? needed / rsNeeded : Infinity;
        ratios[v].push(ratio);
        return `${v} ${r.best.toFixed(4)} (${r.epochs} ep, ${r.seconds.toFixed(0)} s, reached random's best after ${needed ?? 'never'})`;
      });
      console.log(`seed ${seed}, budget ${budget} epochs: ${cells.join(' | ')}`);
    }
    console.log(`${data} summary over ${seeds.length} seeds:`);
    for (const v of variants) {
      const b = bests[v];
      const ratio = median(ratios[v]);
      console.log(
        `  ${v.padEnd(14)} best: median ${median(b).toFixed(4)}, min ${Math.min(...b).toFixed(4)}, max ${Math.max(...b).toFixed(4)} | ` +
          `epochs to reach random's best / random's: median ${Number.isFinite(ratio) ? ratio.toFixed(2) : 'never'}`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
