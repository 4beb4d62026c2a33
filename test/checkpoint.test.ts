// Checkpoints: a trial's best-epoch weights, and a trial that continues from them.
import { describe, it, expect, beforeAll } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { initBackend, tf } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { train } from '../src/train/loop.js';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint } from '../src/train/checkpoint.js';
import type { TrialConfig } from '../src/space/types.js';
import { separableDataset } from './helpers/synthetic.js';

const objective = { metric: 'val_loss', direction: 'min' as const };
const config: TrialConfig = {
  model: { kind: 'mlp', hidden: [{ units: 8, activation: 'relu', initializer: 'heNormal', batchNorm: true }] },
  training: { optimizer: 'adam', learningRate: 0.05, batchSize: 32, epochs: 20 },
};
const shapes = (seed: number) => ({ inputDim: 2, outputUnits: 2, task: 'classification' as const, seed });

beforeAll(async () => {
  await initBackend('auto');
});

describe('checkpoints', () => {
  it('round-trip every weight (batch-norm statistics included) bit for bit', async () => {
    const model = buildModel(config, shapes(1));
    const weights = model.getWeights();
    const bytes = await encodeCheckpoint(weights);
    const back = decodeCheckpoint(bytes).model;
    expect(back.map((t) => t.shape)).toEqual(weights.map((t) => t.shape));
    back.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(weights[i].dataSync())));
    tf.dispose(back);
    model.dispose();
  });

  it("start a continued trial from its parent's best-epoch weights", async () => {
    const ds = separableDataset();
    // Without batch norm: its moving statistics would update even at learning rate 0.
    const plain: TrialConfig = { ...config, model: { kind: 'mlp', hidden: [{ units: 8, activation: 'relu', initializer: 'heNormal', dropout: 0 }] } };
    const parentModel = buildModel(plain, shapes(3));
    const parent = await train({ model: parentModel, dataset: ds, training: plain.training, objective, maxEpochs: 3, seed: 3, keepCheckpoint: true });
    const parentWeights = parentModel.getWeights().map((w) => Array.from(w.dataSync())); // restored best weights
    parentModel.dispose();
    expect(parent.checkpoint).toBeInstanceOf(Uint8Array);

    // A child built from the same configuration with another seed: different initial
    // weights, which the checkpoint replaces. At learning rate 0 it cannot move, so its
    // first epoch's val_loss is the parent's best, and its weights stay the parent's.
    const childModel = buildModel(plain, shapes(99));
    const frozen = { ...plain.training, learningRate: 0 };
    const child = await train({ model: childModel, dataset: ds, training: frozen, objective, maxEpochs: 4, seed: 4, resume: { checkpoint: parent.checkpoint!, fromEpoch: 3 } });
    expect(child.history.map((r) => r.epoch)).toEqual([4]);
    expect(child.plannedEpochs).toBe(1);
    expect(child.history[0].val_loss).toBeCloseTo(parent.score!, 5);
    childModel.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(parentWeights[i]));
    childModel.dispose();
  });

  it('refuses a checkpoint of another architecture', async () => {
    const small = buildModel(config, shapes(1));
    const bytes = await encodeCheckpoint(small.getWeights());
    small.dispose();
    const wide: TrialConfig = { ...config, model: { kind: 'mlp', hidden: [{ units: 16, activation: 'relu', initializer: 'heNormal' }] } };
    const other = buildModel(wide, shapes(1));
    const before = tf.memory().numTensors;
    await expect(loadCheckpoint(other as TF.LayersModel, bytes)).rejects.toThrow(/does not fit this model/);
    expect(tf.memory().numTensors).toBe(before);
    other.dispose();
  });
});

describe("checkpoints and the optimizer's state", () => {
  it("carry Adam's moments and step count from the parent's best epoch to the trial that continues it", async () => {
    const ds = separableDataset();
    const parentModel = buildModel(config, shapes(3));
    const trainable = parentModel.trainableWeights.length;
    const parent = await train({ model: parentModel, dataset: ds, training: { ...config.training, epochs: 2 }, objective, maxEpochs: 2, seed: 3, keepCheckpoint: true });
    parentModel.dispose();
    const saved = decodeCheckpoint(parent.checkpoint!);
    // The step count, then a first and a second moment per trainable variable.
    expect(saved.optimizer).toHaveLength(1 + 2 * trainable);
    expect(saved.optimizer[0].tensor.dataSync()[0]).toBeGreaterThan(0);
    const savedValues = saved.optimizer.map((w) => Array.from(w.tensor.dataSync()));
    tf.dispose([...saved.model, ...saved.optimizer.map((w) => w.tensor)]);

    const child = buildModel(config, shapes(9));
    const optimizer = tf.train.adam(0.01);
    await loadCheckpoint(child, parent.checkpoint!, optimizer);
    const restored = await optimizer.getWeights();
    expect(restored.map((w) => Array.from(w.tensor.dataSync()))).toEqual(savedValues);
    restored[0].tensor.dispose();
    optimizer.dispose();
    child.dispose();
  });
});
