// What bench/kernels.ts and bench/overhead.ts measure about training steps: kernels per
// step (counted at the tfjs engine, as tf.profile lists them), time per step or epoch, the
// matrix products' FLOPs, and the backend's matrix-product throughput for the arithmetic
// lower bound.
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { train } from '../src/train/loop.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import type { Dataset } from '../src/data/types.js';
import type { MlpModel, TrialConfig } from '../src/space/types.js';

/** 'tfjs': tfjs's own ops (GRADTUNE_KERNELS=tfjs, the loop as before gradtune's kernels); 'gradtune': the default. */
export type Arm = 'tfjs' | 'gradtune';

const counts = new Map<string, number>();
let counting = false;
let installed = false;

/** Counts every kernel the engine runs while `counting` (what tf.profile would list), by name. */
function installCounter(): void {
  if (installed) return;
  installed = true;
  const engine = tf.engine() as unknown as { runKernelFunc(p: { kernelName?: string }): unknown };
  const original = engine.runKernelFunc.bind(engine);
  engine.runKernelFunc = (p) => {
    if (counting && p.kernelName) counts.set(p.kernelName, (counts.get(p.kernelName) ?? 0) + 1);
    return original(p);
  };
}

/** A dataset of random rows shaped like `like` (features, outputs, task): kernel counts and step times do not depend on the values. */
export function syntheticDataset(like: Pick<Dataset, 'nFeatures' | 'nOutputs' | 'task'>, rows: number, seed = 7): Dataset {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const make = (n: number) => {
    const x = new Float32Array(n * like.nFeatures).map(rand);
    const y = new Float32Array(n * like.nOutputs);
    for (let i = 0; i < n; i++) {
      if (like.task === 'regression') y[i] = x[i * like.nFeatures];
      else y[i * like.nOutputs + (Math.abs(Math.floor(x[i * like.nFeatures] * 1000)) % like.nOutputs)] = 1;
    }
    return { x, y };
  };
  const tr = make(rows);
  const va = make(64);
  return {
    name: 'synthetic',
    task: like.task,
    featureNames: Array.from({ length: like.nFeatures }, (_, i) => `f${i}`),
    targetName: 'y',
    classes: like.task === 'classification' ? Array.from({ length: like.nOutputs }, (_, i) => `c${i}`) : undefined,
    nFeatures: like.nFeatures,
    nOutputs: like.nOutputs,
    nTrain: rows,
    nVal: 64,
    xTrain: tr.x,
    yTrain: tr.y,
    xVal: va.x,
    yVal: va.y,
    scaling: { mean: [], std: [] },
    fingerprint: 'synthetic',
    rows: rows + 64,
  };
}

export interface RunResult {
  wallMs: number;
  cpuMs: number;
  kernels: Map<string, number>;
}

/**
 * Trains `config` on `ds` for `epochs` epochs (no early stopping; the gradient monitor on
 * at its default interval, never rejecting, unless `monitor` is false) and measures it.
 */
export async function trainRun(config: TrialConfig, ds: Dataset, epochs: number, arm: Arm, monitor = true): Promise<RunResult> {
  installCounter();
  const training = { ...config.training, epochs, earlyStopping: undefined };
  const model = buildModel({ ...config, training }, { inputDim: ds.nFeatures, outputUnits: ds.nOutputs, task: ds.task, seed: 5 });
  counts.clear();
  counting = true;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    await train({
      model,
      dataset: ds,
      training,
      objective: { metric: 'val_loss', direction: 'min' },
      maxEpochs: epochs,
      seed: 5,
      diagnostics: monitor ? resolveDiagnostics(config.diagnostics, { reject: false }) : undefined,
      keepCheckpoint: true,
      kernels: arm === 'tfjs' ? 'tfjs' : 'auto',
    });
  } finally {
    counting = false;
    model.dispose();
  }
  const cpu = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, kernels: new Map(counts) };
}

export const totalKernels = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/**
 * Kernels per training step by kind: one epoch of `steps` steps and one of 2·steps on
 * synthetic rows shaped like `like`; the difference is `steps` steps with everything
 * per epoch (validation, the monitor's probe, read back) cancelled out, and the monitor's
 * checks (every diagEvery steps) averaged in.
 */
export async function kernelsPerStep(config: TrialConfig, like: Pick<Dataset, 'nFeatures' | 'nOutputs' | 'task'>, arm: Arm, steps = 50, monitor = true): Promise<Map<string, number>> {
  const batch = config.training.batchSize;
  const short = await trainRun(config, syntheticDataset(like, steps * batch), 1, arm, monitor);
  const long = await trainRun(config, syntheticDataset(like, 2 * steps * batch), 1, arm, monitor);
  const perStep = new Map<string, number>();
  for (const [k, v] of long.kernels) {
    const d = (v - (short.kernels.get(k) ?? 0)) / steps;
    if (Math.abs(d) > 1e-9) perStep.set(k, d);
  }
  return perStep;
}

/** Layer widths of an MLP configuration, input to output. */
function widths(model: MlpModel, features: number, outputs: number): number[] {
  return [features, ...model.hidden.map((h) => h.units), outputs];
}

/** Matrix-product FLOPs of one training step on `rows` rows: the forward, dW for every layer, dX for all but the first. */
export function stepFlops(config: TrialConfig, features: number, outputs: number, rows = config.training.batchSize): number {
  if (config.model.kind !== 'mlp') return NaN;
  const dims = widths(config.model, features, outputs);
  let flops = 0;
  for (let i = 0; i + 1 < dims.length; i++) flops += 2 * rows * dims[i] * dims[i + 1] * (i === 0 ? 2 : 3);
  return flops;
}

/** Matrix-product FLOPs of one epoch: the steps over nTrain rows, and the validation's forward pass over nVal rows. */
export function epochFlops(config: TrialConfig, ds: Pick<Dataset, 'nFeatures' | 'nOutputs' | 'nTrain' | 'nVal'>): number {
  if (config.model.kind !== 'mlp') return NaN;
  const dims = widths(config.model, ds.nFeatures, ds.nOutputs);
  let forwardPerRow = 0;
  for (let i = 0; i + 1 < dims.length; i++) forwardPerRow += 2 * dims[i] * dims[i + 1];
  return stepFlops(config, ds.nFeatures, ds.nOutputs, ds.nTrain) + forwardPerRow * ds.nVal;
}

/**
 * The backend's matrix-product throughput in GFLOP/s: the best over products of 128 rows
 * by square weights of 64 to 512 (as in training) of the CPU time of repeated untransposed
 * products — XNNPACK on wasm, tfjs's JavaScript loop on cpu. CPU time, as the benches
 * time steps, so that other work on a shared machine moves both alike.
 */
export function matmulThroughput(): number {
  const cpu = tf.getBackend() === 'cpu';
  let best = 0;
  for (const n of cpu ? [64, 128, 256] : [64, 128, 256, 512]) {
    const a = tf.randomNormal([1, 128, n]);
    const b = tf.randomNormal([1, n, n]);
    const flops = 2 * 128 * n * n;
    const reps = Math.max(2, Math.round((cpu ? 2e7 : 4e8) / flops));
    for (let r = 0; r < 5; r++) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < reps; i++) (tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }) as TF.Tensor).dispose();
      const used = process.cpuUsage(c0);
      best = Math.max(best, (flops * reps) / ((used.user + used.system) * 1e3));
    }
    tf.dispose([a, b]);
  }
  return best;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
