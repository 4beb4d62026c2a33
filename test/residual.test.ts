// Residual connections in gradtune's MLPs: skips around every hidden layer after the
// first, projected where widths differ, and what they are for: the first layer of a deep
// sigmoid stack with tiny weights gets a gradient again.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { train } from '../src/train/loop.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import { loadDataset } from '../src/data/load.js';
import { loadSpace } from '../src/space/load.js';
import { buildConfig } from '../src/space/define.js';
import { fixedDecider } from '../src/space/sample.js';
import type { Dataset } from '../src/data/types.js';
import type { HiddenLayer, MlpModel } from '../src/space/types.js';

let digits: Dataset;
const shapes = { inputDim: 64, outputUnits: 10, task: 'classification' as const, seed: 5 };

beforeAll(async () => {
  await initBackend('auto');
  digits = loadDataset({ builtin: 'digits', valSplit: 0.2, seed: 1 });
});

const layer = (units: number, over: Partial<HiddenLayer> = {}): HiddenLayer => ({ units, activation: 'relu', initializer: 'heNormal', ...over });

describe('residual MLP', () => {
  it('adds a skip around every hidden layer after the first, projecting only where the width changes', () => {
    const model = buildModel({ model: { kind: 'mlp', residual: true, hidden: [layer(32), layer(32), layer(64, { batchNorm: true, dropout: 0.1 })] }, training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 } }, shapes);
    try {
      const names = model.layers.map((l) => l.name);
      expect(names.filter((n) => n.startsWith('residual_'))).toEqual(['residual_2', 'residual_projection_3', 'residual_3']);
      const projection = model.getLayer('residual_projection_3');
      expect(projection.getConfig()).toMatchObject({ units: 64, useBias: false });
      expect(model.outputs[0].shape).toEqual([null, 10]);
    } finally {
      model.dispose();
    }
    const plain = buildModel({ model: { kind: 'mlp', hidden: [layer(32), layer(32)] }, training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 } }, shapes);
    try {
      expect(plain.layers.some((l) => l.name.startsWith('residual'))).toBe(false);
    } finally {
      plain.dispose();
    }
  });

  it('gives the first layer of a deep sigmoid stack with tiny weights a gradient: not vanishing any more', { timeout: 120_000 }, async () => {
    const stack = (residual: boolean): MlpModel => ({ kind: 'mlp', residual, hidden: Array.from({ length: 8 }, () => layer(32, { activation: 'sigmoid', initializer: 'randomNormal', initStddev: 0.01 })) });
    const ratio = async (residual: boolean) => {
      const training = { optimizer: 'sgd' as const, learningRate: 0.1, batchSize: 32 };
      const model = buildModel({ model: stack(residual), training }, shapes);
      try {
        const out = await train({ model, dataset: digits, training, objective: { metric: 'val_accuracy', direction: 'max' }, maxEpochs: 1, seed: 5, diagnostics: resolveDiagnostics({ reject: false }) });
        const [first] = out.diagnostics!.epochs[0].layers;
        const logits = out.diagnostics!.epochs[0].layers.find((l) => l.layer === 'logits')!;
        return { ratio: first.kernelGrad / logits.kernelGrad, verdict: out.diagnostics!.verdict.kind };
      } finally {
        model.dispose();
      }
    };
    const without = await ratio(false);
    const withSkips = await ratio(true);
    expect(without.verdict).toBe('vanishing');
    expect(without.ratio).toBeLessThan(1e-5);
    expect(withSkips.verdict).toBe('healthy');
    expect(withSkips.ratio).toBeGreaterThan(1e3 * without.ratio);
  });

  it('is offered by the mlp space (with two layers or more) and by deep-sigmoid', async () => {
    const mlp = await loadSpace({ builtin: 'mlp' });
    const one = buildConfig(mlp, fixedDecider({ layers: 1 }));
    expect('residual' in one.params).toBe(false);
    const three = buildConfig(mlp, fixedDecider({ layers: 3, residual: true }));
    expect(three.params.residual).toBe(true);
    expect((three.config.model as MlpModel).residual).toBe(true);
    const deep = await loadSpace({ builtin: 'deep-sigmoid' });
    expect((buildConfig(deep, fixedDecider({ residual: true })).config.model as MlpModel).residual).toBe(true);
    expect(buildConfig(deep, fixedDecider({})).params.residual).toBe(false);
  });
});
