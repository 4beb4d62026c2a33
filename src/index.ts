// gradtune's public API: everything a user imports comes from here.
export { Tuner, trialSeed, type TunerEvents, type SearchResults } from './tuner.js';
export { type TunerOptions, DEFAULTS, OBJECTIVE_METRICS } from './tuner-options.js';
export { defineSearchSpace, describeSpace, type SearchSpace } from './space/define.js';
export { loadSpace, BUILTIN_SPACES } from './space/load.js';
export { randomOracle } from './oracle/random.js';
export { loadDataset, describeDataset } from './data/load.js';
export { BUILTIN_DATASETS } from './data/builtin.js';
export { openSqliteStore } from './store/sqlite.js';
export { formatLeaderboard } from './report/leaderboard.js';
export { formatBest } from './report/best.js';
export { rankTrials, bestTrial } from './report/rank.js';
export { GradtuneError } from './errors.js';
export type * from './space/types.js';
export type { Dataset, DataSource, Task } from './data/types.js';
export type { Store, StudyRecord, TrialRecord, TrialStatus } from './store/store.js';
export type { Oracle, Decision } from './oracle/oracle.js';
export type { EpochRecord, Objective, BackendName, BackendPreference, TrialSpec, TrialResult } from './train/types.js';
