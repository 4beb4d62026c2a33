// Kernels and time per training step, gradtune's kernels against tfjs's own ops, and how
// far each backend is from its arithmetic.
//
//   npx tsx bench/kernels.ts [--backends wasm,cpu] [--quick] [--rounds 3] [--full]
//
// For each configuration (an MLP on synthetic data with 64 features and 10 classes;
// depth, width, batch size, optimizer, batch norm, dropout, clipping, L1/L2, and the
// gradient monitor on at its default interval unless the row says "no monitor") and each
// backend, the loop of src/train/loop.ts trains one epoch of S steps and one of 2S steps
// with tfjs's own ops ('tfjs', as GRADTUNE_KERNELS=tfjs) and with gradtune's kernels
// ('gradtune'). The difference between the two epochs is S steps with everything
// per-epoch (validation, read back) cancelled out:
//
//   kernels/step   tfjs kernels launched per step (counted at the engine: every kernel
//                  tf.profile would list), averaged over the S steps, monitor checks included
//   µs/step        median over rounds (the arms alternate within a round: a shared
//                  machine's speed drifts)
//   bound µs       the arithmetic lower bound: the step's matrix-product FLOPs (forward,
//                  and both products of the backward) divided by the backend's measured
//                  matrix-product throughput (printed first: XNNPACK's untransposed product
//                  on wasm, tfjs's JS loop on cpu)
//   x bound        gradtune's µs/step over the bound: how far from the hardware
//
// Then, for the reference configuration (64-64-64-10, Adam, batch 32), the kernels per
// step by kind, both ways. --backends takes wasm, cpu and tensorflow (tfjs-node, when
// installed). The cpu backend skips configurations over ~1 GFLOP per step unless --full.
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { initBackend, tf } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { train } from '../src/train/loop.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import { requireNodeBackend } from '../src/train/tf.js';
import type { Dataset } from '../src/data/types.js';
import type { HiddenLayer, TrialConfig, OptimizerName, ClipSetting } from '../src/space/types.js';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,cpu' },
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
  },
});
const rounds = Number(values.rounds);
const FEATURES = 64;
const CLASSES = 10;

interface Config {
  name: string;
  depth: number;
  width: number;
  batch: number;
  optimizer: OptimizerName;
  batchNorm?: boolean;
  dropout?: number;
  clip?: ClipSetting;
  l1l2?: boolean;
  monitor?: boolean;
}

const base: Config = { name: 'reference 64x3 adam b32', depth: 3, width: 64, batch: 32, optimizer: 'adam', monitor: true };
const with_ = (name: string, o: Partial<Config>): Config => ({ ...base, name, ...o });
const CONFIGS: Config[] = values.quick
  ? [base, with_('depth 6', { depth: 6 }), with_('width 256', { width: 256 }), with_('batch 256', { batch: 256 }), with_('batch norm + dropout', { batchNorm: true, dropout: 0.2 })]
  : [
      base,
      with_('no monitor', { monitor: false }),
      ...[1, 2, 4, 6].map((depth) => with_(`depth ${depth}`, { depth })),
      ...[16, 128, 256, 512].map((width) => with_(`width ${width}`, { width })),
      ...[16, 128, 512].map((batch) => with_(`batch ${batch}`, { batch })),
      with_('width 512 batch 512', { width: 512, batch: 512 }),
      ...(['sgd', 'momentum', 'rmsprop', 'adamax', 'adagrad'] as const).map((optimizer) => with_(optimizer, { optimizer })),
      with_('batch norm', { batchNorm: true }),
      with_('dropout 0.2', { dropout: 0.2 }),
      with_('clip norm 1', { clip: { kind: 'norm', value: 1 } }),
      with_('clip value 0.5', { clip: { kind: 'value', value: 0.5 } }),
      with_('L1+L2', { l1l2: true }),
      with_('all of them', { batchNorm: true, dropout: 0.2, clip: { kind: 'norm', value: 1 }, l1l2: true }),
    ];

function trialConfig(c: Config): TrialConfig {
  const hidden: HiddenLayer[] = Array.from({ length: c.depth }, () => ({
    units: c.width,
    activation: 'relu',
    initializer: 'heNormal',
    batchNorm: c.batchNorm,
    dropout: c.dropout,
    ...(c.l1l2 ? { l1: 1e-5, l2: 1e-4 } : {}),
  }));
  return { model: { kind: 'mlp', hidden }, training: { optimizer: c.optimizer, learningRate: 1e-3, batchSize: c.batch, epochs: 1, clip: c.clip } };
}

/** Matrix-product FLOPs of one training step: forward, dW for every layer, dX for all but the first. */
function stepFlops(c: Config): number {
  const dims = [FEATURES, ...Array<number>(c.depth).fill(c.width), CLASSES];
  let flops = 0;
  for (let i = 0; i + 1 < dims.length; i++) {
    const mac = c.batch * dims[i] * dims[i + 1];
    flops += 2 * mac * (i === 0 ? 2 : 3);
  }
  return flops;
}

function syntheticDataset(rows: number, seed: number): Dataset {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const make = (n: number) => {
    const x = new Float32Array(n * FEATURES).map(rand);
    const y = new Float32Array(n * CLASSES);
    for (let i = 0; i < n; i++) y[i * CLASSES + (Math.abs(Math.floor(x[i * FEATURES] * 1000)) % CLASSES)] = 1;
    return { x, y };
  };
  const tr = make(rows);
  const va = make(64);
  return {
    name: 'synthetic',
    task: 'classification',
    featureNames: Array.from({ length: FEATURES }, (_, i) => `f${i}`),
    targetName: 'y',
    classes: Array.from({ length: CLASSES }, (_, i) => `c${i}`),
    nFeatures: FEATURES,
    nOutputs: CLASSES,
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

/** Counts the kernels the engine runs (what tf.profile lists), by name. */
const counts = new Map<string, number>();
let counting = false;
{
  const engine = tf.engine() as unknown as { runKernelFunc(p: { kernelName?: string }): unknown };
  const original = engine.runKernelFunc.bind(engine);
  engine.runKernelFunc = (p) => {
    if (counting && p.kernelName) counts.set(p.kernelName, (counts.get(p.kernelName) ?? 0) + 1);
    return original(p);
  };
}

type Arm = 'tfjs' | 'gradtune';

/** Trains one epoch of `steps` steps; returns its wall time and kernels by kind. */
async function epoch(c: Config, steps: number, arm: Arm): Promise<{ ms: number; kernels: Map<string, number> }> {
  const ds = syntheticDataset(steps * c.batch, 7);
  const cfg = trialConfig(c);
  const model = buildModel(cfg, { inputDim: FEATURES, outputUnits: CLASSES, task: 'classification', seed: 5 });
  counts.clear();
  counting = true;
  const t0 = performance.now();
  try {
    await train({
      model,
      dataset: ds,
      training: cfg.training,
      objective: { metric: 'val_loss', direction: 'min' },
      maxEpochs: 1,
      seed: 5,
      diagnostics: c.monitor === false ? undefined : resolveDiagnostics({ reject: false }),
      kernels: arm === 'tfjs' ? 'tfjs' : 'auto',
    });
  } finally {
    counting = false;
    model.dispose();
  }
  return { ms: performance.now() - t0, kernels: new Map(counts) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/** Throughput of the backend's matrix product, GFLOP/s: the best of several runs of an untransposed 256³ product. */
function matmulThroughput(): number {
  const n = tf.getBackend() === 'cpu' ? 128 : 256;
  const a = tf.randomNormal([1, n, n]);
  const b = tf.randomNormal([1, n, n]);
  const reps = tf.getBackend() === 'cpu' ? 3 : 20;
  let best = Infinity;
  for (let r = 0; r < 8; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) (tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }) as TF.Tensor).dispose();
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  tf.dispose([a, b]);
  return (2 * n * n * n) / (best * 1e6);
}

async function useBackend(name: string): Promise<boolean> {
  try {
    if (name === 'tensorflow') requireNodeBackend();
    if (name === 'wasm') await initBackend('wasm');
    return (await tf.setBackend(name)) && (await tf.ready(), true);
  } catch {
    return false;
  }
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

for (const backend of values.backends!.split(',')) {
  if (!(await useBackend(backend))) {
    console.log(`\n${backend}: not available here, skipped`);
    continue;
  }
  const gflops = matmulThroughput();
  console.log(`\n${backend}: matrix product ${gflops.toFixed(1)} GFLOP/s (best of 8, ${tf.getBackend() === 'cpu' ? 128 : 256}³ untransposed)`);
  console.log(
    `${'configuration'.padEnd(26)} ${pad('kernels/step', 16)} ${pad('ratio', 6)} ${pad('µs/step tfjs', 13)} ${pad('gradtune', 9)} ${pad('speedup', 8)} ${pad('bound µs', 9)} ${pad('x bound', 8)}`,
  );
  let reference: { tfjs: Map<string, number>; gradtune: Map<string, number>; steps: number } | undefined;
  for (const c of CONFIGS) {
    const flops = stepFlops(c);
    if (backend === 'cpu' && flops > 1e9 && !values.full) {
      console.log(`${c.name.padEnd(26)} skipped on cpu (${(flops / 1e9).toFixed(1)} GFLOP per step; --full runs it)`);
      continue;
    }
    // Enough steps for the monitor's preflight (40) to end within the shorter epoch, and a measurable time.
    const estMs = (flops / (gflops * 1e6)) * 3 + 0.3;
    const steps = Math.max(50, Math.min(200, Math.round(400 / estMs)));
    await epoch(c, steps, 'gradtune'); // warm-up (JIT, XNNPACK operators, kernel registration)
    await epoch(c, steps, 'tfjs');
    const times: Record<Arm, number[]> = { tfjs: [], gradtune: [] };
    const kernels: Record<Arm, Map<string, number>> = { tfjs: new Map(), gradtune: new Map() };
    for (let r = 0; r < rounds; r++) {
      const order: Arm[] = r % 2 === 0 ? ['tfjs', 'gradtune'] : ['gradtune', 'tfjs'];
      for (const arm of order) {
        const short = await epoch(c, steps, arm);
        const long = await epoch(c, 2 * steps, arm);
        times[arm].push(((long.ms - short.ms) / steps) * 1000);
        const perStep = new Map<string, number>();
        for (const [k, v] of long.kernels) perStep.set(k, (v - (short.kernels.get(k) ?? 0)) / steps);
        kernels[arm] = perStep;
      }
    }
    const kt = total(kernels.tfjs);
    const kg = total(kernels.gradtune);
    const ut = median(times.tfjs);
    const ug = median(times.gradtune);
    const bound = flops / (gflops * 1e3);
    console.log(
      `${c.name.padEnd(26)} ${pad(`${kt.toFixed(1)} → ${kg.toFixed(1)}`, 16)} ${pad(`${((100 * kg) / kt).toFixed(0)}%`, 6)} ${pad(ut.toFixed(0), 13)} ${pad(ug.toFixed(0), 9)} ${pad(`${(ut / ug).toFixed(2)}x`, 8)} ${pad(bound.toFixed(1), 9)} ${pad(`${(ug / bound).toFixed(1)}x`, 8)}`,
    );
    if (c === base) reference = { tfjs: kernels.tfjs, gradtune: kernels.gradtune, steps };
  }
  if (reference) {
    for (const arm of ['tfjs', 'gradtune'] as const) {
      const kinds = [...reference[arm].entries()].filter(([, v]) => v > 0.01).sort((a, b) => b[1] - a[1]);
      console.log(`  ${base.name}, ${arm}, kernels per step by kind: ${kinds.map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(1)}`).join(', ')}`);
    }
  }
}
