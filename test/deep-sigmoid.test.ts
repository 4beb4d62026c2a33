// The built-in deep-sigmoid space: it loads, its default configuration is a sound one,
// and a small search on it has the gradient monitor reject some trials (with the reading
// that decided it) while others complete.
import { describe, it, expect, beforeAll } from 'vitest';
import { join } from 'node:path';
import { BUILTIN_SPACES, loadSpace } from '../src/space/load.js';
import { buildConfig, type SearchSpace } from '../src/space/define.js';
import { defaultDecider, fixedDecider } from '../src/space/sample.js';
import { initBackend } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { train } from '../src/train/loop.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import { loadDataset } from '../src/data/load.js';
import { Tuner } from '../src/tuner.js';
import { tempDir } from './helpers/cli.js';

let space: SearchSpace;

beforeAll(async () => {
  space = await loadSpace({ builtin: 'deep-sigmoid' });
});

describe('deep-sigmoid space', () => {
  it('is a built-in space', () => {
    expect(BUILTIN_SPACES).toContain('deep-sigmoid');
    expect(space.name).toBe('deep-sigmoid');
    expect(space.description).toMatch(/sigmoid/);
  });

  it('declares init_stddev only for randomNormal and clip_norm only when clipping', () => {
    const he = buildConfig(space, fixedDecider({ initializer: 'heNormal', stabilizer: 'none' }));
    expect('init_stddev' in he.params).toBe(false);
    expect('clip_norm' in he.params).toBe(false);
    expect(he.config.training.clip).toEqual({ kind: 'none' });

    const bad = buildConfig(space, fixedDecider({ initializer: 'randomNormal', init_stddev: 0.01, stabilizer: 'clipNorm', clip_norm: 2 }));
    expect(bad.params.init_stddev).toBe(0.01);
    expect(bad.config.training.clip).toEqual({ kind: 'norm', value: 2 });
    if (bad.config.model.kind !== 'mlp') throw new Error('expected an mlp');
    expect(bad.config.model.hidden[0]).toMatchObject({ initializer: 'randomNormal', initStddev: 0.01, batchNorm: false });
    // Its own, tighter update-ratio floor (see the space for why); the run's flags come over it.
    expect(resolveDiagnostics(bad.config.diagnostics).updateRatioFloor).toBe(1e-5);
  });

  it('defaults to a sound configuration: ReLU, He, SGD at 0.1, which trains and is judged healthy', async () => {
    const { config, params } = buildConfig(space, defaultDecider());
    expect(params).toMatchObject({ activation: 'relu', initializer: 'heNormal', stabilizer: 'none', optimizer: 'sgd', learning_rate: 0.1 });
    await initBackend('auto');
    const digits = loadDataset({ builtin: 'digits', valSplit: 0.2, seed: 1 });
    const model = buildModel(config, { inputDim: digits.nFeatures, outputUnits: digits.nOutputs, task: 'classification', seed: 3 });
    try {
      const out = await train({
        model,
        dataset: digits,
        training: config.training,
        objective: { metric: 'val_accuracy', direction: 'max' },
        maxEpochs: 1,
        seed: 3,
        diagnostics: resolveDiagnostics(config.diagnostics),
      });
      expect(out.diagnostics!.verdict).toEqual({ kind: 'healthy' });
      expect(out.epochsRun).toBe(1);
      expect(out.score).toBeGreaterThan(0.5); // one epoch; chance is 0.1
    } finally {
      model.dispose();
    }
  });

  it('a small search rejects vanishing and exploding trials early and completes the others', { timeout: 120_000 }, async () => {
    // Seed 5 draws, among its first 6 trials, a 9-layer tanh stack with randomNormal(0.01)
    // weights (vanishing) and an 8-layer ReLU network under momentum SGD at 1.6 (exploding).
    const storage = join(tempDir(), 's.db');
    const results = await new Tuner({ space: 'deep-sigmoid', data: 'digits', maxTrials: 6, workers: 1, seed: 5, maxEpochs: 3, storage }).search();

    const rejected = results.trials.filter((t) => t.status === 'rejected');
    const completed = results.trials.filter((t) => t.status === 'completed');
    expect(results.trials).toHaveLength(6);
    expect(completed.length).toBeGreaterThanOrEqual(1);
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected.length + completed.length).toBe(6);

    expect(new Set(rejected.map((t) => t.diagnostics?.verdict.kind))).toEqual(new Set(['vanishing', 'exploding']));
    for (const t of rejected) {
      const verdict = t.diagnostics!.verdict;
      expect(['vanishing', 'exploding']).toContain(verdict.kind);
      // The reading that decided it: which statistic, where, when.
      expect(verdict.evidence).toMatchObject({ statistic: expect.any(String), epoch: expect.any(Number), step: expect.any(Number) });
      expect(t.plannedEpochs).not.toBeNull();
      expect(t.plannedEpochs!).toBeGreaterThan(t.epochsRun);
    }
    for (const t of completed) expect(t.diagnostics!.verdict.kind).toBe('healthy');

    expect(results.rejection.rejected).toBe(rejected.length);
    expect(results.rejection.vanishing + results.rejection.exploding).toBe(rejected.length);
    expect(results.rejection.epochsSaved).toBe(rejected.reduce((sum, t) => sum + t.plannedEpochs! - t.epochsRun, 0));
    expect(results.best?.status).toBe('completed');
  });
});
