// --keep-checkpoints under ASHA: a completed trial below the top rung keeps its weights
// while a promotion may still continue it; once continued (and that trial finished), or
// once the search reached --max-trials, only the best n keep theirs.
import { describe, expect, it } from 'vitest';
import { checkpointsToKeep } from '../src/export/retention.js';
import type { TrialRecord, TrialStatus } from '../src/store/store.js';
import { makeStudy, makeTrial } from './helpers/records.js';

const study = (maxTrials: number) => makeStudy({ algorithm: 'asha', maxEpochs: 9, settings: { version: 2, maxTrials, asha: { factor: 3, minEpochs: 1 } } });

function trial(number: number, rung: number, score: number, opts: { parent?: number; status?: TrialStatus } = {}): TrialRecord {
  const status = opts.status ?? 'completed';
  return makeTrial(number, { x: number }, status, { slot: { kind: 'asha', rung }, parent: opts.parent ?? null, score: status === 'completed' ? score : null, hasCheckpoint: status === 'completed' });
}

describe('checkpoint retention under ASHA', () => {
  const trials = [
    trial(0, 0, 0.5),
    trial(1, 0, 0.9),
    trial(2, 0, 0.7),
    trial(3, 1, 0.95, { parent: 1 }), // trial 1 continued, finished
    trial(4, 0, 0.6),
    trial(5, 1, 0, { parent: 4, status: 'running' }), // trial 4 continued, still running
    trial(6, 2, 0.97, { parent: 3 }), // top rung
  ];

  it('keeps every trial below the top rung a promotion may still need, and the best n', () => {
    // 1 was continued by a finished trial; 6 is at the top rung; 4 is being continued.
    expect([...checkpointsToKeep(study(20), trials, { keep: 1 })].sort((a, b) => a - b)).toEqual([0, 2, 4, 6]);
    expect([...checkpointsToKeep(study(20), trials, { keep: 0 })].sort((a, b) => a - b)).toEqual([0, 2, 4]);
  });

  it('once the search reached --max-trials, keeps only what a running continuation needs and the best n', () => {
    expect([...checkpointsToKeep(study(7), trials, { keep: 1 })].sort((a, b) => a - b)).toEqual([4, 6]);
    const done = trials.map((t) => (t.number === 5 ? { ...t, status: 'completed' as const, score: 0.8 } : t));
    expect([...checkpointsToKeep(study(7), done, { keep: 2 })].sort((a, b) => a - b)).toEqual([3, 6]);
  });

  it('keeps everything it might need when the settings cannot be read', () => {
    const broken = makeStudy({ algorithm: 'asha', maxEpochs: 9, settings: { version: 2, maxTrials: 7 } });
    expect([...checkpointsToKeep(broken, trials, { keep: 0 })].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6]);
  });
});
