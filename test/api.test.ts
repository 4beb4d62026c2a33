// The programmatic API, as a user imports it: a Tuner searches and hands back the study,
// its trials, the best one and why it stopped.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tuner, defineSearchSpace, GradtuneError, type TrialRecord } from '../src/index.js';
import { tempDir } from './helpers/cli.js';

describe('Tuner', () => {
  it('searches iris with the quick space and returns study, trials, best and stop reason', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const storage = join(dir, 's.db');
    const ended: TrialRecord[] = [];
    let started: { total: number; existing: number; workers: number; resumed: boolean } | undefined;
    const tuner = new Tuner(
      { space: 'quick', data: 'iris', maxTrials: 3, workers: 1, seed: 3, storage },
      {
        onStart: ({ total, existing, workers, resumed }) => (started = { total, existing, workers, resumed }),
        onTrialEnd: (trial) => ended.push(trial),
      },
    );
    const results = await tuner.search();

    expect(Object.keys(results)).toEqual(expect.arrayContaining(['study', 'trials', 'best', 'stopReason']));
    expect(results.study).toMatchObject({ name: 'quick-iris', space: 'quick', datasetName: 'iris', seed: 3, objective: { metric: 'val_accuracy', direction: 'max' } });
    expect(results.trials.map((t) => t.number)).toEqual([0, 1, 2]);
    for (const t of results.trials) {
      expect(t.status, t.error ?? '').toBe('completed');
      expect(t.history).toHaveLength(t.epochsRun);
    }
    expect(results.best).toBeDefined();
    expect(results.best!.score).toBe(Math.max(...results.trials.map((t) => t.score!)));
    expect(results.stopReason).toMatch(/max-trials/);
    expect(results.storage).toBe(storage);
    expect(existsSync(storage)).toBe(true);

    expect(started).toEqual({ total: 3, existing: 0, workers: 1, resumed: false });
    expect(ended.map((t) => t.number).sort()).toEqual([0, 1, 2]);
  });

  it("reports each worker's memory after a trial: its tensor count is back to the same baseline every time", { timeout: 60_000 }, async () => {
    const storage = join(tempDir(), 's.db');
    const after: { thread: number; tensors: number }[] = [];
    // Hyperband too: promoted trials load and dispose a checkpoint and optimizer state.
    await new Tuner(
      { space: 'quick', data: 'iris', algorithm: 'hyperband', maxEpochs: 3, factor: 3, workers: 2, seed: 5, storage },
      { onTrialEnd: (_t, { worker }) => worker && after.push({ thread: worker.threadId, tensors: worker.tensors }) },
    ).search();
    expect(after.length).toBeGreaterThan(4);
    for (const thread of new Set(after.map((a) => a.thread))) {
      const counts = after.filter((a) => a.thread === thread).map((a) => a.tensors);
      expect(new Set(counts), `tensors after each trial on thread ${thread}: ${counts}`).toEqual(new Set([counts[0]]));
    }
  });

  it('rejects invalid options when constructed, before anything is written', () => {
    expect(() => new Tuner({ workers: 0 })).toThrow(GradtuneError);
    expect(() => new Tuner({ space: 'nope' })).toThrow(/unknown search space "nope"/);
    expect(() => new Tuner({ data: 'iris', valSplit: 1 })).toThrow(/--val-split/);
  });
});

describe('defineSearchSpace', () => {
  it('checks the definition up front', () => {
    const space = defineSearchSpace({
      name: 'tiny',
      description: 'one layer',
      build: (hp) => ({
        model: { kind: 'mlp', hidden: [{ units: hp.int('units', 4, 8), activation: 'relu', initializer: 'glorotUniform' }] },
        training: { optimizer: 'adam', learningRate: 0.01, batchSize: 16 },
      }),
    });
    expect(space.name).toBe('tiny');
    expect(space.configFor({ units: 6 }).model).toMatchObject({ kind: 'mlp', hidden: [{ units: 6 }] });
    expect(() => defineSearchSpace({ name: '', description: 'x', build: space.build })).toThrow(GradtuneError);
  });
});

describe('Tuner and dying workers', () => {
  it('marks the trial of a worker that dies as failed and goes on with a fresh worker', { timeout: 150_000 }, async () => {
    const dir = tempDir();
    const space = fileURLToPath(new URL('./fixtures/crashing-space.ts', import.meta.url));
    const results = await new Tuner({ space, data: 'iris', maxTrials: 6, workers: 1, seed: 5, storage: join(dir, 'c.db') }).search();
    expect(results.trials).toHaveLength(6);
    const crashed = results.trials.filter((t) => t.params.crash === true);
    const healthy = results.trials.filter((t) => t.params.crash === false);
    expect(crashed.length).toBeGreaterThan(0);
    expect(healthy.length).toBeGreaterThan(0);
    for (const t of crashed) {
      expect(t.status).toBe('failed');
      expect(t.error).toMatch(/worker died/);
    }
    for (const t of healthy) expect(t.status, t.error ?? '').toBe('completed');
  });
});

describe('Tuner and checkpoints', () => {
  it("keeps each completed trial's best-epoch weights in the store, loadable into its model", { timeout: 60_000 }, async () => {
    const { openSqliteStore, loadSpace, loadDataset } = await import('../src/index.js');
    const { buildModel } = await import('../src/train/model.js');
    const { loadCheckpoint } = await import('../src/train/checkpoint.js');
    const { initBackend } = await import('../src/train/backend.js');
    const dir = tempDir();
    const storage = join(dir, 'k.db');
    const results = await new Tuner({ space: 'quick', data: 'iris', maxTrials: 2, workers: 1, seed: 11, storage }).search();
    const best = results.best!;
    const store = await openSqliteStore(storage);
    const bytes = await store.checkpoint(results.study.id, best.number);
    await store.close();
    expect(bytes).toBeInstanceOf(Uint8Array);
    await initBackend('auto');
    const space = await loadSpace({ builtin: 'quick' });
    const ds = loadDataset(results.study.data);
    const model = buildModel(space.configFor(best.params), { inputDim: ds.nFeatures, outputUnits: ds.nOutputs, task: ds.task, seed: 0 });
    await loadCheckpoint(model, bytes!);
    // The stored weights reproduce the trial's best val_accuracy on the study's validation split.
    const { tf } = await import('../src/train/backend.js');
    const accuracy = tf.tidy(() => {
      const p = model.predict(tf.tensor2d(ds.xVal, [ds.nVal, ds.nFeatures])) as ReturnType<typeof tf.tensor2d>;
      const y = tf.tensor2d(ds.yVal, [ds.nVal, ds.nOutputs]);
      return tf.mean(tf.cast(tf.equal(tf.argMax(p, 1), tf.argMax(y, 1)), 'float32')).dataSync()[0];
    });
    model.dispose();
    expect(accuracy).toBeCloseTo(best.score!, 5);
  });
});
