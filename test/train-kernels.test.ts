// gradtune's kernels (the one-kernel optimizer update and the lean MLP step) against tfjs's
// own ops: the same weights, histories and gradient statistics within float32 rounding,
// for every optimizer and the features a configuration can switch on, on wasm and cpu.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import seedrandom from 'seedrandom';
import { initBackend, tf } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { train, type TrainOptions } from '../src/train/loop.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import type { Dataset } from '../src/data/types.js';
import type { HiddenLayer, OptimizerName, TrainingSettings, TrialConfig } from '../src/space/types.js';
import { separableDataset } from './helpers/synthetic.js';

const OPTIMIZERS: OptimizerName[] = ['sgd', 'momentum', 'rmsprop', 'adam', 'adamax', 'adagrad'];

/** y = x0 - 2·x1 + noise: a small regression problem. */
function regressionDataset(nTrain = 160, nVal = 40): Dataset {
  const rng = seedrandom('regression');
  const make = (n: number) => {
    const x = new Float32Array(n * 3).map(() => rng() * 2 - 1);
    const y = new Float32Array(n).map((_, i) => x[i * 3] - 2 * x[i * 3 + 1] + 0.1 * (rng() - 0.5));
    return { x, y };
  };
  const tr = make(nTrain);
  const va = make(nVal);
  return {
    ...separableDataset(),
    name: 'regression',
    task: 'regression',
    featureNames: ['a', 'b', 'c'],
    classes: undefined,
    nFeatures: 3,
    nOutputs: 1,
    nTrain,
    nVal,
    xTrain: tr.x,
    yTrain: tr.y,
    xVal: va.x,
    yVal: va.y,
  };
}

const layer = (over: Partial<HiddenLayer> = {}): HiddenLayer => ({ units: 8, activation: 'relu', initializer: 'heNormal', ...over });

interface Case {
  hidden: HiddenLayer[];
  training?: Partial<TrainingSettings>;
  data?: Dataset;
}

/** Trains the same configuration both ways and returns what each produced. */
async function bothWays(c: Case, epochs = 3) {
  const ds = c.data ?? separableDataset(203);
  const training: TrainingSettings = { optimizer: 'adam', learningRate: 0.02, batchSize: 32, epochs, ...c.training };
  const config: TrialConfig = { model: { kind: 'mlp', hidden: c.hidden }, training };
  const run = async (kernels: TrainOptions['kernels']) => {
    const model = buildModel(config, { inputDim: ds.nFeatures, outputUnits: ds.nOutputs, task: ds.task, seed: 3 });
    try {
      const out = await train({
        model,
        dataset: ds,
        training,
        objective: { metric: 'val_loss', direction: 'min' },
        maxEpochs: epochs,
        seed: 3,
        kernels,
        // A check every 3 steps, so that every epoch has several.
        diagnostics: resolveDiagnostics({ diagEvery: 3, preflightSteps: 6, reject: false }),
      });
      // All weights: batch norm's moving statistics included.
      return { out, weights: model.getWeights().map((w) => Array.from(w.dataSync())) };
    } finally {
      model.dispose();
    }
  };
  return { tfjs: await run('tfjs'), gradtune: await run('auto') };
}

const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((w, i) => w.map((x, j) => Math.abs(x - b[i][j]))));

function expectSameTraining(r: Awaited<ReturnType<typeof bothWays>>, tolerance = 1e-4) {
  expect(r.tfjs.out.path).toBe('tfjs');
  expect(r.gradtune.out.path).toBe('lean');
  expect(maxAbsDiff(r.gradtune.weights, r.tfjs.weights)).toBeLessThan(tolerance);
  r.tfjs.out.history.forEach((h, i) => {
    const g = r.gradtune.out.history[i];
    for (const key of Object.keys(h)) expect(Math.abs((g[key] as number) - (h[key] as number)), key).toBeLessThan(tolerance);
  });
  // The gradient monitor saw the same gradients, and said the same.
  const a = r.tfjs.out.diagnostics!;
  const b = r.gradtune.out.diagnostics!;
  expect(b.verdict.kind).toBe(a.verdict.kind);
  expect(b.checks).toBe(a.checks);
  a.epochs.forEach((e, i) => {
    expect(b.epochs[i].globalGrad).toBeCloseTo(e.globalGrad, 4);
    e.layers.forEach((l, j) => {
      const m = b.epochs[i].layers[j];
      expect(m.layer).toBe(l.layer);
      expect(Math.abs(m.kernelGrad - l.kernelGrad)).toBeLessThan(1e-4 * Math.max(1, l.kernelGrad));
      expect(Math.abs(m.weight - l.weight)).toBeLessThan(1e-4 * Math.max(1, l.weight));
      expect(m.dead ?? -1).toBeCloseTo(l.dead ?? -1, 6);
    });
  });
}

beforeAll(async () => {
  await initBackend('auto');
});

describe.each(['wasm', 'cpu'])("gradtune's kernels on %s train as tfjs's ops do", (backend) => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend(backend);
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  it.each(OPTIMIZERS)('with %s, two hidden layers', async (optimizer) => {
    expectSameTraining(await bothWays({ hidden: [layer(), layer({ units: 6 })], training: { optimizer } }));
  });

  it.each(['elu', 'selu', 'leakyRelu', 'tanh', 'sigmoid', 'linear'] as const)('with %s units', async (activation) => {
    expectSameTraining(await bothWays({ hidden: [layer({ activation })] }));
  });

  it('with batch norm and seeded dropout', async () => {
    expectSameTraining(await bothWays({ hidden: [layer({ batchNorm: true, dropout: 0.3 }), layer({ batchNorm: true, activation: 'tanh' }), layer({ dropout: 0.2 })] }));
  });

  it('with L1/L2 penalties, clipping by norm and by value, and a warmup and cosine schedule', async () => {
    const hidden = [layer({ l1: 0.01, l2: 0.02 }), layer({ l2: 0.05 })];
    expectSameTraining(await bothWays({ hidden, training: { clip: { kind: 'norm', value: 0.2 }, warmupEpochs: 1, decay: 'cosine' } }));
    expectSameTraining(await bothWays({ hidden, training: { optimizer: 'rmsprop', clip: { kind: 'value', value: 0.05 }, decay: 'exponential', decayRate: 0.5 } }));
  });

  it('on a regression problem, with a last batch smaller than the others', async () => {
    const r = await bothWays({ hidden: [layer({ dropout: 0.1 }), layer()], data: regressionDataset(150), training: { batchSize: 64 } });
    expectSameTraining(r);
    expect(Object.keys(r.gradtune.out.history[0])).toEqual(expect.arrayContaining(['mae', 'val_mae']));
  });
});

describe("gradtune's one-kernel update on a custom model", () => {
  it('trains a model gradtune did not build the same way as tfjs', async () => {
    const ds = separableDataset(120);
    const training: TrainingSettings = { optimizer: 'adamax', learningRate: 0.05, batchSize: 16, epochs: 2, clip: { kind: 'norm', value: 1 } };
    const weights: number[][][] = [];
    const paths: unknown[] = [];
    for (const kernels of ['tfjs', 'auto'] as const) {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [2], units: 6, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) as never }),
          tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) as never }),
        ],
      });
      const out = await train({ model, dataset: ds, training, objective: { metric: 'val_loss', direction: 'min' }, maxEpochs: 2, seed: 1, kernels, keepCheckpoint: true });
      paths.push(out.path);
      weights.push(model.getWeights().map((w) => Array.from(w.dataSync())));
      model.dispose();
    }
    expect(paths).toEqual(['tfjs', 'fused']);
    expect(maxAbsDiff(weights[1], weights[0])).toBeLessThan(1e-4);
  });
});

describe('gradtune kernels can be switched off', () => {
  it('GRADTUNE_KERNELS=tfjs trains with tfjs ops only', async () => {
    process.env.GRADTUNE_KERNELS = 'tfjs';
    try {
      const model = buildModel({ model: { kind: 'mlp', hidden: [layer()] }, training: { optimizer: 'sgd', learningRate: 0.1, batchSize: 32 } }, { inputDim: 2, outputUnits: 2, task: 'classification', seed: 1 });
      const out = await train({ model, dataset: separableDataset(), training: { optimizer: 'sgd', learningRate: 0.1, batchSize: 32, epochs: 1 }, objective: { metric: 'val_loss', direction: 'min' }, maxEpochs: 1, seed: 1 });
      model.dispose();
      expect(out.path).toBe('tfjs');
    } finally {
      delete process.env.GRADTUNE_KERNELS;
    }
  });
});

