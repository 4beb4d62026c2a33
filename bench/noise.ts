// Does averaging make a search pick better-generalising models, or at least pick them
// more reliably? Issue 12's measurement. For each dataset and seed: hold out a test set
// (25% of the rows, stratified, drawn from the seed), search the rest (as arrays, through
// tuner.search(x, y, { validationSplit })) at the same wall-time budget three ways (a hard
// one: --timeout, then a --timeout-grace of 0.5 s gives back the trials still running) —
// one execution per trial, executionsPerTrial: 3, folds: 5 — take getBestModels(1) and
// measure its accuracy on the held-out rows. Printed per dataset and variant: the median
// and the spread (min–max, interquartile range) across seeds. The variants alternate
// within each seed, so a machine that slows down mid-run hurts them alike.
//
//   npx tsx bench/noise.ts [--datasets iris,breast-cancer] [--seeds 1,2,3,4,5] [--budget 60] [--workers 2] [--space quick] [--max-epochs 20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tuner } from '../src/index.js';
import { builtinDatasetPath } from '../src/data/builtin.js';
import { readCsvFile } from '../src/data/csv.js';
import { splitRows } from '../src/data/split.js';
import { tf } from '../src/train/tf.js';
import type * as TF from '@tensorflow/tfjs';

const { values: args } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'iris,breast-cancer' },
    seeds: { type: 'string', default: '1,2,3,4,5' },
    budget: { type: 'string', default: '60' },
    workers: { type: 'string', default: '2' },
    space: { type: 'string', default: 'quick' },
    'max-epochs': { type: 'string', default: '20' },
    'test-fraction': { type: 'string', default: '0.25' },
  },
});

interface Variant {
  name: string;
  options: { executionsPerTrial?: number; folds?: number };
}
const VARIANTS: Variant[] = [
  { name: '1 execution', options: {} },
  { name: '3 executions', options: { executionsPerTrial: 3 } },
  { name: '5 folds', options: { folds: 5 } },
];

const datasets = args.datasets.split(',');
const seeds = args.seeds.split(',').map(Number);
const budget = Number(args.budget);
const workers = Number(args.workers);
const testFraction = Number(args['test-fraction']);

/** A built-in dataset as arrays: features (every column but the last) and labels. */
function arrays(name: string): { x: number[][]; y: string[] } {
  const table = readCsvFile(builtinDatasetPath(name));
  return { x: table.rows.map((r) => r.slice(0, -1).map(Number)), y: table.rows.map((r) => r[r.length - 1]) };
}

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

const results = new Map<string, { accuracy: number; trials: number; valScore: number; wall: number }[]>();
/** Searches that completed no trial within the budget (no model to pick). */
const misses = new Map<string, number>();
const started = Date.now();
for (const dataset of datasets) {
  const { x, y } = arrays(dataset);
  const classes = [...new Set(y)].sort();
  const labels = y.map((l) => classes.indexOf(l));
  for (const seed of seeds) {
    const { train, val: test } = splitRows(x.length, testFraction, seed + 1000, { labels, nClasses: classes.length });
    const xTrain = train.map((r) => x[r]);
    const yTrain = train.map((r) => y[r]);
    const xTest = tf.tensor2d(test.map((r) => x[r]));
    // Rotate the order per seed: no variant always runs first (on a fresher machine).
    const order = VARIANTS.map((_, i) => VARIANTS[(i + seed) % VARIANTS.length]);
    for (const variant of order) {
      const dir = mkdtempSync(join(tmpdir(), 'gradtune-noise-'));
      try {
        const tuner = new Tuner({
          space: args.space,
          algorithm: 'random',
          maxTrials: 10_000,
          maxEpochs: Number(args['max-epochs']),
          timeout: budget,
          timeoutGrace: 0.5,
          workers,
          seed,
          storage: join(dir, 'noise.db'),
          study: 'noise',
          ...variant.options,
        });
        const searchStarted = performance.now();
        const search = await tuner.search(xTrain, yTrain, { validationSplit: 0.2 });
        const wall = (performance.now() - searchStarted) / 1000;
        if (!search.best) {
          const statuses = search.trials.map((t) => t.status).join(', ') || 'none started';
          console.log(`${dataset} seed ${seed} ${variant.name}: no completed trial within ${budget} s (trials: ${statuses}); give a larger --budget`);
          const key = `${dataset}\t${variant.name}`;
          misses.set(key, (misses.get(key) ?? 0) + 1);
          continue;
        }
        const [model] = await tuner.getBestModels(1);
        const predicted = tf.tidy(() => (model.predict(xTest) as TF.Tensor).argMax(1).dataSync());
        model.dispose();
        let correct = 0;
        test.forEach((r, i) => (correct += Number(classes[predicted[i]] === y[r])));
        const accuracy = correct / test.length;
        const key = `${dataset}\t${variant.name}`;
        const entry = { accuracy, trials: search.trials.filter((t) => t.status === 'completed').length, valScore: search.best.score ?? NaN, wall };
        results.set(key, [...(results.get(key) ?? []), entry]);
        console.log(`${dataset} seed ${seed} ${variant.name}: held-out accuracy ${accuracy.toFixed(4)} (${correct}/${test.length}), ${entry.trials} trials, best validation score ${entry.valScore.toFixed(4)}, ${wall.toFixed(0)} s  [${((Date.now() - started) / 1000).toFixed(0)} s]`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    xTest.dispose();
  }
}

console.log(`\nheld-out accuracy of the picked model across seeds ${seeds.join(',')} (budget ${budget} s per search, ${workers} workers, space ${args.space}):`);
console.log('dataset\tvariant\tseeds\tmedian\tmin–max (range)\tIQR\tmean trials\tmean validation score\tmean wall (s)');
for (const [key, entries] of results) {
  const sorted = entries.map((e) => e.accuracy).sort((a, b) => a - b);
  const range = sorted[sorted.length - 1] - sorted[0];
  const iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
  const meanTrials = entries.reduce((a, e) => a + e.trials, 0) / entries.length;
  const meanVal = entries.reduce((a, e) => a + e.valScore, 0) / entries.length;
  const meanWall = entries.reduce((a, e) => a + e.wall, 0) / entries.length;
  const missed = misses.get(key) ? ` (${misses.get(key)} without a trial)` : '';
  console.log(`${key}\t${entries.length}${missed}\t${quantile(sorted, 0.5).toFixed(4)}\t${sorted[0].toFixed(4)}–${sorted[sorted.length - 1].toFixed(4)} (${range.toFixed(4)})\t${iqr.toFixed(4)}\t${meanTrials.toFixed(1)}\t${meanVal.toFixed(4)}\t${meanWall.toFixed(0)}`);
}
