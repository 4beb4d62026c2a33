// tuner.search(x, y, { validationData | validationSplit }) on data already in memory, as a
// Keras Tuner user writes it: arrays, typed arrays with a shape, and tensors; then the
// best models back, taking the features as given. Tiny data and budgets.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { GradtuneError, Tuner } from '../src/index.js';
import { loadMemoryDataset } from '../src/data/memory.js';
import { runCli, runOk, tempDir } from './helpers/cli.js';
import { expectGradtuneError } from './helpers/errors.js';

/** A seeded generator, so the data is the same in every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** Two classes in 3 features, on very different scales (so the standardisation matters). */
function classes(rows: number, seed: number): { x: number[][]; y: string[] } {
  const r = rng(seed);
  const x = Array.from({ length: rows }, () => [r() * 100 - 50, r() * 0.01, r() * 4 + 1000]);
  const y = x.map(([a, b, c]) => (a / 50 + b * 100 - (c - 1002) + (r() - 0.5) * 0.6 > 0 ? 'yes' : 'no'));
  return { x, y };
}

/** A regression target in thousands, from 4 features. */
function values(rows: number, seed: number): { x: number[][]; y: number[] } {
  const r = rng(seed);
  const x = Array.from({ length: rows }, () => [r() * 10, r() * 10, r(), r() * 1e4]);
  const y = x.map(([a, b, c, d]) => 5000 + 300 * a - 200 * b + 1000 * c + 0.1 * d + r() * 50);
  return { x, y };
}

const argmax = (row: number[]) => row.indexOf(Math.max(...row));

describe('tuner.search(x, y, options) on arrays in memory', () => {
  it('searches number[][] with string labels and validationData in 2 worker threads; getBestModels takes the features as given and predicts what export + predict predict', { timeout: 360_000 }, async () => {
    const cwd = tempDir();
    const storage = join(cwd, 'gradtune.db');
    const train = classes(160, 1);
    const val = classes(40, 2);
    const tuner = new Tuner({ space: 'quick', algorithm: 'random', maxTrials: 2, maxEpochs: 3, workers: 2, seed: 3, storage });
    const results = await tuner.search(train.x, train.y, { validationData: [val.x, val.y] });
    expect(results.study.name).toBe('quick-arrays');
    expect(results.study.datasetName).toBe('in-memory arrays');
    expect(results.trials.filter((t) => t.status === 'completed')).toHaveLength(2);
    // The validation rows are the ones given, not a split of x.
    expect(results.study.data.memory?.info).toMatchObject({ nTrain: 160, nVal: 40, task: 'classification', classes: ['no', 'yes'], featureNames: ['x0', 'x1', 'x2'] });

    // The best model takes the raw features: its accuracy on the validation rows is the trial's score.
    const [model] = await tuner.getBestModels(1);
    const probabilities = tf.tidy(() => (model.predict(tf.tensor2d(val.x)) as tf.Tensor).arraySync() as number[][]);
    model.dispose();
    const accuracy = probabilities.filter((p, i) => ['no', 'yes'][argmax(p)] === val.y[i]).length / val.x.length;
    expect(accuracy).toBeCloseTo(results.best!.score!, 6);
    expect(tuner.getBestHyperparameters(1)).toEqual([results.best!.params]);

    // The CLI exports the study's best trial (the study kept the arrays' preprocessing),
    // and `predict` on the same rows, named by the study's feature names, agrees.
    await runOk(['export', '--study', 'quick-arrays', '--out', 'models'], { cwd });
    writeFileSync(join(cwd, 'val.csv'), ['x0,x1,x2', ...val.x.map((r) => r.join(','))].join('\n') + '\n');
    const predicted = await runOk(['predict', '--model', join('models', `trial-${results.best!.number}`), '--data', 'val.csv'], { cwd });
    const [header, ...rows] = parse(predicted.stdout) as string[][];
    expect(header).toEqual(['y', 'probability_no', 'probability_yes']);
    // To float32 rounding: predict standardises in float64, the model in float32, and x2 is
    // about 1000 with a spread of 1 (float32 holds 1000.123 to about 6e-5).
    rows.forEach((row, i) => {
      expect(row[0]).toBe(['no', 'yes'][argmax(probabilities[i])]);
      expect(Number(row[1])).toBeCloseTo(probabilities[i][0], 3);
      expect(Number(row[2])).toBeCloseTo(probabilities[i][1], 3);
    });

    // The CLI cannot give arrays: continuing the study there says to use the API.
    const cli = await runCli(['search', '--study', 'quick-arrays', '--max-trials', '4'], { cwd });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/^gradtune: error: study "quick-arrays" was searched on in-memory data .*continue it through the API with the same arrays/);
  });

  it('searches a tf.Tensor2D and a tf.Tensor1D for regression; a later process reloads the study, gets its best model in the target\'s units, continues it on the same tensors and refuses other ones', { timeout: 300_000 }, async () => {
    const storage = join(tempDir(), 'gradtune.db');
    const data = values(200, 5);
    const other = values(200, 6);
    const x = tf.tensor2d(data.x);
    const y = tf.tensor1d(data.y);
    const options = { space: 'quick', algorithm: 'random' as const, maxTrials: 2, maxEpochs: 4, workers: 1, seed: 4, storage, study: 'houses' };
    const results = await new Tuner(options).search(x, y, { validationSplit: 0.25 });
    expect(results.study.data.memory?.info).toMatchObject({ task: 'regression', nTrain: 150, nVal: 50 });
    const firstBest = results.best!;

    const later = await Tuner.load({ study: 'houses', storage });
    const [model] = await later.getBestModels(1);
    // Its predictions are in the target's units: their squared error on the validation rows
    // (which rows those are: the dataset split from the seed) is the trial's val_loss.
    const split = loadMemoryDataset(data.x, data.y, { valSplit: 0.25, seed: 4 });
    const rawVal = Array.from({ length: split.nVal }, (_, r) => Array.from({ length: split.nFeatures }, (_, c) => split.xVal[r * split.nFeatures + c] * split.scaling.std[c] + split.scaling.mean[c]));
    const truth = Array.from(split.yVal, (v) => v * split.targetScaling!.std + split.targetScaling!.mean);
    const predicted = tf.tidy(() => (model.predict(tf.tensor2d(rawVal)) as tf.Tensor).dataSync());
    model.dispose();
    const mse = truth.reduce((a, t, i) => a + (predicted[i] - t) ** 2, 0) / truth.length;
    expect(mse / firstBest.score!).toBeCloseTo(1, 3);

    // The same tensors continue the study; other values are refused before anything is written.
    const more = await new Tuner({ ...options, maxTrials: 3 }).search(x, y, { validationSplit: 0.25 });
    expect(more.trials).toHaveLength(3);
    const refused = await new Tuner({ ...options, maxTrials: 4 }).search(tf.tensor2d(other.x), tf.tensor1d(other.y), { validationSplit: 0.25 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GradtuneError);
    expect((refused as Error).message).toMatch(/^the arrays given to search\(\) are not the ones study "houses" was searched on .*pass the same x, y/);
    const asFile = await new Tuner({ ...options, data: 'iris' }).search().catch((e: unknown) => e);
    expect((asFile as Error).message).toMatch(/study "houses" was searched on in-memory data/);
    expect((await Tuner.load({ study: 'houses', storage })).getBestHyperparameters(5)).toHaveLength(3);
    x.dispose();
    y.dispose();
  });

  it('takes a Float32Array with a shape, and one-hot targets', { timeout: 120_000 }, async () => {
    const storage = join(tempDir(), 'gradtune.db');
    const rows = 90;
    const r = rng(9);
    const values = new Float32Array(rows * 2);
    const oneHot: number[][] = [];
    for (let i = 0; i < rows; i++) {
      const k = i % 3;
      values[i * 2] = k * 3 + r();
      values[i * 2 + 1] = r();
      oneHot.push([0, 1, 2].map((c) => Number(c === k)));
    }
    const tuner = new Tuner({ space: 'quick', algorithm: 'random', maxTrials: 1, maxEpochs: 3, workers: 1, seed: 1, storage });
    const results = await tuner.search({ values, shape: [rows, 2] }, oneHot, { validationSplit: 0.3, featureNames: ['size', 'noise'] });
    expect(results.study.data.memory?.info).toMatchObject({ task: 'classification', classes: ['0', '1', '2'], nOutputs: 3, featureNames: ['size', 'noise'], nVal: 27 });
    expect(results.trials[0].status).toBe('completed');
  });
});

describe('mistakes in the arrays', () => {
  const opts = { valSplit: 0.2, seed: 1 };
  const x = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]];
  const y = [0, 1, 0, 1, 0];

  it('are one line each, naming the row and the fix', () => {
    expectGradtuneError(() => loadMemoryDataset(x, [0, 1, 0], opts), 'y has 3 rows but x has 5; give one target per row');
    expectGradtuneError(() => loadMemoryDataset([[1, 2], [3], [5, 6]], [0, 1, 0], opts), 'x[1] has 1 values but x[0] has 2; every row needs one value per feature');
    expectGradtuneError(() => loadMemoryDataset([[1, 2], [3, NaN], [5, 6]], [0, 1, 0], opts), 'x[1][1] is NaN', 'fill or drop the missing values first');
    expectGradtuneError(() => loadMemoryDataset([[1, 2], [3, Infinity], [5, 6], [1, 1]], [0, 1, 0, 1], opts), /x\[1\]/, /not finite|non-finite|Infinity/);
    expectGradtuneError(() => loadMemoryDataset([[1, 2], [3, '4' as unknown as number]], [0, 1], opts), 'x[1][1] is the string "4"; features must be numbers');
    expectGradtuneError(() => loadMemoryDataset({ values: new Float32Array(8), shape: [2, 2, 2] }, [0, 1], opts), 'x has shape [2, 2, 2]; features are a matrix [rows, columns]');
    expectGradtuneError(() => loadMemoryDataset({ values: new Float32Array(7), shape: [4, 2] }, [0, 1, 0, 1], opts), 'x has 7 values but its shape [4, 2] needs 8');
    expectGradtuneError(() => loadMemoryDataset(new Float32Array(10) as never, y, opts), 'x is a flat typed array: give its shape too, as { values, shape: [rows, cols] }');
    expectGradtuneError(() => loadMemoryDataset([], [], opts), 'x has no rows');
    expectGradtuneError(() => loadMemoryDataset(x, [0, 1, null as unknown as number, 1, 0], opts), 'y[2] is null; a target is a class label (number or string) or a number');
    expectGradtuneError(() => loadMemoryDataset(x, [[1, 0], [0, 1], [1, 1], [0, 1], [1, 0]], opts), 'y[2] is not a one-hot row');
    expectGradtuneError(() => loadMemoryDataset(x, y, { ...opts, validationData: [[[1, 2, 3]], [0]] }), 'validationData x has 3 columns but x has 2; the validation rows need the same features');
    expectGradtuneError(() => loadMemoryDataset(x, y, { ...opts, validationData: [[[1, 2], [3, 4]], [0]] }), 'validationData y has 1 rows but validationData x has 2; give one target per row');
    expectGradtuneError(() => loadMemoryDataset(x, y, { ...opts, validationData: [[[1, 2], [3, NaN]], [0, 1]] }), 'validationData x[1][1] is NaN');
    expectGradtuneError(() => loadMemoryDataset(x, y, { ...opts, validationData: [[1, 2]] as never }), 'validationData must be a pair [xVal, yVal]');
    expectGradtuneError(() => loadMemoryDataset(x, y, { ...opts, featureNames: ['a'] }), 'featureNames must be 2 distinct non-empty names');
  });

  it('and in the tensors: a tensor of the wrong rank, a target tensor of the wrong length', () => {
    const x3 = tf.zeros([4, 2, 2]);
    const x2 = tf.zeros([4, 2]);
    const y3 = tf.zeros([3]);
    expectGradtuneError(() => loadMemoryDataset(x3 as unknown as tf.Tensor2D, [0, 1, 0, 1], opts), 'x has shape [4, 2, 2]; features are a matrix [rows, columns]');
    expectGradtuneError(() => loadMemoryDataset(x2, y3, opts), 'y has 3 rows but x has 4; give one target per row');
    expectGradtuneError(() => loadMemoryDataset(x2, tf.zeros([4, 2, 1]), opts), 'y has shape [4, 2, 1]; give one label or value per row');
    tf.dispose([x3, x2, y3]);
  });

  it('stop tuner.search before the store is created, as do options that do not go with arrays', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const storage = join(dir, 'gradtune.db');
    const tuner = (more = {}) => new Tuner({ space: 'quick', algorithm: 'random', maxTrials: 1, workers: 1, storage, ...more });
    const cases: [() => Promise<unknown>, string][] = [
      [() => tuner().search([[1, 2], [3]], [0, 1]), 'x[1] has 1 values but x[0] has 2'],
      [() => tuner().search(x, [0, 1]), 'y has 2 rows but x has 5'],
      [() => tuner().search(x, y, { validationData: [[[1, 2, 3]], [0]] }), 'validationData x has 3 columns but x has 2'],
      [() => tuner().search(x, y, { validationData: [[[1, 2]], [0]], validationSplit: 0.2 }), 'give validationData or validationSplit, not both'],
      [() => tuner().search(x, y, { epochs: 3 } as never), 'unknown search() option "epochs" (the epochs are the Tuner\'s maxEpochs option'],
      [() => tuner({ data: 'iris' }).search(x, y), 'the data is given twice: the data option (iris) and arrays to search(x, y); give one'],
      [() => tuner({ target: 'label' }).search(x, y), 'the target option applies to a CSV file\'s columns, not to arrays'],
      [() => tuner().search(x, undefined as never), 'search(x, y) needs both the features x and the targets y'],
    ];
    for (const [run, message] of cases) {
      const err = await run().catch((e: unknown) => e);
      expect(err, message).toBeInstanceOf(GradtuneError);
      expect((err as Error).message).toContain(message);
      expect((err as Error).message).not.toContain('\n');
    }
    expect(existsSync(storage)).toBe(false);
  });
});
