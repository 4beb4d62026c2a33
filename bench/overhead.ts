// gradtune vs bare tfjs on the same configurations, in one process run.
//
//   npx tsx bench/overhead.ts [--trials 8] [--rounds 3] [--backend auto|wasm|cpu]
//
// gradtune: a Tuner with one worker (pool, store, custom training loop) runs K trials.
// bare: the same K configurations, built identically, trained with model.fit for the
// same epochs and batch sizes in this process. The two alternate for several rounds
// (a shared VM's speed drifts by ±15% over a minute); each round's ratio is printed,
// then the median.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Tuner } from '../src/tuner.js';
import { initBackend, tf } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { makeOptimizer } from '../src/train/optimizer.js';
import { loadDataset } from '../src/data/load.js';
import { loadSpace } from '../src/space/load.js';
import { trialSeed } from '../src/tuner.js';
import type { BackendPreference } from '../src/train/types.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' }, backend: { type: 'string', default: 'auto' } } });
const trials = Number(values.trials);
const rounds = Number(values.rounds);
const backendPref = values.backend as BackendPreference;
const seed = 42;
const spacePath = fileURLToPath(new URL('./overhead-space.ts', import.meta.url));

const backend = await initBackend(backendPref);
const dir = mkdtempSync(join(tmpdir(), 'gradtune-bench-'));
try {
  const space = await loadSpace({ path: spacePath });
  const ds = loadDataset({ builtin: 'digits', valSplit: 0.2, seed });
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    // --- gradtune -----------------------------------------------------------------
    const t0 = performance.now();
    const results = await new Tuner({ space: spacePath, data: 'digits', maxTrials: trials, workers: 1, seed, storage: join(dir, `bench-${round}.db`), backend: backendPref }).search();
    const gradtuneMs = performance.now() - t0;

    // --- bare tfjs: model.fit on the same configurations -------------------------
    const t1 = performance.now();
    const bareScores: number[] = [];
    for (const trial of results.trials) {
      const config = space.configFor(trial.params);
      const model = buildModel(config, { inputDim: ds.nFeatures, outputUnits: ds.nOutputs, task: ds.task, seed: trialSeed(seed, trial.number) });
      model.compile({ optimizer: makeOptimizer(config.training.optimizer, config.training.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      const x = tf.tensor2d(ds.xTrain, [ds.nTrain, ds.nFeatures]);
      const y = tf.tensor2d(ds.yTrain, [ds.nTrain, ds.nOutputs]);
      const xv = tf.tensor2d(ds.xVal, [ds.nVal, ds.nFeatures]);
      const yv = tf.tensor2d(ds.yVal, [ds.nVal, ds.nOutputs]);
      const h = await model.fit(x, y, { epochs: config.training.epochs, batchSize: config.training.batchSize, validationData: [xv, yv], shuffle: true, verbose: 0 });
      bareScores.push(Math.max(...(h.history.val_acc as number[])));
      tf.dispose([x, y, xv, yv]);
      model.optimizer.dispose();
      model.dispose();
    }
    const bareMs = performance.now() - t1;

    const gradtuneScores = results.trials.map((t) => t.score ?? NaN);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    if (round === 1) console.log(`backend: ${backend}; ${trials} configurations on digits, ${results.trials[0]?.epochsRun} epochs each, ${rounds} rounds`);
    ratios.push(gradtuneMs / bareMs);
    console.log(
      `round ${round}: gradtune (1 worker, store, custom loop) ${(gradtuneMs / 1000).toFixed(1)} s, mean best val_accuracy ${mean(gradtuneScores).toFixed(4)} | ` +
        `bare model.fit ${(bareMs / 1000).toFixed(1)} s, ${mean(bareScores).toFixed(4)} | ratio ${(gradtuneMs / bareMs).toFixed(2)}x`,
    );
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(`ratio gradtune / bare (median of ${rounds}): ${sorted[Math.floor(sorted.length / 2)].toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
