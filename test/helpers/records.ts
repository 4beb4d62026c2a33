// Study and trial records for tests of oracles and reports: every field filled with a
// neutral value, so a test states only what it is about (and survives new fields).
import type { Params } from '../../src/space/types.js';
import type { Decision } from '../../src/oracle/oracle.js';
import type { NewStudy, StudyRecord, TrialRecord, TrialStatus } from '../../src/store/store.js';
import { defineSearchSpace } from '../../src/space/define.js';

/** What createStudy takes: a study of `makeStudy`'s neutral values without id and date. */
export function makeNewStudy(over: Partial<NewStudy> = {}): NewStudy {
  const { id: _id, createdAt: _createdAt, ...study } = makeStudy();
  return { ...study, ...over };
}

/** A two-parameter space for oracle tests: a float and a choice. */
export const toySpace = defineSearchSpace({
  name: 'toy',
  description: 'a float and a choice',
  build(hp) {
    hp.float('x', 0, 1);
    hp.choice('width', [8, 16, 32, 64]);
    return { model: { kind: 'mlp', hidden: [{ units: 8, activation: 'relu', initializer: 'heNormal' }] }, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 32 } };
  },
});

export function makeStudy(over: Partial<StudyRecord> = {}): StudyRecord {
  return {
    id: 1,
    name: 'test',
    space: 'test',
    datasetName: 'iris',
    datasetFingerprint: 'f',
    data: { builtin: 'iris', valSplit: 0.2, seed: 0 },
    objective: { metric: 'val_accuracy', direction: 'max' },
    algorithm: 'random',
    settings: {},
    seed: 42,
    maxEpochs: 10,
    createdAt: '2024-01-01T00:00:00.000Z',
    ...over,
  };
}

/** A finished (or running) trial with `params`; completed ones score 0.9. */
export function makeTrial(number: number, params: Params, status: TrialStatus = 'completed', over: Partial<TrialRecord> = {}): TrialRecord {
  return {
    studyId: 1,
    number,
    status,
    params,
    score: status === 'completed' ? 0.9 : null,
    bestEpoch: null,
    epochsRun: 0,
    history: [],
    backend: null,
    startedAt: '2024-01-01T00:00:00.000Z',
    finishedAt: null,
    durationMs: null,
    heartbeatAt: null,
    error: null,
    diagnostics: null,
    plannedEpochs: null,
    parent: null,
    fromEpoch: null,
    toEpoch: null,
    slot: null,
    owner: null,
    attempt: 1,
    retries: 0,
    repairOf: null,
    remedies: null,
    seed: null,
    bestValLoss: null,
    scoreStd: null,
    runs: null,
    hasCheckpoint: false,
    pruned: null,
    ...over,
  };
}

/** The params of a `run` decision; anything else fails the test. */
export function runParams(d: Decision): Params {
  if (d.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(d)}`);
  return d.params;
}
