// A study record for benches that write a store directly (no data is loaded).
import type { NewStudy } from '../src/store/store.js';

export function makeNewStudyForBench(name: string): NewStudy {
  return {
    name,
    space: 'quick',
    spaceFingerprint: '',
    datasetName: 'iris',
    datasetFingerprint: 'bench',
    data: { builtin: 'iris', valSplit: 0.2, seed: 42 },
    objective: { metric: 'val_accuracy', direction: 'max' },
    algorithm: 'random',
    settings: { version: 2, maxTrials: 1_000_000, pruner: { name: 'median', startupTrials: 5, warmupEpochs: 0, intervalEpochs: 1, minTrials: 1 } },
    seed: 42,
    maxEpochs: 10,
  };
}
