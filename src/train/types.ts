import type { Params } from '../space/types.js';
import type { DataSource } from '../data/types.js';
import type { DiagnosticsSettings, TrialDiagnostics } from './diagnostics-types.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;
export const BACKEND_CHOICES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export type Direction = 'min' | 'max';
export interface Objective {
  /** loss, val_loss, accuracy, val_accuracy, mae, val_mae */
  metric: string;
  direction: Direction;
}

/** Metrics recorded at the end of each epoch. */
export interface EpochRecord {
  epoch: number; // 1-based
  loss: number;
  val_loss: number;
  accuracy?: number;
  val_accuracy?: number;
  mae?: number;
  val_mae?: number;
  learningRate: number;
  [metric: string]: number | undefined;
}

/** How a space is found by a worker: a built-in name or a module path. */
export interface SpaceRef {
  builtin?: string;
  path?: string;
}

/** Everything a worker needs to run one trial; serialisable. */
export interface TrialSpec {
  trialNumber: number;
  params: Params;
  space: SpaceRef;
  data: DataSource;
  objective: Objective;
  maxEpochs: number;
  /** Seed for weight initialisation and batch shuffling. */
  seed: number;
  backend: BackendPreference;
  /** The run's diagnostics overrides (CLI/API); the space's come before them, defaults first. */
  diagnostics: Partial<DiagnosticsSettings>;
  /** Return the best epoch's weights (the store keeps them for promotion and export). */
  keepCheckpoint: boolean;
  /**
   * Set when the oracle chose the epochs (a Hyperband round ends at maxEpochs): the study's
   * --max-epochs. The space's own `epochs` does not cut the round short, and the learning-rate
   * schedule spans these epochs, so a configuration's rate at epoch e is the same whichever
   * round trains it.
   */
  scheduleEpochs?: number;
  /** Continue a parent trial from its best-epoch weights, numbering epochs after fromEpoch. */
  resume?: { checkpoint: Uint8Array; fromEpoch: number };
  /** Send the validation predictions with every epoch's report (a custom objective is computed from them). */
  epochPredictions?: boolean;
  /** Train the configuration this many times with different seeds and score the mean (executionsPerTrial). Default 1. */
  executions?: number;
  /** k-fold cross-validation on the training rows: train once per fold and score the mean. */
  folds?: { k: number; seed: number };
}

/** One training run of a trial that trains several (executions, folds). */
export interface TrialRun {
  /** The fold validated on (--folds), or null. */
  fold: number | null;
  /** 0-based execution (--executions-per-trial). */
  execution: number;
  seed: number;
  status: 'completed' | 'rejected' | 'pruned';
  score: number | null;
  bestEpoch: number | null;
  epochsRun: number;
}

export type TrialOutcome = 'completed' | 'rejected' | 'pruned' | 'failed';

export interface TrialResult {
  status: TrialOutcome;
  /** Best value of the objective over the epochs, or null when none was finite. */
  score: number | null;
  bestEpoch: number | null;
  epochsRun: number;
  history: EpochRecord[];
  backend: BackendName;
  durationMs: number;
  error?: string;
  /** Epochs the configuration would train without early stopping or rejection. */
  plannedEpochs?: number;
  /** A pruned trial: the epoch it stopped at and the rule that stopped it. */
  pruned?: { epoch: number; rule: string };
  /** With several runs (executions, folds): each run; the trial's score is their mean, its history the best run's. */
  runs?: TrialRun[];
  /** Standard deviation of the runs' scores (several runs only). */
  scoreStd?: number | null;
  diagnostics?: TrialDiagnostics;
  /** Best-epoch weights (see src/train/checkpoint.ts), when asked for and an epoch scored. */
  checkpoint?: Uint8Array;
  /** The worker's memory once the trial is cleaned up (absent when the worker died). */
  worker?: WorkerMemory;
}

/** What a worker thread holds after a trial: a leak shows as numbers that keep growing. */
export interface WorkerMemory {
  threadId: number;
  /** Live tfjs tensors on the thread's backend: back to the same baseline after every trial. */
  tensors: number;
  /** Bytes those tensors hold on the backend. */
  tensorBytes: number;
  /** The thread's own JavaScript heap in use (V8 isolate), bytes. */
  heapUsedBytes: number;
}

/** The result of a trial that did not train: an exception, or a worker that died. */
export function failedResult(backend: BackendName, durationMs: number, error: string): TrialResult {
  return { status: 'failed', score: null, bestEpoch: null, epochsRun: 0, history: [], backend, durationMs, error };
}
