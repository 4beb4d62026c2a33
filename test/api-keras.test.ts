// Keras Tuner's names on the Tuner: best hyperparameters, best models (also from a later
// process, through Tuner.load), results and search-space summaries.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Tuner, GradtuneError, loadDataset } from '../src/index.js';
import { tempDir } from './helpers/cli.js';

describe('the Keras Tuner workflow', () => {
  it('gives back the best hyperparameters and models, also after Tuner.load', { timeout: 120_000 }, async () => {
    const storage = join(tempDir(), 'k.db');
    const tuner = new Tuner({ space: 'quick', data: 'iris', algorithm: 'random', maxTrials: 3, maxEpochs: 5, workers: 1, seed: 9, storage });
    expect(() => tuner.getBestHyperparameters()).toThrow(GradtuneError);
    const results = await tuner.search();
    const ranked = results.trials.filter((t) => t.status === 'completed').sort((a, b) => b.score! - a.score! || (a.bestValLoss ?? 0) - (b.bestValLoss ?? 0) || a.number - b.number);
    expect(tuner.getBestHyperparameters(2)).toEqual(ranked.slice(0, 2).map((t) => t.params));

    const lines: string[] = [];
    const summary = tuner.resultsSummary(2, (t) => lines.push(t));
    expect(lines).toEqual([summary]);
    expect(summary.split("\n").filter((l) => /^│\s+[12]\s+│/.test(l))).toHaveLength(2);
    const spaceSummary = await tuner.searchSpaceSummary(() => undefined);
    expect(spaceSummary).toMatch(/search space "quick"/);
    expect(spaceSummary).toMatch(/learning_rate\s+choice 0\.001, 0\.01, 0\.1/);

    // As a later process would: reopen the study by name and take its best model.
    const later = await Tuner.load({ study: 'quick-iris', storage });
    expect(later.getBestHyperparameters(1)).toEqual([ranked[0].params]);
    const [model] = await later.getBestModels(1);
    const data = loadDataset(results.study.data);
    // The model takes the features as they are in the file: undo the study's standardisation.
    const raw = Float32Array.from(data.xVal, (v, i) => v * data.scaling.std[i % data.nFeatures] + data.scaling.mean[i % data.nFeatures]);
    const predicted = tf.tidy(() => (model.predict(tf.tensor2d(raw, [data.nVal, data.nFeatures])) as tf.Tensor).argMax(1).arraySync() as number[]);
    const truth = Array.from({ length: data.nVal }, (_, i) => Array.from(data.yVal.subarray(i * data.nOutputs, (i + 1) * data.nOutputs)).indexOf(1));
    const accuracy = predicted.filter((p, i) => p === truth[i]).length / data.nVal;
    expect(accuracy).toBeCloseTo(ranked[0].score!, 6);
    model.dispose();
    await expect(Tuner.load({ study: 'nope', storage })).rejects.toThrow(/unknown study "nope"/);
  });
});
