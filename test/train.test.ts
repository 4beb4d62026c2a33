import type * as TF from '@tensorflow/tfjs';
import { describe, it, expect, beforeAll } from 'vitest';
import { initBackend, tf } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { train } from '../src/train/loop.js';
import { clipGradients } from '../src/train/clip.js';
import { learningRateAt } from '../src/train/schedule.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import type { TrialConfig } from '../src/space/types.js';
import { separableDataset } from './helpers/synthetic.js';

const objective = { metric: 'val_accuracy', direction: 'max' as const };

function config(overrides: Partial<TrialConfig['training']> = {}, hidden: TrialConfig['model'] = { kind: 'mlp', hidden: [{ units: 16, activation: 'relu', initializer: 'heNormal' }] }): TrialConfig {
  return { model: hidden, training: { optimizer: 'adam', learningRate: 0.02, batchSize: 32, epochs: 15, ...overrides } };
}

/** Trains as the worker does: keeping the best epoch's checkpoint (weights and optimizer state). */
async function run(cfg: TrialConfig, seed = 3) {
  const ds = separableDataset();
  const model = buildModel(cfg, { inputDim: 2, outputUnits: 2, task: 'classification', seed });
  try {
    return await train({ model, dataset: ds, training: cfg.training, objective, maxEpochs: 50, seed, keepCheckpoint: true });
  } finally {
    model.dispose();
  }
}

beforeAll(async () => {
  await initBackend('auto');
});

describe('training loop', () => {
  it('learns a separable problem and records per-epoch metrics', async () => {
    const out = await run(config());
    expect(out.epochsRun).toBe(15);
    expect(out.history).toHaveLength(15);
    expect(out.score!).toBeGreaterThan(0.9);
    expect(out.history[14].loss).toBeLessThan(out.history[0].loss);
    for (const r of out.history) expect(Object.keys(r)).toEqual(expect.arrayContaining(['loss', 'val_loss', 'accuracy', 'val_accuracy']));
  });

  it('leaves no tensors behind, with batch norm, dropout, L1/L2, clipping and every optimizer', async () => {
    const cfg = (optimizer: TrialConfig['training']['optimizer']) =>
      config(
        { optimizer, epochs: 2, warmupEpochs: 1, decay: 'cosine', clip: { kind: 'norm', value: 1 } },
        { kind: 'mlp', hidden: [{ units: 8, activation: 'leakyRelu', initializer: 'glorotUniform', batchNorm: true, dropout: 0.2, l1: 1e-4, l2: 1e-3 }] },
      );
    // tfjs caches a few constants the first time an op runs; the baseline is taken after that.
    await run(cfg('sgd'));
    const baseline = tf.memory().numTensors;
    for (const optimizer of ['sgd', 'momentum', 'rmsprop', 'adam', 'adamax', 'adagrad'] as const) {
      const out = await run(cfg(optimizer));
      expect(out.checkpoint, optimizer).toBeInstanceOf(Uint8Array);
      expect(tf.memory().numTensors).toBe(baseline);
    }
  });

  it('leaves no tensors behind on every training path (lean, Layers with the one-kernel update, tfjs ops only)', async () => {
    const ds = separableDataset();
    const training = { optimizer: 'adam' as const, learningRate: 0.02, batchSize: 32, epochs: 2, clip: { kind: 'value' as const, value: 1 } };
    const custom = () =>
      tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 4, activation: 'relu' }), tf.layers.batchNormalization(), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    const mlp = () => buildModel(config(training, { kind: 'mlp', hidden: [{ units: 8, activation: 'tanh', initializer: 'glorotUniform', batchNorm: true, dropout: 0.2, l2: 1e-3 }] }), { inputDim: 2, outputUnits: 2, task: 'classification', seed: 1 });
    const runOnce = async (make: () => TF.LayersModel, kernels: 'auto' | 'tfjs') => {
      const model = make();
      const out = await train({ model, dataset: ds, training, objective, maxEpochs: 2, seed: 1, kernels, keepCheckpoint: true, diagnostics: resolveDiagnostics({ diagEvery: 2, preflightSteps: 3 }) });
      model.dispose();
      return out.path;
    };
    await runOnce(mlp, 'auto');
    const baseline = tf.memory().numTensors;
    const paths = [];
    for (const make of [mlp, custom]) {
      for (const kernels of ['auto', 'tfjs'] as const) {
        paths.push(await runOnce(make, kernels));
        expect(tf.memory().numTensors).toBe(baseline);
      }
    }
    expect(paths).toEqual(['lean', 'tfjs', 'fused', 'tfjs']);
  });

  it('is deterministic for a seed', async () => {
    const a = await run(config({ epochs: 3 }), 11);
    const b = await run(config({ epochs: 3 }), 11);
    const c = await run(config({ epochs: 3 }), 12);
    expect(a.history).toEqual(b.history);
    expect(a.history).not.toEqual(c.history);
  });

  it('stops early after `patience` epochs without improvement and caps epochs at maxEpochs', async () => {
    // learning rate 0 → the objective never improves after epoch 1.
    const out = await run(config({ learningRate: 0, epochs: 30, earlyStopping: { patience: 3 } }));
    expect(out.stoppedEarly).toBe('early-stopping');
    expect(out.epochsRun).toBe(4);
    expect(out.bestEpoch).toBe(1);
  });

  it('restores the best epoch weights at the end', async () => {
    const ds = separableDataset();
    const cfg = config({ epochs: 6, learningRate: 0.5, optimizer: 'sgd' });
    const model = buildModel(cfg, { inputDim: 2, outputUnits: 2, task: 'classification', seed: 5 });
    const out = await train({ model, dataset: ds, training: cfg.training, objective: { metric: 'val_loss', direction: 'min' }, maxEpochs: 6, seed: 5 });
    // Re-evaluating the restored model on the validation split gives the best epoch's val_loss.
    const valLoss = tf.tidy(() => {
      const p = tf.clipByValue(model.predict(tf.tensor2d(ds.xVal, [ds.nVal, 2])) as TF.Tensor, 1e-7, 1 - 1e-7);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.tensor2d(ds.yVal, [ds.nVal, 2]), tf.log(p)), 1))).dataSync()[0];
    });
    model.dispose();
    expect(valLoss).toBeCloseTo(out.score!, 5);
  });

  it('adds the L1/L2 penalty to the training loss', async () => {
    const plain = await run(config({ epochs: 1, learningRate: 0 }));
    const penalised = await run(
      config({ epochs: 1, learningRate: 0 }, { kind: 'mlp', hidden: [{ units: 16, activation: 'relu', initializer: 'heNormal', l2: 0.1 }] }),
    );
    expect(penalised.history[0].loss).toBeGreaterThan(plain.history[0].loss + 0.01);
    expect(penalised.history[0].val_loss).toBeCloseTo(plain.history[0].val_loss, 6);
  });
});

describe('gradient clipping', () => {
  it('scales the global norm down to the limit and leaves small gradients alone', () => {
    const norms = tf.tidy(() => {
      const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }; // global norm 5
      const byNorm = clipGradients(grads, { kind: 'norm', value: 1 });
      const loose = clipGradients(grads, { kind: 'norm', value: 10 });
      const byValue = clipGradients(grads, { kind: 'value', value: 2 });
      const norm = (m: TF.NamedTensorMap) => Math.sqrt(Object.values(m).reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0], 0));
      return { byNorm: norm(byNorm), loose: norm(loose), byValue: Array.from(byValue.b.dataSync()) };
    });
    expect(norms.byNorm).toBeCloseTo(1, 5);
    expect(norms.loose).toBeCloseTo(5, 5);
    expect(norms.byValue).toEqual([0, 2]);
  });
});

describe('learning-rate schedule', () => {
  it('spans the whole schedule in a short round, so a Hyperband round sees the rates a full run would', async () => {
    const ds = separableDataset();
    const cfg = config({ epochs: undefined, decay: 'cosine' });
    const rates = async (maxEpochs: number, scheduleEpochs?: number) => {
      const model = buildModel(cfg, { inputDim: 2, outputUnits: 2, task: 'classification', seed: 3 });
      try {
        const out = await train({ model, dataset: ds, training: cfg.training, objective, maxEpochs, seed: 3, scheduleEpochs });
        return out.history.map((r) => r.learningRate);
      } finally {
        model.dispose();
      }
    };
    const full = await rates(4);
    const round = await rates(1, 4);
    const alone = await rates(1);
    expect(round).toEqual(full.slice(0, 1));
    // Without the horizon, cosine would decay to zero within the round.
    expect(alone[0]).toBeLessThan(full[0] / 2);
  });
  const base = { baseRate: 0.1, warmupEpochs: 2, decay: 'constant' as const, decayRate: 0.5, stepsPerEpoch: 10, totalEpochs: 10 };
  it('warms up linearly to the base rate', () => {
    expect(learningRateAt(0, base)).toBeCloseTo(0.005);
    expect(learningRateAt(9, base)).toBeCloseTo(0.05);
    expect(learningRateAt(19, base)).toBeCloseTo(0.1);
    expect(learningRateAt(50, base)).toBeCloseTo(0.1);
  });
  it('decays by cosine to near zero and exponentially per epoch', () => {
    expect(learningRateAt(20, { ...base, decay: 'cosine' })).toBeCloseTo(0.1);
    expect(learningRateAt(60, { ...base, decay: 'cosine' })).toBeCloseTo(0.05);
    expect(learningRateAt(99, { ...base, decay: 'cosine' })).toBeLessThan(0.001);
    expect(learningRateAt(40, { ...base, decay: 'exponential' })).toBeCloseTo(0.025);
  });
});
