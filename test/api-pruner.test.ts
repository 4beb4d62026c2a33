// A pruner of the user's own, through the API: asked after every epoch with the study's
// per-epoch values, its reason is recorded; the study remembers it by name, and a run
// that continues the study must give it again.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GradtuneError, Tuner, type PruneContext, type Pruner } from '../src/index.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { tempDir } from './helpers/cli.js';

describe('new Tuner({ pruner })', () => {
  it("asks the user's pruner after every epoch, records its reason, and keeps the pruned trial's history and checkpoint", { timeout: 180_000 }, async () => {
    const storage = join(tempDir(), 'p.db');
    const asked: Array<{ trial: number; epoch: number; own: number[]; reached: number }> = [];
    const floor: Pruner = {
      name: 'second-epoch-floor',
      prune(ctx: PruneContext) {
        const own = [...ctx.values.trial(ctx.trial.number).entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
        asked.push({ trial: ctx.trial.number, epoch: ctx.epoch, own, reached: ctx.values.reached(ctx.epoch).length });
        // Odd trials stop after their second epoch, saying so.
        return ctx.trial.number % 2 === 1 && ctx.epoch === 2 ? `odd trial ${ctx.trial.number} stops at epoch 2` : false;
      },
    };
    const events: Array<[number, number]> = [];
    const results = await new Tuner(
      { space: 'quick', data: 'iris', algorithm: 'random', maxTrials: 4, maxEpochs: 4, workers: 1, seed: 5, storage, pruner: floor },
      { onEpoch: (trial, record) => events.push([trial.number, record.epoch]) },
    ).search();
    const byNumber = new Map(results.trials.map((t) => [t.number, t]));
    for (const n of [1, 3]) {
      expect(byNumber.get(n)).toMatchObject({ status: 'pruned', epochsRun: 2, pruned: { epoch: 2, rule: `odd trial ${n} stops at epoch 2` }, hasCheckpoint: true });
      expect(byNumber.get(n)!.history.map((h) => h.epoch)).toEqual([1, 2]);
    }
    for (const n of [0, 2]) expect(byNumber.get(n)!.status).not.toBe('pruned');
    // Asked once per epoch, with the trial's own values so far, stored before it is asked.
    expect(asked.length).toBe(results.trials.reduce((sum, t) => sum + t.epochsRun, 0));
    expect(events).toEqual(asked.map((a) => [a.trial, a.epoch]));
    for (const a of asked) {
      const t = byNumber.get(a.trial)!;
      expect(a.own).toEqual(t.history.slice(0, a.epoch).map((h) => h.val_accuracy));
      expect(a.reached).toBeGreaterThanOrEqual(1);
    }
    const store = await openSqliteStore(storage);
    try {
      const study = (await store.getStudy(results.study.name))!;
      expect(study.settings.pruner).toEqual({ name: 'second-epoch-floor', custom: true });
      expect(await store.checkpoint(study.id, 1)).not.toBeNull();
    } finally {
      await store.close();
    }

    // Continuing without the pruner is refused; with it, the search goes on.
    const continued = new Tuner({ study: results.study.name, storage, maxTrials: 5, workers: 1 });
    await expect(continued.search()).rejects.toThrow(GradtuneError);
    await expect(new Tuner({ study: results.study.name, storage, maxTrials: 5, workers: 1 }).search()).rejects.toThrow(/prunes with "second-epoch-floor", a pruner defined in code; continue it through the API with the same pruner/);
    await expect(new Tuner({ study: results.study.name, storage, maxTrials: 5, workers: 1, pruner: 'median' }).search()).rejects.toThrow(/created with --pruner second-epoch-floor, not median/);
    const more = await new Tuner({ study: results.study.name, storage, maxTrials: 5, workers: 1, pruner: floor }).search();
    expect(more.trials).toHaveLength(5);
  });

  it('a pruner that throws fails the trial with its message, and the search goes on', { timeout: 120_000 }, async () => {
    const storage = join(tempDir(), 'throw.db');
    const broken: Pruner = {
      name: 'broken',
      prune: ({ trial }) => {
        if (trial.number === 0) throw new Error('my pruner has a bug');
        return false;
      },
    };
    const results = await new Tuner({ space: 'quick', data: 'iris', algorithm: 'random', maxTrials: 2, maxEpochs: 2, workers: 1, seed: 5, storage, pruner: broken }).search();
    expect(results.trials[0]).toMatchObject({ status: 'failed' });
    expect(results.trials[0].error).toContain('my pruner has a bug');
    expect(results.trials[1].status).toBe('completed');
  });
});
