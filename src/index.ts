// gradtune's public API: everything a user imports comes from here.
export { Tuner, type TunerEvents, type SearchResults, type SearchOptions } from './tuner.js';
export type { FeatureMatrix, Targets, ShapedArray, TensorLike } from './data/memory.js';
export { workSeed, seedOf } from './oracle/seed.js';
export { type TunerOptions, type Algorithm, type CustomObjective, DEFAULTS, OBJECTIVE_METRICS, ALGORITHMS } from './tuner-options.js';
export { defineSearchSpace, describeSpace, type SearchSpace } from './space/define.js';
export { loadSpace, BUILTIN_SPACES } from './space/load.js';
export { randomOracle } from './oracle/random.js';
export { ashaOracle, ashaRungs, type AshaOptions } from './oracle/asha.js';
export * from './pruner/index.js';
export { loadDataset, describeDataset } from './data/load.js';
export { BUILTIN_DATASETS } from './data/builtin.js';
export { openSqliteStore } from './store/sqlite.js';
export { openStore, parseStorage } from './store/open-store.js';
export { formatLeaderboard, type LeaderboardFormat, type LeaderboardOptions } from './report/leaderboard.js';
export { formatBest } from './report/best.js';
export { rankTrials, bestTrial } from './report/rank.js';
export { GradtuneError } from './errors.js';
export type * from './space/types.js';
export type { Dataset, DataSource, Task } from './data/types.js';
export type { Store, StudyRecord, TrialRecord, TrialSummary, TrialStatus, TrialAttempt, QueuedParams, NewEpoch, StoredEpoch, PrunedAt } from './store/store.js';
export type { Oracle, SyncOracle, Decision, RunDecision, ScheduleSlot, HyperbandSlot, AshaSlot } from './oracle/oracle.js';
export type { EpochRecord, Objective, Direction, BackendName, BackendPreference, TrialSpec, TrialResult, TrialRun, WorkerMemory } from './train/types.js';
export { DEFAULT_DIAGNOSTICS, resolveDiagnostics } from './train/diagnostics-settings.js';
export { describeVerdict } from './train/diagnostics.js';
export type { DiagnosticsSettings, TrialDiagnostics, Verdict, VerdictEvidence, VerdictKind, EpochGradientStats, LayerGradientStats } from './train/diagnostics-types.js';
export { rejectionSummary, type RejectionSummary } from './report/rejection.js';
export { exportTrials, type ExportOptions, type ExportedTrialInfo } from './export/write-export.js';
export { loadExported, type ExportedModel } from './export/load-exported.js';
export { fileIO } from './export/io-handlers.js';
export type { Preprocessing } from './export/preprocessing.js';
export type { Prediction, ClassPrediction, ValuePrediction } from './export/predict.js';
export type { PredictInput, FeatureRecord, FeatureTable } from './export/features.js';
export type { ExportMetrics } from './export/artifacts.js';
export { checkpointsToKeep } from './export/retention.js';
// The other algorithms, the grid's size, Hyperband's schedule and the HTML report, as the
// README describes them (a user's own search loop or report needs them).
export { gridOracle, type GridOracleOptions } from './oracle/grid.js';
export { gridSize, type GridSize } from './space/grid.js';
export { hyperbandOracle, type HyperbandOptions } from './oracle/hyperband.js';
export { hyperbandSchedule, type HyperbandSchedule, type HyperbandSettings, type ScheduledBracket, type ScheduledRound } from './oracle/hyperband-schedule.js';
export { formatHtmlReport, type HtmlReportOptions } from './report/html/report.js';
export { parameterImportance, type ImportanceSample, type ParamImportance, type ImportanceOptions } from './report/html/importance.js';
// Samplers (how new configurations are drawn) and the pieces a sampler of your own uses.
export * from './sampler/index.js';
export { SAMPLER_NAMES, samplerByName } from './sampler/by-name.js';
export { sampleParams, buildConfig } from './space/define.js';
export { randomDecider, defaultDecider, fixedDecider } from './space/sample.js';
export type { Decider } from './space/hyperparameters.js';
