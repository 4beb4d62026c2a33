import type { Params } from '../space/types.js';
import type { EpochRecord, Objective, BackendName } from '../train/types.js';
import type { DataSource } from '../data/types.js';
import type { TrialDiagnostics } from '../train/diagnostics-types.js';
import type { Decision, ScheduleSlot } from '../oracle/oracle.js';

export type TrialStatus = 'running' | 'completed' | 'rejected' | 'pruned' | 'failed' | 'stale';

/** What a study is, fixed when it is created. */
export interface NewStudy {
  name: string;
  /** The space as the user named it: a built-in name or a module path. */
  space: string;
  /** The dataset as the user named it (built-in name or file path) and its fingerprint. */
  datasetName: string;
  datasetFingerprint: string;
  /** The data options (target, task, valSplit, seed) so workers can reload the same split. */
  data: DataSource;
  objective: Objective;
  algorithm: string;
  /** Algorithm settings, e.g. { maxTrials } for random search. */
  settings: Record<string, unknown>;
  seed: number;
  maxEpochs: number;
}

export interface StudyRecord extends NewStudy {
  id: number;
  createdAt: string; // ISO 8601
}

export interface TrialRecord {
  studyId: number;
  /** 0-based, unique within a study, assigned in ask order. */
  number: number;
  status: TrialStatus;
  params: Params;
  score: number | null;
  bestEpoch: number | null;
  epochsRun: number;
  history: EpochRecord[];
  backend: BackendName | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  heartbeatAt: string | null;
  error: string | null;
  /** Gradient verdict, evidence and per-epoch statistics; null when the monitor was off or the trial has not finished. */
  diagnostics: TrialDiagnostics | null;
  /** Epochs the trial would have trained without early stopping or rejection. */
  plannedEpochs: number | null;
  /** The trial this one continues (Hyperband promotion), or null. */
  parent: number | null;
  /** Epochs the parent had trained; null for a fresh trial. */
  fromEpoch: number | null;
  /** The epoch the oracle asked this trial to train to; null: the study's --max-epochs. */
  toEpoch: number | null;
  /** Place in the algorithm's schedule, or null. */
  slot: ScheduleSlot | null;
  /** The process running (or that last ran) the trial, as host:pid. */
  owner: string | null;
  /** 1 for the first run; +1 each time the trial is handed out again (stale or retried). */
  attempt: number;
  /** Times the trial was re-run after failing (--max-retries). */
  retries: number;
  /** The rejected trial this one repairs (--repair): its params with a remedy applied; null otherwise. */
  repairOf: number | null;
}

/** What a finished trial reports back to the store. */
export interface TrialOutcomeUpdate {
  status: Exclude<TrialStatus, 'running'>;
  score: number | null;
  bestEpoch: number | null;
  epochsRun: number;
  history: EpochRecord[];
  backend: BackendName | null;
  durationMs: number | null;
  error?: string | null;
  diagnostics?: TrialDiagnostics | null;
  plannedEpochs?: number | null;
  /** Best-epoch weights; kept in the store so any process can continue or export the trial. */
  checkpoint?: Uint8Array | null;
  /**
   * The attempt that produced this outcome. When the trial has since been handed out
   * again (it went stale and another process re-runs it), the outcome is discarded.
   */
  attempt?: number;
}

export interface AskOptions {
  /** Re-run a failed trial (same number, same params) until it has been retried this often. Default 0. */
  maxRetries?: number;
}

export interface StudySummary {
  name: string;
  space: string;
  datasetName: string;
  algorithm: string;
  objective: Objective;
  createdAt: string;
  counts: Partial<Record<TrialStatus, number>>;
  best: number | null;
}

/** The result of one ask: the decision, and for `run` the trial that was inserted. */
export type AskResult =
  /** `rerun`: the trial is an earlier one handed out again, because it went stale or failed (--max-retries). */
  | { kind: 'run'; trial: TrialRecord; rerun?: 'stale' | 'retry' }
  | { kind: 'wait' }
  | { kind: 'done'; reason: string };

/**
 * The single source of truth for studies and trials. `ask` is one transaction: it reads
 * the history, lets the oracle decide, and inserts the chosen trial as running, so
 * several processes sharing a store never hand out the same trial number.
 */
export interface Store {
  createStudy(study: NewStudy): StudyRecord;
  getStudy(name: string): StudyRecord | undefined;
  deleteStudy(name: string): void;
  listStudies(): StudySummary[];
  trials(studyId: number): TrialRecord[];
  /**
   * Hands out the next trial: first a stale one (lost its process) or a failed one with
   * retries left, again under its own number and params; otherwise what `decide` says.
   */
  ask(studyId: number, decide: (study: StudyRecord, trials: readonly TrialRecord[]) => Decision, opts?: AskOptions): AskResult;
  /** Records a trial's outcome; false when that attempt had been handed to another process (outcome discarded). */
  tell(studyId: number, trialNumber: number, outcome: TrialOutcomeUpdate): boolean;
  /** Gives a running trial back (an interrupted search): it becomes stale and the next ask re-runs it. */
  release(studyId: number, trialNumber: number, attempt: number): void;
  /** Marks a running trial as alive now, so it is not mistaken for one that lost its worker. */
  heartbeat(studyId: number, trialNumber: number): void;
  /** Number of trials per status; statuses with no trials are absent. */
  countTrials(studyId: number): Partial<Record<TrialStatus, number>>;
  /** A trial's best-epoch weights, or null when it kept none. */
  checkpoint(studyId: number, trialNumber: number): Uint8Array | null;
  /** The numbers of the trials that hold a checkpoint, ascending. */
  checkpointNumbers(studyId: number): number[];
  /**
   * Drops the checkpoint of every trial not in the set `keep` returns (--keep-checkpoints).
   * One transaction: `keep` sees the trials as they are when the drop happens, so a trial
   * told meanwhile by another process is judged too. Returns the numbers dropped.
   */
  dropCheckpoints(studyId: number, keep: (study: StudyRecord, trials: readonly TrialRecord[]) => ReadonlySet<number>): number[];
  close(): void;
}
