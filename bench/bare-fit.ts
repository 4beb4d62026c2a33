// The "bare tfjs script" of bench/overhead.ts: trains the given configurations with
// model.fit, in a fresh worker thread (a cold JIT, as a script run on its own would
// start), and posts back the scores.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, tf } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { makeOptimizer } from '../src/train/optimizer.js';
import { loadDataset } from '../src/data/load.js';
import type { TrialConfig } from '../src/space/types.js';
import type { DataSource } from '../src/data/types.js';
import type { BackendPreference } from '../src/train/types.js';

export interface BareFitJob {
  configs: { config: TrialConfig; seed: number }[];
  data: DataSource;
  backend: BackendPreference;
}

export async function bareFit(job: BareFitJob): Promise<number[]> {
  await initBackend(job.backend);
  const ds = loadDataset(job.data);
  const scores: number[] = [];
  for (const { config, seed } of job.configs) {
    const model = buildModel(config, { inputDim: ds.nFeatures, outputUnits: ds.nOutputs, task: ds.task, seed });
    model.compile({ optimizer: makeOptimizer(config.training.optimizer, config.training.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const x = tf.tensor2d(ds.xTrain, [ds.nTrain, ds.nFeatures]);
    const y = tf.tensor2d(ds.yTrain, [ds.nTrain, ds.nOutputs]);
    const xv = tf.tensor2d(ds.xVal, [ds.nVal, ds.nFeatures]);
    const yv = tf.tensor2d(ds.yVal, [ds.nVal, ds.nOutputs]);
    const h = await model.fit(x, y, { epochs: config.training.epochs, batchSize: config.training.batchSize, validationData: [xv, yv], shuffle: true, verbose: 0 });
    scores.push(Math.max(...(h.history.val_acc as number[])));
    tf.dispose([x, y, xv, yv]);
    model.optimizer.dispose();
    model.dispose();
  }
  return scores;
}

if (parentPort && workerData) {
  const scores = await bareFit(workerData as BareFitJob);
  parentPort.postMessage({ scores });
}
