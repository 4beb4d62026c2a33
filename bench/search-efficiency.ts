// Hyperband vs random search on digits, with the same total epoch budget, over several
// seeds, in one run.
//
//   npx tsx bench/search-efficiency.ts [--seeds 1,2,3] [--max-epochs 27] [--factor 3] [--space mlp]
//
// For each seed: Hyperband runs its whole schedule (its epochs are the budget); random
// search (trials capped at --max-epochs too) runs until it has trained as many epochs.
// Printed per seed: each one's best validation score, and the epochs each had trained
// (in the order trials finished) when it first reached random search's final best.
// Target: Hyperband gets there with at most half the epochs. Successive halving needs room
// to pay off: measured here, it does at --max-epochs 81 and not at 27 (README, Performance).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tuner } from '../src/tuner.js';
import type { TrialRecord } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    'max-epochs': { type: 'string', default: '27' },
    factor: { type: 'string', default: '3' },
    space: { type: 'string', default: 'mlp' },
    workers: { type: 'string', default: '2' },
  },
});
const seeds = values.seeds.split(',').map(Number);
const maxEpochs = Number(values['max-epochs']);
const factor = Number(values.factor);
const workers = Number(values.workers);

/** Epochs trained, in finishing order, when the best score so far first reached `target`. */
function epochsToReach(finished: TrialRecord[], target: number): number | null {
  let epochs = 0;
  let best = -Infinity;
  for (const t of finished) {
    epochs += t.epochsRun;
    if (t.status === 'completed' && t.score !== null) best = Math.max(best, t.score);
    if (best >= target) return epochs;
  }
  return null;
}

const dir = mkdtempSync(join(tmpdir(), 'gradtune-efficiency-'));
const ratios: number[] = [];
try {
  console.log(`digits, space ${values.space}, Hyperband --max-epochs ${maxEpochs} --factor ${factor} vs random search with the same epochs, ${workers} workers`);
  for (const seed of seeds) {
    const hbOrder: TrialRecord[] = [];
    const t0 = performance.now();
    const hb = await new Tuner(
      { space: values.space, data: 'digits', algorithm: 'hyperband', maxEpochs, factor, workers, seed, storage: join(dir, `hb-${seed}.db`) },
      { onTrialEnd: (t) => hbOrder.push(t) },
    ).search();
    const hbSeconds = (performance.now() - t0) / 1000;
    const budget = hbOrder.reduce((s, t) => s + t.epochsRun, 0);

    const rsOrder: TrialRecord[] = [];
    let rsEpochs = 0;
    const t1 = performance.now();
    const random: Tuner = new Tuner(
      { space: values.space, data: 'digits', algorithm: 'random', maxTrials: 10_000, maxEpochs, workers, seed, storage: join(dir, `rs-${seed}.db`) },
      {
        onTrialEnd: (t) => {
          rsOrder.push(t);
          rsEpochs += t.epochsRun;
          // Same budget: stop asking for trials once random search has trained as many epochs.
          if (rsEpochs >= budget) random.stop();
        },
      },
    );
    const rs = await random.search();
    const rsSeconds = (performance.now() - t1) / 1000;

    const target = rs.best?.score ?? NaN;
    const hbNeeded = epochsToReach(hbOrder, target);
    const rsNeeded = epochsToReach(rsOrder, target);
    if (hbNeeded !== null && rsNeeded) ratios.push(hbNeeded / rsNeeded);
    console.log(
      `seed ${seed}: hyperband best ${hb.best?.score?.toFixed(4)} (${hbOrder.length} trials, ${budget} epochs, ${hbSeconds.toFixed(0)} s) | ` +
        `random best ${target.toFixed(4)} (${rsOrder.length} trials, ${rsEpochs} epochs, ${rsSeconds.toFixed(0)} s) | ` +
        `epochs to reach random's best: hyperband ${hbNeeded ?? 'never'}, random ${rsNeeded}` +
        (hbNeeded !== null && rsNeeded ? ` (ratio ${(hbNeeded / rsNeeded).toFixed(2)})` : ''),
    );
  }
  // A seed where Hyperband never got there counts as an infinite ratio: leaving it out
  // would make the median look better than the runs were.
  const all = [...ratios, ...Array<number>(seeds.length - ratios.length).fill(Infinity)].sort((a, b) => a - b);
  const median = all.length % 2 ? all[(all.length - 1) / 2] : (all[all.length / 2 - 1] + all[all.length / 2]) / 2;
  console.log(
    `median ratio of epochs to reach random search's best, hyperband / random, over ${seeds.length} seeds (never = infinite): ` +
      `${Number.isFinite(median) ? median.toFixed(2) : 'never'}; hyperband got there in ${ratios.length} of ${seeds.length} (target <= 0.5)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
