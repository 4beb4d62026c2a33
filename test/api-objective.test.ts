// A custom objective in code (Keras's custom metrics): computed on the validation rows
// after every epoch, in the process that runs the search, and used to rank and stop.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Tuner, GradtuneError } from '../src/index.js';
import { runCli, tempDir } from './helpers/cli.js';

/** Macro-averaged F1 over the classes, from class indices and probabilities. */
function macroF1(truth: number[], predicted: number[][]): number {
  const classes = predicted[0].length;
  const guess = predicted.map((p) => p.indexOf(Math.max(...p)));
  let sum = 0;
  for (let k = 0; k < classes; k++) {
    const tp = guess.filter((g, i) => g === k && truth[i] === k).length;
    const fp = guess.filter((g, i) => g === k && truth[i] !== k).length;
    const fn = guess.filter((g, i) => g !== k && truth[i] === k).length;
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return sum / classes;
}

describe('a custom objective', () => {
  it('is computed every epoch, recorded in the history, and ranks the trials', { timeout: 120_000 }, async () => {
    const storage = join(tempDir(), 'f1.db');
    const epochs: { trial: number; value: number }[] = [];
    let calls = 0;
    const objective = {
      name: 'val_f1',
      direction: 'max' as const,
      metric: (truth: number[], predicted: number[][]) => {
        calls++;
        expect(truth).toHaveLength(30); // iris: 30 validation rows
        expect(predicted[0]).toHaveLength(3);
        expect(predicted[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
        return macroF1(truth, predicted);
      },
    };
    const results = await new Tuner(
      { space: 'quick', data: 'iris', algorithm: 'random', maxTrials: 2, maxEpochs: 4, workers: 1, seed: 4, storage, objective },
      { onEpoch: (trial, record) => epochs.push({ trial: trial.number, value: record.val_f1! }) },
    ).search();
    expect(results.study.objective).toEqual({ metric: 'val_f1', direction: 'max' });
    for (const t of results.trials) {
      expect(t.status, t.error ?? '').toBe('completed');
      const values = t.history.map((h) => h.val_f1);
      expect(values.every((v) => typeof v === 'number' && v >= 0 && v <= 1)).toBe(true);
      expect(t.score).toBe(Math.max(...(values as number[])));
    }
    const totalEpochs = results.trials.reduce((n, t) => n + t.epochsRun, 0);
    expect(calls).toBe(totalEpochs);
    expect(epochs).toHaveLength(totalEpochs);
    expect(results.best!.score).toBe(Math.max(...results.trials.map((t) => t.score!)));

    // The CLI cannot continue it: the function lives in the user's code.
    const r = await runCli(['search', '--study', 'quick-iris', '--storage', storage], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/optimises "val_f1", an objective defined in code; continue it through the API/);
  });

  it('a metric that throws fails its trial with the message; a bad definition is refused up front', { timeout: 60_000 }, async () => {
    const storage = join(tempDir(), 'bad.db');
    const results = await new Tuner({
      space: 'quick', data: 'iris', algorithm: 'random', maxTrials: 1, maxEpochs: 2, workers: 1, storage, maxConsecutiveFailures: 5,
      objective: { name: 'val_broken', direction: 'max', metric: () => { throw new Error('my metric is broken'); } },
    }).search();
    expect(results.trials[0]).toMatchObject({ status: 'failed' });
    expect(results.trials[0].error).toMatch(/my metric is broken/);
    expect(() => new Tuner({ objective: { name: 'val_accuracy', direction: 'max', metric: () => 1 } })).toThrow(GradtuneError);
    expect(() => new Tuner({ objective: { name: 'val_f1', direction: 'up' as never, metric: () => 1 } })).toThrow(/direction must be "min" or "max"/);
    expect(() => new Tuner({ objective: { name: 'val_f1', direction: 'max', metric: () => 1 }, direction: 'min' })).toThrow(/contradicts/);
  });
});
