// Kernels and time per training step, gradtune's kernels against tfjs's own ops, and how
// far each backend is from its arithmetic.
//
//   npx tsx bench/kernels.ts [--backends wasm,cpu] [--quick] [--rounds 5] [--full] [--counts]
//
// For each configuration (an MLP of ReLU layers on random data with 64 features and 10
// classes; depth, width, batch size, optimizer, batch norm, dropout, clipping, L1/L2, and
// the gradient monitor on at its default interval unless the row says "no monitor") and
// each backend, src/train/loop.ts trains one epoch of S steps and one of 3S steps, with
// tfjs's own ops ('tfjs', as GRADTUNE_KERNELS=tfjs does: the loop as it was before
// gradtune's kernels) and with gradtune's kernels ('gradtune', the default). The
// difference between the two epochs is 2S steps, everything per epoch (and per trial)
// cancelled out:
//
//   kernels/step   kernels the tfjs engine runs per step (what tf.profile lists), the
//                  monitor's checks averaged in
//   µs/step        CPU time per step, median over rounds (the arms alternate within a
//                  round); on a machine shared with other work, CPU time moves less than
//                  wall time (the wasm backend runs one thread here)
//   bound µs       the arithmetic lower bound: the step's matrix-product FLOPs (forward,
//                  and both products of the backward) over the backend's best measured
//                  matrix-product throughput (printed first; step-profile.ts)
//   x bound        gradtune's µs/step over the bound
//
// Then, for the reference configuration (64-64-64-10, Adam, batch 32), kernels per step
// by kind, both ways. --backends takes wasm, cpu and tensorflow (tfjs-node, when
// installed; gradtune's kernels do not run there, so both arms are tfjs's ops). The cpu
// backend skips configurations above 1 GFLOP per step unless --full. --counts prints the
// kernels per step only (exact counts, the same on any machine), skipping configurations
// above 1 GFLOP per step unless --full: the timing rounds take long on a loaded machine.
import { parseArgs } from 'node:util';
import { initBackend, tf } from '../src/train/backend.js';
import { requireNodeBackend } from '../src/train/tf.js';
import { kernelsPerStep, matmulThroughput, median, stepFlops, syntheticDataset, totalKernels, trainRun, type Arm } from './step-profile.js';
import type { ClipSetting, HiddenLayer, OptimizerName, TrialConfig } from '../src/space/types.js';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,cpu' },
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    counts: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '5' },
  },
});
const rounds = Number(values.rounds);
const SHAPE = { nFeatures: 64, nOutputs: 10, task: 'classification' as const };

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

const base: Config = { name: 'reference 64x3 adam b32', depth: 3, width: 64, batch: 32, optimizer: 'adam' };
const variant = (name: string, o: Partial<Config>): Config => ({ ...base, name, ...o });
const CONFIGS: Config[] = values.quick
  ? [base, variant('depth 6', { depth: 6 }), variant('width 256', { width: 256 }), variant('batch 256', { batch: 256 }), variant('batch norm + dropout', { batchNorm: true, dropout: 0.2 })]
  : [
      base,
      variant('no monitor', { monitor: false }),
      ...[1, 2, 4, 6].map((depth) => variant(`depth ${depth}`, { depth })),
      ...[16, 128, 256, 512].map((width) => variant(`width ${width}`, { width })),
      ...[16, 128, 512].map((batch) => variant(`batch ${batch}`, { batch })),
      variant('width 512 batch 512', { width: 512, batch: 512 }),
      ...(['sgd', 'momentum', 'rmsprop', 'adamax', 'adagrad'] as const).map((optimizer) => variant(optimizer, { optimizer })),
      variant('batch norm', { batchNorm: true }),
      variant('dropout 0.2', { dropout: 0.2 }),
      variant('clip norm 1', { clip: { kind: 'norm', value: 1 } }),
      variant('clip value 0.5', { clip: { kind: 'value', value: 0.5 } }),
      variant('L1+L2', { l1l2: true }),
      variant('all of them', { batchNorm: true, dropout: 0.2, clip: { kind: 'norm', value: 1 }, l1l2: true }),
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
  return { model: { kind: 'mlp', hidden }, training: { optimizer: c.optimizer, learningRate: 1e-3, batchSize: c.batch, clip: c.clip } };
}

async function useBackend(name: string): Promise<boolean> {
  try {
    if (name === 'tensorflow') requireNodeBackend();
    if (name === 'wasm') await initBackend('wasm');
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    return true;
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
  const gflops = values.counts ? NaN : matmulThroughput();
  if (values.counts) console.log(`\n${backend}: kernels per training step, tfjs's ops → gradtune's kernels`);
  else console.log(`\n${backend}: matrix product ${gflops.toFixed(1)} GFLOP/s (the best CPU-time throughput of untransposed products, 128 rows by square weights of 64 to 512)`);
  console.log(
    `${'configuration'.padEnd(26)} ${pad('kernels/step', 16)} ${pad('ratio', 6)}` +
      (values.counts ? '' : ` ${pad('µs/step tfjs', 13)} ${pad('gradtune', 9)} ${pad('speedup', 8)} ${pad('bound µs', 9)} ${pad('x bound', 8)}`),
  );
  let reference: Record<Arm, Map<string, number>> | undefined;
  for (const c of CONFIGS) {
    const config = trialConfig(c);
    const flops = stepFlops(config, SHAPE.nFeatures, SHAPE.nOutputs);
    // Counting takes 300 steps per arm, slow at this size on any backend; timing takes more on cpu.
    if ((backend === 'cpu' || values.counts) && flops > 1e9 && !values.full) {
      console.log(`${c.name.padEnd(26)} skipped${values.counts ? '' : ' on cpu'} (${(flops / 1e9).toFixed(1)} GFLOP per step; --full runs it)`);
      continue;
    }
    const monitor = c.monitor !== false;
    const kernels: Record<Arm, Map<string, number>> = {
      tfjs: await kernelsPerStep(config, SHAPE, 'tfjs', 50, monitor),
      gradtune: await kernelsPerStep(config, SHAPE, 'gradtune', 50, monitor),
    };
    const kt = totalKernels(kernels.tfjs);
    const kg = totalKernels(kernels.gradtune);
    if (c === base) reference = kernels;
    if (values.counts) {
      console.log(`${c.name.padEnd(26)} ${pad(`${kt.toFixed(1)} → ${kg.toFixed(1)}`, 16)} ${pad(`${((100 * kg) / kt).toFixed(0)}%`, 6)}`);
      continue;
    }
    // Enough steps to time (at least the monitor's 40-step preflight, at most 200).
    const estMs = (flops / (gflops * 1e6)) * 4 + 0.3;
    const steps = Math.max(50, Math.min(200, Math.round(300 / estMs)));
    const short = syntheticDataset(SHAPE, steps * c.batch);
    const long = syntheticDataset(SHAPE, 3 * steps * c.batch);
    const times: Record<Arm, number[]> = { tfjs: [], gradtune: [] };
    for (let r = 0; r < rounds; r++) {
      const order: Arm[] = r % 2 === 0 ? ['tfjs', 'gradtune'] : ['gradtune', 'tfjs'];
      for (const arm of order) {
        const a = await trainRun(config, short, 1, arm, monitor);
        const b = await trainRun(config, long, 1, arm, monitor);
        times[arm].push(((b.cpuMs - a.cpuMs) / (2 * steps)) * 1000);
      }
    }
    const ut = median(times.tfjs);
    const ug = median(times.gradtune);
    const bound = flops / (gflops * 1e3);
    console.log(
      `${c.name.padEnd(26)} ${pad(`${kt.toFixed(1)} → ${kg.toFixed(1)}`, 16)} ${pad(`${((100 * kg) / kt).toFixed(0)}%`, 6)} ${pad(ut.toFixed(0), 13)} ${pad(ug.toFixed(0), 9)} ${pad(`${(ut / ug).toFixed(2)}x`, 8)} ${pad(bound.toFixed(1), 9)} ${pad(`${(ug / bound).toFixed(1)}x`, 8)}`,
    );
  }
  if (reference) {
    for (const arm of ['tfjs', 'gradtune'] as const) {
      const kinds = [...reference[arm].entries()].sort((a, b) => b[1] - a[1]);
      console.log(`  ${base.name}, ${arm}, kernels per step by kind: ${kinds.map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(1)}`).join(', ')}`);
    }
  }
}
