// Less noise per decision: several executions per trial (Keras Tuner's
// executions_per_trial) and k-fold cross-validation, scored by their mean.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Tuner, loadDataset } from '../src/index.js';
import { foldDataset, foldOf } from '../src/data/folds.js';
import { runCli, runOk, tempDir } from './helpers/cli.js';

describe('several runs per trial', () => {
  it('executionsPerTrial: the score is the mean of the runs, the spread their standard deviation, the history the best run', { timeout: 180_000 }, async () => {
    const storage = join(tempDir(), 'e.db');
    const results = await new Tuner({ space: 'quick', data: 'iris', algorithm: 'random', maxTrials: 2, maxEpochs: 4, workers: 2, seed: 2, storage, executionsPerTrial: 3 }).search();
    expect(results.study.settings.executionsPerTrial).toBe(3);
    for (const t of results.trials) {
      expect(t.status, t.error ?? '').toBe('completed');
      expect(t.runs).toHaveLength(3);
      const scores = t.runs!.map((r) => r.score!);
      expect(new Set(t.runs!.map((r) => r.seed)).size).toBe(3);
      const mean = scores.reduce((a, b) => a + b, 0) / 3;
      expect(t.score).toBeCloseTo(mean, 12);
      expect(t.scoreStd).toBeCloseTo(Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / 3), 12);
      const best = t.runs!.reduce((a, b) => (b.score! > a.score! ? b : a));
      expect(t.bestEpoch).toBe(best.bestEpoch);
      expect(Math.max(...t.history.map((h) => h.val_accuracy!))).toBe(best.score);
    }
  });

  it('--folds: one run per fold, validated on that fold of the training rows; the same folds everywhere', { timeout: 180_000 }, async () => {
    const cwd = tempDir();
    await runOk(['search', '--space', 'quick', '--dataset', 'iris', '--algo', 'random', '--max-trials', '2', '--max-epochs', '3', '--workers', '1', '--folds', '3', '--seed', '4'], { cwd });
    const json = JSON.parse((await runOk(['report', '--study', 'quick-iris', '--format', 'json'], { cwd })).stdout);
    const trials = json.trials as { runs: { fold: number; score: number }[]; score: number }[];
    for (const t of trials) {
      expect(t.runs.map((r) => r.fold)).toEqual([0, 1, 2]);
      expect(t.score).toBeCloseTo(t.runs.reduce((a, r) => a + r.score, 0) / 3, 12);
    }
    // Folds: a partition of the 120 training rows, stratified (40 rows each, about 13 per class).
    const ds = loadDataset({ builtin: 'iris', valSplit: 0.2, seed: 4 });
    const folds = foldOf(ds, 3, 4);
    const sizes = [0, 1, 2].map((f) => foldDataset(ds, folds, f).nVal);
    expect(sizes).toEqual([40, 40, 40]);
    expect(Array.from(foldOf(ds, 3, 4))).toEqual(Array.from(folds));
    // Resuming with another number of folds is refused; too many folds for the rows is one line.
    const r = await runCli(['search', '--study', 'quick-iris', '--folds', '5'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/created with --folds 3, not 5/);
    const tooMany = await runCli(['search', '--space', 'quick', '--dataset', 'iris', '--study', 'x', '--folds', '80'], { cwd });
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/--folds 80 needs at least 160 training rows/);
  });
});
