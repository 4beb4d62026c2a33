// gradtune's one-kernel optimizer against tfjs's optimizers, step by step, and its state
// against theirs (checkpoints written by one resume in the other).
import type * as TF from '@tensorflow/tfjs';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { initBackend, tf } from '../src/train/backend.js';
import { FusedOptimizer } from '../src/train/fused-optimizer.js';
import { makeOptimizer, optimizerState, restoreOptimizerState, setLearningRate } from '../src/train/optimizer.js';
import { clipGradients } from '../src/train/clip.js';
import { fusedKernelsAvailable } from '../src/train/kernels/register.js';
import { buildModel } from '../src/train/model.js';
import { train } from '../src/train/loop.js';
import { decodeCheckpoint, loadCheckpoint } from '../src/train/checkpoint.js';
import type { ClipSetting, OptimizerName, TrialConfig } from '../src/space/types.js';
import { separableDataset } from './helpers/synthetic.js';

const OPTIMIZERS: OptimizerName[] = ['sgd', 'momentum', 'rmsprop', 'adam', 'adamax', 'adagrad'];
const SHAPES = [[5, 4], [4], [4, 3], [3]];

function variables(seed: number): TF.Variable[] {
  return SHAPES.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', seed + i)));
}

const values = (ts: TF.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));
const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((w, i) => w.map((x, j) => Math.abs(x - b[i][j]))));
/** Differences relative to the values' size (above 1): float32 rounding of sums of squares grows with them. */
const maxRelDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((w, i) => w.map((x, j) => Math.abs(x - b[i][j]) / Math.max(1, Math.abs(b[i][j])))));

/**
 * Steps both optimizers with the same gradients (and a learning rate that changes each
 * step, as a schedule does); tfjs's side gets penalties by autodiff and clipping by
 * clipGradients, as the general training path does.
 */
function stepBoth(name: OptimizerName, steps: number, opts: { clip?: ClipSetting; l1?: number; l2?: number } = {}) {
  const ours = variables(1);
  const theirs = variables(1);
  const fused = new FusedOptimizer(name, 0.05);
  const reference = makeOptimizer(name, 0.05);
  const l1 = SHAPES.map((s) => (s.length === 2 ? (opts.l1 ?? 0) : 0));
  const l2 = SHAPES.map((s) => (s.length === 2 ? (opts.l2 ?? 0) : 0));
  const penalised = l1.some((x) => x > 0) || l2.some((x) => x > 0);
  for (let step = 0; step < steps; step++) {
    const rate = 0.05 * (1 - step / (2 * steps));
    fused.learningRate = rate;
    setLearningRate(reference, rate);
    tf.tidy(() => {
      const grads = SHAPES.map((s, i) => tf.randomNormal(s, 0, 1 + step, 'float32', 100 * step + i));
      fused.apply(ours, grads, { clip: opts.clip, ...(penalised ? { l1, l2, loss: tf.scalar(0) } : {}) });
      // d/dw of l1·|w| + l2·w², by tfjs's autodiff, joins the gradient before clipping.
      const penaltyGrads = tf.variableGrads(
        () => tf.addN(theirs.map((v, i) => tf.add(tf.mul(l1[i], tf.sum(tf.abs(v))), tf.mul(l2[i], tf.sum(tf.square(v)))))) as TF.Scalar,
        theirs,
      ).grads;
      const map: TF.NamedTensorMap = {};
      theirs.forEach((v, i) => (map[v.name] = penalised ? tf.add(grads[i], penaltyGrads[v.name]) : grads[i]));
      reference.applyGradients(clipGradients(map, opts.clip));
    });
  }
  return { ours, theirs, fused, reference };
}

function dispose(r: ReturnType<typeof stepBoth>) {
  tf.dispose([...r.ours, ...r.theirs]);
  r.fused.dispose();
  r.reference.dispose();
}

beforeAll(async () => {
  await initBackend('auto');
});

describe.each(['wasm', 'cpu'])("gradtune's optimizer on %s", (backend) => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend(backend);
    expect(fusedKernelsAvailable()).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  it.each(OPTIMIZERS)('updates as tfjs %s does, with and without clipping and penalties', (name) => {
    for (const opts of [{}, { clip: { kind: 'norm', value: 1.5 } as const }, { clip: { kind: 'value', value: 0.3 } as const }, { l1: 0.01, l2: 0.1 }]) {
      const r = stepBoth(name, 6, opts);
      expect(maxAbsDiff(values(r.ours), values(r.theirs)), JSON.stringify(opts)).toBeLessThan(2e-6);
      dispose(r);
    }
  });

  it.each(OPTIMIZERS)("keeps %s's state as tfjs does: a state saved by either restores into the other", async (name) => {
    const r = stepBoth(name, 4);
    const ourState = await optimizerState(r.fused);
    const theirState = await optimizerState(r.reference);
    expect(ourState.map((w) => w.tensor.shape)).toEqual(theirState.map((w) => w.tensor.shape));
    expect(ourState[0].tensor.dataSync()[0]).toBe(4);
    expect(maxRelDiff(values(ourState.map((w) => w.tensor)), values(theirState.map((w) => w.tensor)))).toBeLessThan(2e-6);

    // Cross-restore, then one more identical step each way: all four agree.
    const ourFromTheirs = new FusedOptimizer(name, 0.01);
    await restoreOptimizerState(ourFromTheirs, theirState);
    const theirFromOurs = makeOptimizer(name, 0.01);
    await restoreOptimizerState(theirFromOurs, ourState);
    const a = r.theirs.map((v) => tf.variable(v.clone()));
    const b = r.theirs.map((v) => tf.variable(v.clone()));
    tf.tidy(() => {
      const grads = SHAPES.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 900 + i));
      ourFromTheirs.apply(a, grads);
      const map: TF.NamedTensorMap = {};
      b.forEach((v, i) => (map[v.name] = grads[i]));
      theirFromOurs.applyGradients(map);
    });
    expect(maxAbsDiff(values(a), values(b))).toBeLessThan(2e-6);
    tf.dispose([ourState[0].tensor, theirState[0].tensor, ...a, ...b]);
    ourFromTheirs.dispose();
    theirFromOurs.dispose();
    dispose(r);
  });

  it('leaves a clone of a weight or of its state as it was (copy on write)', () => {
    const vars = variables(7);
    const fused = new FusedOptimizer('momentum', 0.1);
    const grads = SHAPES.map((s) => tf.ones(s));
    fused.apply(vars, grads);
    const weightClone = vars[0].clone();
    const slotClone = fused.getWeights()[1].tensor.clone();
    const before = [Array.from(weightClone.dataSync()), Array.from(slotClone.dataSync())];
    fused.apply(vars, grads);
    expect([Array.from(weightClone.dataSync()), Array.from(slotClone.dataSync())]).toEqual(before);
    expect(Array.from(vars[0].dataSync())).not.toEqual(before[0]);
    tf.dispose([weightClone, slotClone, ...grads, ...vars]);
    fused.dispose();
  });

  it('restores the best epoch exactly when training in place (best weights are clones)', async () => {
    const ds = separableDataset();
    const cfg: TrialConfig = { model: { kind: 'mlp', hidden: [{ units: 8, activation: 'relu', initializer: 'heNormal', batchNorm: true }] }, training: { optimizer: 'sgd', learningRate: 0.5, batchSize: 32, epochs: 6 } };
    const model = buildModel(cfg, { inputDim: 2, outputUnits: 2, task: 'classification', seed: 5 });
    const out = await train({ model, dataset: ds, training: cfg.training, objective: { metric: 'val_loss', direction: 'min' }, maxEpochs: 6, seed: 5 });
    expect(out.path).toBe('lean');
    const valLoss = tf.tidy(() => {
      const p = tf.clipByValue(model.predict(tf.tensor2d(ds.xVal, [ds.nVal, 2])) as TF.Tensor, 1e-7, 1 - 1e-7);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.tensor2d(ds.yVal, [ds.nVal, 2]), tf.log(p)), 1))).dataSync()[0];
    });
    model.dispose();
    expect(valLoss).toBeCloseTo(out.score!, 5);
  });
});

describe("a trial continued from a checkpoint (a Hyperband promotion)", () => {
  it.each(OPTIMIZERS)("with %s continues the same whether either side trained with gradtune's kernels or tfjs's", async (optimizer) => {
    const ds = separableDataset();
    const cfg: TrialConfig = { model: { kind: 'mlp', hidden: [{ units: 8, activation: 'relu', initializer: 'heNormal', batchNorm: true }] }, training: { optimizer, learningRate: 0.05, batchSize: 32 } };
    const shapes = (seed: number) => ({ inputDim: 2, outputUnits: 2, task: 'classification' as const, seed });
    const objective = { metric: 'val_loss', direction: 'min' as const };
    const parent = async (kernels: 'auto' | 'tfjs') => {
      const model = buildModel(cfg, shapes(3));
      const out = await train({ model, dataset: ds, training: cfg.training, objective, maxEpochs: 2, scheduleEpochs: 4, seed: 3, keepCheckpoint: true, kernels });
      model.dispose();
      return out.checkpoint!;
    };
    const child = async (checkpoint: Uint8Array, kernels: 'auto' | 'tfjs') => {
      const model = buildModel(cfg, shapes(11));
      const out = await train({ model, dataset: ds, training: cfg.training, objective, maxEpochs: 4, scheduleEpochs: 4, seed: 4, resume: { checkpoint, fromEpoch: 2 }, kernels });
      const weights = values(model.getWeights());
      model.dispose();
      return { history: out.history, weights };
    };
    const ours = await parent('auto');
    const theirs = await parent('tfjs');
    // The checkpoints hold the same tensors (weights, then the step count and slots).
    const [a, b] = [decodeCheckpoint(ours), decodeCheckpoint(theirs)];
    expect(a.optimizer.length).toBe(b.optimizer.length);
    expect(maxAbsDiff(values([...a.model, ...a.optimizer.map((w) => w.tensor)]), values([...b.model, ...b.optimizer.map((w) => w.tensor)]))).toBeLessThan(1e-4);
    tf.dispose([...a.model, ...b.model, ...a.optimizer.map((w) => w.tensor), ...b.optimizer.map((w) => w.tensor)]);

    const runs = [await child(ours, 'auto'), await child(ours, 'tfjs'), await child(theirs, 'auto'), await child(theirs, 'tfjs')];
    for (const r of runs.slice(1)) {
      expect(maxAbsDiff(r.weights, runs[0].weights)).toBeLessThan(2e-4);
      r.history.forEach((h, i) => expect(h.val_loss).toBeCloseTo(runs[0].history[i].val_loss, 4));
    }
  });

  it('loads a checkpoint into a fresh gradtune optimizer with the step count and slots saved', async () => {
    const ds = separableDataset();
    const cfg: TrialConfig = { model: { kind: 'mlp', hidden: [{ units: 4, activation: 'relu', initializer: 'heNormal' }] }, training: { optimizer: 'adamax', learningRate: 0.05, batchSize: 32, epochs: 2 } };
    const model = buildModel(cfg, { inputDim: 2, outputUnits: 2, task: 'classification', seed: 1 });
    const out = await train({ model, dataset: ds, training: cfg.training, objective: { metric: 'val_loss', direction: 'min' }, maxEpochs: 2, seed: 1, keepCheckpoint: true });
    const saved = decodeCheckpoint(out.checkpoint!);
    const fused = new FusedOptimizer('adamax', 0.05);
    await loadCheckpoint(model, out.checkpoint!, fused);
    const state = fused.getWeights();
    expect(values(state.map((w) => w.tensor))).toEqual(values(saved.optimizer.map((w) => w.tensor)));
    expect(fused.iterations).toBe(saved.optimizer[0].tensor.dataSync()[0]);
    tf.dispose([state[0].tensor, ...saved.model, ...saved.optimizer.map((w) => w.tensor)]);
    fused.dispose();
    model.dispose();
  });
});
