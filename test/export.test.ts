// Export and predict through the API: exportTrials writes the tfjs Layers files and their
// preprocessing, loadExported reads them back, and — the fidelity test — predicting the
// study's own validation split with the exported model gives back each trial's
// leaderboard score.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { Tuner, exportTrials, fileIO, loadExported, GradtuneError, openSqliteStore, loadDataset, type SearchResults, type ClassPrediction, type ValuePrediction } from '../src/index.js';
import { tf } from '../src/train/backend.js';
import type { DataSource } from '../src/data/types.js';
import { fixture } from './helpers/cli.js';
import { float32String, predictionsCsv } from '../src/export/predict.js';
import { validationSplit } from './helpers/validation-split.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'gradtune-export-'));
});
afterAll(() => {
  if (!process.env.GRADTUNE_KEEP_TMP) rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** A fresh directory under this file's temp root. */
function dir(name: string): string {
  return join(root, `${name}-${n++}`);
}

function search(opts: ConstructorParameters<typeof Tuner>[0]): Promise<SearchResults> {
  return new Tuner({ workers: 2, seed: 7, maxEpochs: 3, ...opts, storage: join(root, 'studies.db') }).search();
}

/** Accuracy of the predicted labels on the study's validation rows, recomputed by predict. */
async function validationAccuracy(modelDir: string, data: DataSource): Promise<number> {
  const split = validationSplit(data);
  const exported = await loadExported(modelDir);
  try {
    const predictions = exported.predict({ columns: split.header, rows: split.rows }) as ClassPrediction[];
    return predictions.filter((p, i) => p.label === split.targets[i]).length / predictions.length;
  } finally {
    exported.dispose();
  }
}

describe('float32String', () => {
  it('writes the shortest decimal that reads back as the same float32', () => {
    expect(float32String(Math.fround(0.1))).toBe('0.1');
    expect(float32String(Math.fround(1 / 3))).toBe('0.33333334');
    expect(float32String(Math.fround(8.882254292075231e-7))).toBe('8.8822543e-7');
    expect(float32String(1)).toBe('1');
    expect(float32String(Number.NaN)).toBe('NaN');
    for (const x of [Math.fround(Math.PI), Math.fround(-2.5e-12), Math.fround(123456.789)]) expect(Math.fround(Number(float32String(x)))).toBe(x);
  });
});

describe('exportTrials and loadExported on iris', () => {
  let results: SearchResults;
  beforeAll(async () => {
    results = await search({ space: 'quick', data: 'iris', study: 'iris-export', maxTrials: 3 });
  }, 60_000);

  it('writes the best trial as model.json + weights.bin with preprocessing, hyperparameters and metrics', async () => {
    const out = dir('best');
    const exported = await exportTrials({ study: 'iris-export', out, storage: join(root, 'studies.db') });
    const best = results.best!;
    expect(exported).toEqual([{ trial: best.number, score: best.score, metric: 'val_accuracy', dir: join(out, `trial-${best.number}`), retrained: false }]);
    const trialDir = exported[0].dir;
    expect(readdirSync(trialDir).sort()).toEqual(['hyperparameters.json', 'metrics.json', 'model.json', 'preprocessing.json', 'weights.bin']);

    const modelJson = JSON.parse(readFileSync(join(trialDir, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: expect.any(Array) }]);
    const bytes = modelJson.weightsManifest[0].weights.reduce((sum: number, w: { shape: number[] }) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    expect(readFileSync(join(trialDir, 'weights.bin')).byteLength).toBe(bytes);

    const ds = loadDataset(results.study.data);
    expect(JSON.parse(readFileSync(join(trialDir, 'preprocessing.json'), 'utf8'))).toEqual({
      format: 'gradtune-preprocessing-2',
      task: 'classification',
      columns: ds.columns,
      missing: 'impute',
      features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
      scaling: { mean: ds.scaling.mean, std: ds.scaling.std, fittedOn: 'train', rows: 120 },
      target: 'species',
      classes: ['setosa', 'versicolor', 'virginica'],
      passthrough: [],
    });
    expect(JSON.parse(readFileSync(join(trialDir, 'hyperparameters.json'), 'utf8'))).toEqual(best.params);
    const metrics = JSON.parse(readFileSync(join(trialDir, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({
      study: 'iris-export',
      trial: best.number,
      objective: { metric: 'val_accuracy', direction: 'max' },
      score: best.score,
      bestEpoch: best.bestEpoch,
      history: best.history,
      gradients: { summary: 'healthy', verdict: { kind: 'healthy' } },
      weights: 'checkpoint',
      retrained: null,
    });
  });

  it('loads with plain tf.loadLayersModel through fileIO, and outputs probabilities', async () => {
    const [e] = await exportTrials({ study: 'iris-export', out: dir('plain'), storage: join(root, 'studies.db') });
    const model = await tf.loadLayersModel(fileIO(join(e.dir, 'model.json')));
    const sums = tf.tidy(() => tf.sum(model.predict(tf.randomNormal([5, 4], 0, 1, 'float32', 1)) as ReturnType<typeof tf.randomNormal>, 1).arraySync() as number[]);
    model.dispose();
    for (const s of sums) expect(s).toBeCloseTo(1, 5);
  });

  it("reproduces every trial's leaderboard score on the study's validation split (fidelity)", async () => {
    const out = dir('top');
    const exported = await exportTrials({ study: 'iris-export', top: 3, out, storage: join(root, 'studies.db') });
    expect(exported.map((e) => e.trial)).toEqual(
      [...results.trials].sort((a, b) => b.score! - a.score! || a.number - b.number).map((t) => t.number),
    );
    for (const e of exported) expect(await validationAccuracy(e.dir, results.study.data)).toBe(e.score);

    // And the rows enter the model exactly as the search fed them: the same float32 bits.
    const m = await loadExported(exported[0].dir);
    const split = validationSplit(results.study.data);
    const x = m.preprocess({ columns: split.header, rows: split.rows });
    expect(Array.from(x.dataSync())).toEqual(Array.from(loadDataset(results.study.data).xVal));
    x.dispose();
    m.dispose();
  });

  it('predicts records by column name, in any order, numbers or numeric strings, and names what is wrong', async () => {
    const [e] = await exportTrials({ study: 'iris-export', out: dir('records'), storage: join(root, 'studies.db') });
    const m = await loadExported(e.dir);
    try {
      expect(m.hyperparameters).toEqual(results.best!.params);
      expect(m.metrics?.score).toBe(results.best!.score);
      const row = { petal_width: 0.2, sepal_length: 5.1, petal_length: 1.4, sepal_width: 3.5, id: 'x17' };
      const [p] = m.predict([row]) as ClassPrediction[];
      expect(Object.keys(p.probabilities)).toEqual(['setosa', 'versicolor', 'virginica']);
      expect(p.label).toBe(Object.entries(p.probabilities).sort((a, b) => b[1] - a[1])[0][0]);
      const [q] = m.predict([{ sepal_length: '5.1', sepal_width: '3.5', petal_length: '1.4', petal_width: '0.2' }]) as ClassPrediction[];
      expect(q).toEqual(p);
      const table = m.predict({ columns: ['petal_length', 'x', 'sepal_length', 'petal_width', 'sepal_width'], rows: [[1.4, 'ignored', 5.1, 0.2, 3.5]] });
      expect(table).toEqual([p]);

      const error = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          expect(err).toBeInstanceOf(GradtuneError);
          return (err as Error).message;
        }
        throw new Error('expected a GradtuneError');
      };
      expect(error(() => m.predict([row, { sepal_length: 5 }]))).toMatch(/^input row 2 lacks the feature columns "sepal_width", "petal_length", "petal_width"; the model reads 4 columns/);
      expect(error(() => m.predict([{ ...row, petal_width: 'wide' }]))).toBe('input row 1: column "petal_width" has non-numeric value "wide"; the model reads this column as numbers');
      expect(error(() => m.predict([{ ...row, sepal_width: Number.NaN }]))).toMatch(/row 1: column "sepal_width" is NaN/);
      expect(error(() => m.predict({ columns: ['sepal_length', 'petal_width'], rows: [] }))).toMatch(/lacks the feature columns "sepal_width", "petal_length"/);
    } finally {
      m.dispose();
    }
  });

  it('--retrain trains the configuration again on all 150 rows, for the epochs its best score needed', async () => {
    const best = results.best!;
    const [e] = await exportTrials({ study: 'iris-export', out: dir('retrain'), retrain: true, storage: join(root, 'studies.db') });
    expect(e.retrained).toBe(true);
    const m = await loadExported(e.dir);
    try {
      expect(m.preprocessing.scaling).toMatchObject({ fittedOn: 'train+validation', rows: 150 });
      // Standardised with every row's mean now, not the training split's.
      const all = readFileSync(fixtureIris(), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
      expect(m.preprocessing.scaling.mean[0]).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 10);
      expect(m.metrics).toMatchObject({ weights: 'retrained', score: best.score, retrained: { rows: 150, epochs: best.bestEpoch } });
      expect(m.metrics!.retrained!.history.map((h) => h.epoch)).toEqual(Array.from({ length: best.bestEpoch! }, (_, i) => i + 1));
      // Trained on every row, it should fit the validation rows at least roughly.
      expect(await validationAccuracy(e.dir, results.study.data)).toBeGreaterThan(0.5);
    } finally {
      m.dispose();
    }
  });
});

function fixtureIris(): string {
  return join(import.meta.dirname, '..', 'datasets', 'iris.csv');
}

describe('export of other kinds of studies', () => {
  it('a regression study: predict recomputes the val_loss (MSE) of the leaderboard', async () => {
    // y = 3a - 2b + 0.5 + noise: learnable, far from perfect in 3 epochs.
    const rng = seedrandom('reg');
    const csvPath = join(root, 'reg.csv');
    const lines = ['a,b,note,y'];
    for (let i = 0; i < 200; i++) {
      const a = rng() * 4 - 2;
      const b = rng() * 2;
      lines.push(`${a.toFixed(4)},${b.toFixed(4)},${i},${(3 * a - 2 * b + 0.5 + (rng() - 0.5) * 0.2).toFixed(4)}`);
    }
    writeFileSync(csvPath, lines.join('\n') + '\n');
    const results = await search({ space: 'quick', data: csvPath, target: 'y', study: 'reg-export', maxTrials: 2 });
    expect(results.study.objective).toEqual({ metric: 'val_loss', direction: 'min' });
    const exported = await exportTrials({ study: 'reg-export', top: 2, out: dir('reg'), storage: join(root, 'studies.db') });
    const split = validationSplit(results.study.data);
    for (const e of exported) {
      const m = await loadExported(e.dir);
      expect(m.preprocessing).toMatchObject({ task: 'regression', target: 'y', features: ['a', 'b', 'note'] });
      const predictions = m.predict({ columns: split.header, rows: split.rows }) as ValuePrediction[];
      const mse = predictions.reduce((s, p, i) => s + (p.value - Number(split.targets[i])) ** 2, 0) / predictions.length;
      // The CSV gradtune predict writes: the target's name, then each value, to the model's precision
      // (half a float32 step of the standardised output, in the target's units).
      const csv = predictionsCsv(m.preprocessing, predictions).trim().split('\n');
      expect(csv[0]).toBe('y');
      const std = m.preprocessing.targetScaling!.std;
      csv.slice(1).forEach((v, i) => expect(Math.abs(Number(v) - predictions[i].value)).toBeLessThanOrEqual(std * 2 ** -24 * Math.max(1, Math.abs((predictions[i].value - m.preprocessing.targetScaling!.mean) / std))));
      // The search averaged in float32 on the backend, here in float64: equal to ~7 digits.
      expect(Math.abs(mse - e.score) / e.score).toBeLessThan(1e-5);
      m.dispose();
    }
  });

  it('a custom tfjs model from a space module', async () => {
    const results = await search({ space: fixture('custom-space.ts'), data: 'iris', study: 'custom-export', maxTrials: 1 });
    const [e] = await exportTrials({ study: 'custom-export', out: dir('custom'), storage: join(root, 'studies.db') });
    const topology = JSON.parse(readFileSync(join(e.dir, 'model.json'), 'utf8')).modelTopology;
    expect(topology.class_name).toBe('Sequential');
    expect(await validationAccuracy(e.dir, results.study.data)).toBe(results.best!.score);
  });

  it('a Hyperband study under --keep-checkpoints 1: promotions still run, the promoted trial exports faithfully, the rest are dropped', async () => {
    const storage = join(root, 'studies.db');
    const results = await search({ space: 'quick', data: 'iris', study: 'hb-export', algorithm: 'hyperband', keepCheckpoints: 1 });
    // --max-epochs 3, factor 3: 6 trials, one of them a promotion.
    expect(results.trials).toHaveLength(6);
    expect(results.trials.every((t) => t.status === 'completed')).toBe(true);
    const promoted = results.trials.find((t) => t.parent !== null)!;
    expect(promoted).toBeDefined();
    const store = await openSqliteStore(storage);
    const kept = await store.checkpointNumbers(results.study.id);
    await store.close();
    expect(kept).toEqual([results.best!.number]);

    // Export the best; and, if the promotion is not the best, show it is gone.
    const [e] = await exportTrials({ study: 'hb-export', out: dir('hb'), storage });
    expect(await validationAccuracy(e.dir, results.study.data)).toBe(results.best!.score);
    const other = results.trials.find((t) => t.number !== results.best!.number)!;
    await expect(exportTrials({ study: 'hb-export', trial: other.number, out: dir('hb-other'), storage })).rejects.toThrow(/dropped by --keep-checkpoints/);
  });

  it("--retrain follows the trial's learning-rate schedule, which spans the study's --max-epochs under Hyperband", async () => {
    const storage = join(root, 'studies.db');
    const results = await search({ space: fixture('cosine-space.ts'), data: 'iris', study: 'hb-cosine', algorithm: 'hyperband' });
    // A round-0 trial of the exploratory bracket: it trained epoch 1 of a 3-epoch cosine schedule.
    const short = results.trials.find((t) => t.toEpoch === 1 && t.status === 'completed')!;
    const [e] = await exportTrials({ study: 'hb-cosine', trial: short.number, out: dir('hb-cosine'), retrain: true, storage });
    const metrics = JSON.parse(readFileSync(join(e.dir, 'metrics.json'), 'utf8'));
    const rate = (short.params.learning_rate as number);
    expect(metrics.retrained.epochs).toBe(1);
    // Squeezed into one epoch, cosine would end that epoch near 0; over 3 epochs it is ~3/4 of the base rate.
    expect(short.history[0].learningRate / rate).toBeGreaterThan(0.7);
    expect(metrics.retrained.history[0].learningRate / short.history[0].learningRate).toBeCloseTo(1, 1);
  });

  it('a promoted Hyperband trial reproduces its own score', async () => {
    const storage = join(root, 'studies.db');
    const results = await search({ space: 'quick', data: 'iris', study: 'hb-promoted', algorithm: 'hyperband', seed: 3 });
    const promoted = results.trials.find((t) => t.parent !== null && t.status === 'completed')!;
    const [e] = await exportTrials({ study: 'hb-promoted', trial: promoted.number, out: dir('hb-promoted'), storage });
    const metrics = JSON.parse(readFileSync(join(e.dir, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ parent: promoted.parent, fromEpoch: promoted.fromEpoch, bestEpoch: promoted.bestEpoch });
    expect(await validationAccuracy(e.dir, results.study.data)).toBe(promoted.score);
  });
});
