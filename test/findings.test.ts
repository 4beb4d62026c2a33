// Findings beyond the gradients: each one shows on a trial built to have it and not on a
// healthy one, with its evidence and thresholds recorded; --reject-on makes it reject.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { train } from '../src/train/loop.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import { findFindings } from '../src/train/findings.js';
import { loadDataset } from '../src/data/load.js';
import type { Dataset } from '../src/data/types.js';
import type { DiagnosticsSettings, EpochGradientStats, Finding, FindingKind } from '../src/train/diagnostics-types.js';
import type { HiddenLayer, TrialConfig } from '../src/space/types.js';
import type { EpochRecord } from '../src/train/types.js';

let digits: Dataset;
/** 60 training rows of digits, the whole validation split: a wide network memorises them. */
let tinyDigits: Dataset;
const objective = { metric: 'val_accuracy', direction: 'max' as const };

beforeAll(async () => {
  await initBackend('auto');
  digits = loadDataset({ builtin: 'digits', valSplit: 0.2, seed: 1 });
  tinyDigits = { ...digits, nTrain: 60, xTrain: digits.xTrain.slice(0, 60 * digits.nFeatures), yTrain: digits.yTrain.slice(0, 60 * digits.nOutputs) };
});

const layers = (n: number, layer: HiddenLayer): HiddenLayer[] => Array.from({ length: n }, () => ({ ...layer }));
const relu = (n: number, units: number) => layers(n, { units, activation: 'relu', initializer: 'heNormal' });

async function trainCase(ds: Dataset, model: TrialConfig['model'], training: TrialConfig['training'], epochs: number, settings: Partial<DiagnosticsSettings> = {}) {
  const tfModel = buildModel({ model, training }, { inputDim: ds.nFeatures, outputUnits: ds.nOutputs, task: 'classification', seed: 7 });
  try {
    return await train({ model: tfModel, dataset: ds, training, objective, maxEpochs: epochs, seed: 7, diagnostics: resolveDiagnostics({ reject: false, ...settings }) });
  } finally {
    tfModel.dispose();
  }
}

function only(findings: Finding[] | undefined, kind: FindingKind): Finding | undefined {
  return findings?.find((f) => f.kind === kind);
}

describe('findings on trained cases', () => {
  it('slow-training: plain SGD at 1e-5 is slow, Adam at 1e-3 is not', { timeout: 120_000 }, async () => {
    const slow = await trainCase(digits, { kind: 'mlp', hidden: relu(2, 64) }, { optimizer: 'sgd', learningRate: 1e-5, batchSize: 32 }, 4);
    const f = only(slow.diagnostics!.findings, 'slow-training');
    expect(f, JSON.stringify(slow.diagnostics!.findings)).toBeDefined();
    expect(f).toMatchObject({ epochs: { from: 1, to: 4 }, layers: [], thresholds: { slowProgress: 0.5 }, rejects: false });
    expect(f!.figures.referenceLoss).toBeCloseTo(Math.log(10), 5);
    expect(f!.figures.progress).toBeLessThan(0.05);
    expect(f!.figures.lastLoss).toBeLessThan(f!.figures.firstLoss);
    expect(f!.summary).toMatch(/chance loss 2\.3/);

    const healthy = await trainCase(digits, { kind: 'mlp', hidden: relu(2, 64) }, { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 }, 4);
    expect(healthy.diagnostics!.findings).toEqual([]);
  });

  it('overfitting: a wide network on 60 rows trained long overfits; on the whole split it does not', { timeout: 180_000 }, async () => {
    const training = { optimizer: 'adam' as const, learningRate: 1e-2, batchSize: 16 };
    const out = await trainCase(tinyDigits, { kind: 'mlp', hidden: relu(2, 256) }, training, 10);
    const f = only(out.diagnostics!.findings, 'overfitting');
    expect(f, JSON.stringify(out.history.map((h) => [h.loss, h.val_loss]))).toBeDefined();
    expect(f!.thresholds).toEqual({ overfitRise: 0.2, overfitEpochs: 3 });
    expect(f!.figures.rise).toBeGreaterThanOrEqual(0.2);
    expect(f!.figures.lastTrainLoss).toBeLessThan(f!.figures.trainLossAtBest);
    expect(f!.epochs.to).toBe(10);
    expect(f!.epochs.to - f!.epochs.from).toBeGreaterThanOrEqual(3);
    expect(out.history[f!.epochs.from - 1].val_loss).toBe(Math.min(...out.history.map((h) => h.val_loss)));

    const healthy = await trainCase(digits, { kind: 'mlp', hidden: relu(2, 64) }, { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 }, 5);
    expect(only(healthy.diagnostics!.findings, 'overfitting')).toBeUndefined();
  });

  it('dead-units: Adam at a learning rate of 0.1 kills ReLU units; at 1e-3 it does not', { timeout: 120_000 }, async () => {
    const out = await trainCase(digits, { kind: 'mlp', hidden: relu(3, 64) }, { optimizer: 'adam', learningRate: 0.1, batchSize: 32 }, 2);
    const f = only(out.diagnostics!.findings, 'dead-units');
    expect(f).toBeDefined();
    expect(f!.thresholds).toEqual({ deadUnits: 0.5 });
    expect(f!.layers.length).toBeGreaterThan(0);
    const last = out.diagnostics!.epochs[out.diagnostics!.epochs.length - 1];
    for (const layer of f!.layers) {
      expect(f!.figures[layer]).toBe(last.layers.find((l) => l.layer === layer)!.dead);
      expect(f!.figures[layer]).toBeGreaterThanOrEqual(0.5);
    }
    const healthy = await trainCase(digits, { kind: 'mlp', hidden: relu(3, 64) }, { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 }, 2);
    expect(only(healthy.diagnostics!.findings, 'dead-units')).toBeUndefined();
  });

  it('saturation: tanh with unit-variance weights saturates; with Glorot weights it does not', { timeout: 120_000 }, async () => {
    const big = await trainCase(digits, { kind: 'mlp', hidden: layers(2, { units: 64, activation: 'tanh', initializer: 'randomNormal', initStddev: 1 }) }, { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 }, 2);
    const f = only(big.diagnostics!.findings, 'saturation');
    expect(f).toMatchObject({ layers: ['dense_1', 'dense_2'], thresholds: { saturation: 0.5 }, epochs: { from: 2, to: 2 } });
    expect(f!.summary).toMatch(/dense_1 \d+%, dense_2 \d+% of their activations within 2% of their bounds \(50% limit\)/);
    const glorot = await trainCase(digits, { kind: 'mlp', hidden: layers(2, { units: 64, activation: 'tanh', initializer: 'glorotUniform' }) }, { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 }, 2);
    expect(only(glorot.diagnostics!.findings, 'saturation')).toBeUndefined();
  });

  it('--reject-on overfitting stops an overfitting trial at the epoch it shows, as rejected by it', { timeout: 180_000 }, async () => {
    const training = { optimizer: 'adam' as const, learningRate: 1e-2, batchSize: 16 };
    const out = await trainCase(tinyDigits, { kind: 'mlp', hidden: relu(2, 256) }, training, 10, { reject: true, rejectOn: ['overfitting'] });
    expect(out.stoppedEarly).toBe('rejected');
    expect(out.epochsRun).toBeLessThan(10);
    expect(out.diagnostics!.rejectedBy).toBe('overfitting');
    const f = only(out.diagnostics!.findings, 'overfitting')!;
    expect(f.rejects).toBe(true);
    // It stopped at the first epoch the finding held: one epoch earlier it did not.
    expect(f.epochs.to).toBe(out.epochsRun);
    const before = findFindings({ history: out.history.slice(0, -1), epochs: [], verdict: { kind: 'healthy' }, settings: out.diagnostics!.settings, chanceLoss: Math.log(10) });
    expect(before.map((x) => x.kind)).not.toContain('overfitting');
  });
});

describe('findFindings (pure)', () => {
  const settings = resolveDiagnostics();
  const epoch = (e: number, loss: number, val: number): EpochRecord => ({ epoch: e, loss, val_loss: val, accuracy: 0.5, val_accuracy: 0.5, learningRate: 0.01 });

  it('turns an unhealthy verdict into the first finding, with the rule settings as thresholds', () => {
    const [f] = findFindings({
      history: [],
      epochs: [],
      settings,
      verdict: { kind: 'vanishing', evidence: { rule: 'vanishing-floor', statistic: 'kernel gradient norm', layer: 'dense_1', value: 2e-9, threshold: 1e-7, epoch: 1, step: 31, preflight: true } },
    });
    expect(f).toMatchObject({ kind: 'vanishing', layers: ['dense_1'], epochs: { from: 1, to: 1 }, thresholds: { vanishingFloor: 1e-7, sustain: 3 }, rejects: true });
    expect(f.summary).toBe('dense_1 |g|=2e-9 (1e-7 floor) at preflight, epoch 1 step 31');
  });

  it('does not call a flat or wandering loss slow, nor a trial that came far', () => {
    const slow = (losses: number[]) => findFindings({ history: losses.map((l, i) => epoch(i + 1, l, l)), epochs: [], verdict: { kind: 'healthy' }, settings, chanceLoss: Math.log(10) });
    expect(slow([2.3, 2.25, 2.2, 2.15, 2.1]).map((f) => f.kind)).toEqual(['slow-training']);
    expect(slow([2.3, 2.31, 2.29, 2.31, 2.3])).toEqual([]); // stuck, not slow
    expect(slow([0.9, 0.5, 0.3, 0.2, 0.15])).toEqual([]); // 93% of the way
    expect(slow([2.3, 2.2])).toEqual([]); // too short to show a trend
  });

  it('needs the rise to last overfitEpochs and the training loss to keep falling', () => {
    const over = (rows: [number, number][], s = settings) => findFindings({ history: rows.map(([l, v], i) => epoch(i + 1, l, v)), epochs: [], verdict: { kind: 'healthy' }, settings: s, chanceLoss: undefined });
    expect(over([[1, 1], [0.5, 0.6], [0.3, 0.65], [0.2, 0.7], [0.1, 0.8]]).map((f) => f.kind)).toEqual(['overfitting']);
    expect(over([[1, 1], [0.5, 0.6], [0.3, 0.65], [0.2, 0.8]])).toEqual([]); // only 2 epochs after the minimum
    expect(over([[1, 1], [0.5, 0.6], [0.6, 0.65], [0.7, 0.7], [0.8, 0.8]])).toEqual([]); // training loss rose too
    expect(over([[1, 1], [0.5, 0.6], [0.3, 0.62], [0.2, 0.64], [0.1, 0.66]])).toEqual([]); // 10% rise
    expect(over([[1, 1], [0.5, 0.6], [0.3, 0.62], [0.2, 0.64], [0.1, 0.66]], { ...settings, overfitRise: 0.05 }).map((f) => f.kind)).toEqual(['overfitting']);
  });

  it('reads dead and saturated units from the last whole epoch', () => {
    const stats = (dead: number, partial = false): EpochGradientStats => ({
      epoch: 3,
      globalGrad: 1,
      layers: [{ layer: 'dense_1', kernelGrad: 1, biasGrad: 1, weight: 1, updateRatio: 1e-3, dead }],
      ...(partial ? { partial: true } : {}),
    });
    const dead = (epochs: EpochGradientStats[], s = settings) => findFindings({ history: [], epochs, verdict: { kind: 'healthy' }, settings: s });
    expect(dead([stats(0.6)]).map((f) => [f.kind, f.figures.dense_1])).toEqual([['dead-units', 0.6]]);
    expect(dead([stats(0.4)])).toEqual([]);
    expect(dead([stats(0.6, true)])).toEqual([]); // a partial epoch has no probe
    expect(dead([stats(0.4)], { ...settings, deadUnits: 0.3 })).toHaveLength(1);
    expect(dead([stats(0.6)], { ...settings, rejectOn: ['dead-units'] })[0].rejects).toBe(true);
  });
});

describe('finding settings', () => {
  it('refuses thresholds out of range and unknown findings, naming the flag', () => {
    expect(() => resolveDiagnostics({ slowProgress: 0 })).toThrow(/--slow-progress/);
    expect(() => resolveDiagnostics({ deadUnits: 1.5 })).toThrow(/--dead-units/);
    expect(() => resolveDiagnostics({ saturation: Number.NaN })).toThrow(/--saturation/);
    expect(() => resolveDiagnostics({ overfitRise: -1 })).toThrow(/--overfit-rise/);
    expect(() => resolveDiagnostics({ overfitEpochs: 0 })).toThrow(/--overfit-epochs/);
    expect(() => resolveDiagnostics({ rejectOn: ['overfitting', 'boredom' as FindingKind] })).toThrow(/--reject-on .*slow-training, overfitting, dead-units, saturation/);
  });
});
