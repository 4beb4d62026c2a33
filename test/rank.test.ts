// How trials are ordered in every report, `best`, export and getBestModels.
import { describe, expect, it } from 'vitest';
import { bestTrial, rankTrials } from '../src/report/rank.js';
import { makeStudy, makeTrial } from './helpers/records.js';

describe('ranking', () => {
  it('orders by the objective, breaks ties by the lower validation loss at the best epoch, then by trial number', () => {
    const study = makeStudy({ objective: { metric: 'val_accuracy', direction: 'max' } });
    const trials = [
      makeTrial(0, {}, 'completed', { score: 0.9167, bestValLoss: 0.31 }),
      makeTrial(1, {}, 'completed', { score: 0.95, bestValLoss: 0.5 }),
      makeTrial(2, {}, 'completed', { score: 0.9167, bestValLoss: 0.12 }),
      makeTrial(3, {}, 'completed', { score: 0.9167, bestValLoss: null }),
      makeTrial(4, {}, 'completed', { score: 0.9167, bestValLoss: 0.31 }),
      makeTrial(5, {}, 'failed'),
    ];
    expect(rankTrials(study, trials).map((r) => [r.rank, r.trial.number])).toEqual([
      [1, 1],
      [2, 2],
      [3, 0],
      [4, 4],
      [5, 3],
      [null, 5],
    ]);
    expect(bestTrial(study, trials.slice(2))!.number).toBe(2);
  });
});
