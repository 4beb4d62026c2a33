// The files of one export besides the model itself, and what metrics.json holds.
import type { StudyRecord, TrialRecord } from '../store/store.js';
import type { BackendName, EpochRecord, Objective } from '../train/types.js';
import type { Verdict } from '../train/diagnostics-types.js';
import { describeVerdict } from '../train/diagnostics.js';

export const EXPORT_FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  preprocessing: 'preprocessing.json',
  hyperparameters: 'hyperparameters.json',
  metrics: 'metrics.json',
} as const;

/** How the exported weights came about. */
export interface RetrainedInfo {
  /** Rows trained on: the study's training and validation splits together. */
  rows: number;
  /** Epochs trained: the trial's best epoch. */
  epochs: number;
  /** Per-epoch loss and metric on those rows (there is no held-out data left to validate on). */
  history: Array<{ epoch: number; loss: number; accuracy?: number; mae?: number; learningRate: number }>;
}

/** metrics.json: the trial as the search saw it. Non-finite numbers are written as "NaN"/"Infinity". */
export interface ExportMetrics {
  study: string;
  trial: number;
  objective: Objective;
  /** The trial's best objective value: its leaderboard score. */
  score: number;
  bestEpoch: number | null;
  epochsRun: number;
  /** A pruned trial (exported with its best epoch's weights): the epoch and the rule that stopped it; else absent. */
  pruned?: { epoch: number; rule: string };
  /** Hyperband: the trial this one continued, and the epoch it started from. */
  parent: number | null;
  fromEpoch: number | null;
  /** Per-epoch metrics of the trial (a continued trial: its own epochs). */
  history: EpochRecord[];
  /** The gradient monitor's verdict, in words ("healthy", "vanishing: dense_1 |g|=..."), and in full. */
  gradients: { summary: string; verdict: Verdict | null };
  backend: BackendName | null;
  /** "checkpoint": the trial's best-epoch weights. "retrained": trained again on train + validation (see retrained). */
  weights: 'checkpoint' | 'retrained';
  retrained: RetrainedInfo | null;
}

export function exportMetrics(study: StudyRecord, trial: TrialRecord & { score: number }, retrained: RetrainedInfo | null): ExportMetrics {
  const verdict = trial.diagnostics?.verdict ?? null;
  return {
    study: study.name,
    trial: trial.number,
    objective: study.objective,
    score: trial.score,
    bestEpoch: trial.bestEpoch,
    epochsRun: trial.epochsRun,
    ...(trial.pruned ? { pruned: trial.pruned } : {}),
    parent: trial.parent,
    fromEpoch: trial.fromEpoch,
    history: trial.history,
    gradients: { summary: verdict ? describeVerdict(verdict) : 'not monitored', verdict },
    backend: trial.backend,
    weights: retrained ? 'retrained' : 'checkpoint',
    retrained,
  };
}
