import type { Params } from '../space/types.js';
import type { EpochRecord, Objective, BackendName, TrialRun } from '../train/types.js';
import type { DataSource } from '../data/types.js';
import type { Remedy, TrialDiagnostics } from '../train/diagnostics-types.js';
import type { Decision, ScheduleSlot } from '../oracle/oracle.js';
import type { EpochValues } from './epoch-values.js';

export type { EpochValues } from './epoch-values.js';

export type TrialStatus = 'running' | 'completed' | 'rejected' | 'pruned' | 'failed' | 'stale';

/** What a study is, fixed when it is created. */
export interface NewStudy {
  name: string;
  /** The space as the user named it: a built-in name or a module path. */
  space: string;
  /**
   * sha256 of the space module's source (for a built-in, of its file): every process that
   * joins the study must load the same space. Empty for studies made before it was kept.
   */
  spaceFingerprint?: string;
  /** The dataset as the user named it (built-in name or file path) and its fingerprint. */
  datasetName: string;
  datasetFingerprint: string;
  /** The data options (target, task, valSplit, seed) so workers can reload the same split. */
  data: DataSource;
  objective: Objective;
  algorithm: string;
  /**
   * Everything else that shapes the search, as the study was created with it (see
   * src/study/settings.ts): the algorithm's settings, max trials, diagnostics, retries...
   * Every process builds its oracle from these, never from its own flags.
   */
  settings: Record<string, unknown>;
  seed: number;
  maxEpochs: number;
}

export interface StudyRecord extends NewStudy {
  id: number;
  createdAt: string; // ISO 8601
}

/**
 * A trial without its bulky parts (history, diagnostics, error, checkpoint): what oracles,
 * samplers, retention and progress decide from, so an ask costs the same at 10 trials
 * and at 10,000. Finished trials never change, so a process caches their summaries.
 */
export interface TrialSummary {
  studyId: number;
  /** 0-based, unique within a study, assigned in ask order. */
  number: number;
  status: TrialStatus;
  params: Params;
  score: number | null;
  bestEpoch: number | null;
  epochsRun: number;
  backend: BackendName | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  heartbeatAt: string | null;
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
  /** A rejected trial's remedies, in the order --repair tries them (src/oracle/repair.ts); null otherwise. */
  remedies: Remedy[] | null;
  /**
   * Seed of the trial's weights and batch order, derived from what identifies its work
   * (configuration and epoch range), so it does not depend on which worker asked first.
   * Null for trials stored before it was kept (they were seeded from their number).
   */
  seed: number | null;
  /** Validation loss at the best epoch: breaks ties on the objective (src/report/rank.ts). */
  bestValLoss: number | null;
  /** With several runs (executions, folds): the standard deviation of their scores; else null. */
  scoreStd: number | null;
  /** Whether the store holds the trial's best-epoch weights. */
  hasCheckpoint: boolean;
  /** A pruned trial: the epoch it stopped at and the rule that stopped it; else null. */
  pruned: PrunedAt | null;
}

/** Where and why a pruner stopped a trial. */
export interface PrunedAt {
  epoch: number;
  rule: string;
}

/** One epoch of a running trial, as the process running it reports it (per-epoch reports). */
export interface NewEpoch {
  number: number;
  /** The attempt of the trial that trained the epoch: a re-run's epochs never mix with an earlier run's. */
  attempt: number;
  /** Which run of a trial that trains several (executions, folds), fold-major; 0 for a single run. */
  run: number;
  epoch: number;
  /** The objective's value at this epoch; null when it is not a finite number. */
  value: number | null;
  record: EpochRecord;
}

/** A stored epoch; `id` grows with every epoch stored in the study (a "changed since" cursor). */
export interface StoredEpoch extends NewEpoch {
  id: number;
}

/** A trial with everything: what reports and exports read. */
export interface TrialRecord extends TrialSummary {
  history: EpochRecord[];
  error: string | null;
  /** Gradient verdict, evidence and per-epoch statistics; null when the monitor was off or the trial has not finished. */
  diagnostics: TrialDiagnostics | null;
  /** With several runs (executions, folds): each run's seed, score and epochs; else null. */
  runs: TrialRun[] | null;
}

/** An earlier run of a trial that was handed out again (stale, or retried after failing). */
export interface TrialAttempt {
  number: number;
  attempt: number;
  status: TrialStatus;
  owner: string | null;
  startedAt: string;
  finishedAt: string | null;
  score: number | null;
  epochsRun: number;
  error: string | null;
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
  /** A pruned trial: the epoch and the rule. */
  pruned?: PrunedAt | null;
  /** Several runs: each run, and the spread of their scores. */
  runs?: TrialRun[] | null;
  scoreStd?: number | null;
  /** A rejected trial: its remedies in the order --repair tries them (repairRemedies in src/oracle/repair.ts). */
  remedies?: Remedy[] | null;
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
  /** The sampler that draws new configurations (settings.sampler), when the algorithm uses one. */
  sampler?: string;
  objective: Objective;
  createdAt: string;
  counts: Partial<Record<TrialStatus, number>>;
  best: number | null;
  /** The latest start or finish of any trial, or the creation date. */
  lastActivity: string;
}

/** A configuration queued by `gradtune enqueue`, run before the algorithm draws new ones. */
export interface QueuedParams {
  id: number;
  params: Params;
}

/** How an oracle is asked: the study, its trial summaries and the configurations queued. */
export type Decide = (study: StudyRecord, trials: readonly TrialSummary[], queued: readonly QueuedParams[]) => Decision | Promise<Decision>;

/** The result of one ask: the decision, and for `run` the trial that was inserted. */
export type AskResult =
  /** `rerun`: the trial is an earlier one handed out again, because it went stale or failed (--max-retries). */
  | { kind: 'run'; trial: TrialSummary; rerun?: 'stale' | 'retry' }
  | { kind: 'wait' }
  | { kind: 'done'; reason: string };

/**
 * The single source of truth for studies and trials, on SQLite (one file) or PostgreSQL
 * (many machines). Every method is asynchronous; nothing outside src/store sees which
 * store it talks to. One contract test suite (test/store-contract.ts) runs against each.
 */
export interface Store {
  /** Where the store is, fit to print: a file path, or a URL with its password as `***`. */
  readonly location: string;
  createStudy(study: NewStudy): Promise<StudyRecord>;
  getStudy(name: string): Promise<StudyRecord | undefined>;
  /** Replaces the study's settings (e.g. a raised --max-trials); everything else is fixed. */
  updateStudySettings(studyId: number, settings: Record<string, unknown>): Promise<StudyRecord>;
  deleteStudy(name: string): Promise<void>;
  listStudies(): Promise<StudySummary[]>;
  /**
   * The study's trials as summaries, from this process's cache plus what changed in the
   * store since its last read (finished trials never change).
   */
  summaries(studyId: number): Promise<TrialSummary[]>;
  /**
   * Full trials (history, diagnostics, error) for reports: all of them, or the numbers given.
   * A running trial's history is the epochs it has reported so far (its current attempt;
   * of a trial that trains several runs, the latest run), and its epochsRun their count.
   */
  trials(studyId: number, numbers?: readonly number[]): Promise<TrialRecord[]>;
  /**
   * Full trials (as `trials` reads them) whose seq is above `sinceSeq` — every trial
   * inserted or changed (status, outcome, re-run, checkpoint dropped) since a reader last
   * asked — with the study's seq now, to pass next time (0: every trial). What a live view
   * (the dashboard) re-reads per poll, so polling a 10,000-trial study reads only what
   * changed. Epochs reported by running trials do not move the seq: follow them with
   * `epochsSince`. Throws the one-line error of a deleted study.
   *
   * `light`: finished trials come without what only their own charts draw: the history
   * holds its last epoch only, and so do the diagnostics' per-epoch statistics (running
   * trials come whole). Cut in the database, so a first read of 10,000 trials neither reads nor
   * decodes their ~100 MB of curves.
   */
  changedTrials(studyId: number, sinceSeq: number, opts?: { light?: boolean }): Promise<{ trials: TrialRecord[]; seq: number }>;
  /** One full trial, or undefined. */
  trial(studyId: number, number: number): Promise<TrialRecord | undefined>;
  /** Earlier runs of trials that were handed out again, oldest first. */
  attempts(studyId: number): Promise<TrialAttempt[]>;
  /**
   * Hands out the next trial: first a stale one (lost its process) or a failed one with
   * retries left, again under its own number and params; otherwise what `decide` says.
   * `decide` (the oracle, which runs the user's space) is called outside the store's
   * write lock; the decision is inserted only if the study has not changed meanwhile,
   * else it is asked again. Several processes never hand out the same trial.
   */
  ask(studyId: number, decide: Decide, opts?: AskOptions): Promise<AskResult>;
  /** Records a trial's outcome; false when that attempt had been handed to another process (outcome discarded). */
  tell(studyId: number, trialNumber: number, outcome: TrialOutcomeUpdate): Promise<boolean>;
  /** Gives a running trial back (an interrupted search): it becomes stale and the next ask re-runs it. */
  release(studyId: number, trialNumber: number, attempt: number): Promise<void>;
  /** Marks a running trial as alive now, so it is not mistaken for one that lost its worker. */
  heartbeat(studyId: number, trialNumber: number): Promise<void>;
  /**
   * Stores one epoch of a running trial. Cheap (one insert; the study's seq does not move,
   * since no decision of an oracle depends on it). Storing the same epoch of the same
   * attempt and run twice keeps the first.
   */
  reportEpoch(studyId: number, epoch: NewEpoch): Promise<void>;
  /**
   * The epochs stored in the study after `cursor` (0: from the start), oldest first, at most
   * `limit` (default 10,000), with the cursor to pass next time: what changed since the last
   * poll (the dashboard). Rows of every attempt and run; filter on `attempt` to follow a trial.
   */
  epochsSince(studyId: number, cursor: number, limit?: number): Promise<{ epochs: StoredEpoch[]; cursor: number }>;
  /**
   * The study's per-epoch objective values as pruners read them, from this process's cache
   * plus the epochs stored since its last read: a pruner's decision costs the same at 10
   * trials and at 10,000. The object is live: it is brought up to date by the next call.
   */
  epochValues(studyId: number): Promise<EpochValues>;
  /** Number of trials per status; statuses with no trials are absent. */
  countTrials(studyId: number): Promise<Partial<Record<TrialStatus, number>>>;
  /** A trial's best-epoch weights, or null when it kept none. */
  checkpoint(studyId: number, trialNumber: number): Promise<Uint8Array | null>;
  /** The numbers of the trials that hold a checkpoint, ascending. */
  checkpointNumbers(studyId: number): Promise<number[]>;
  /**
   * Drops the checkpoint of every trial not in the set `keep` returns (--keep-checkpoints).
   * One transaction: `keep` sees the trials as they are when the drop happens, so a trial
   * told meanwhile by another process is judged too. Returns the numbers dropped.
   */
  dropCheckpoints(studyId: number, keep: (study: StudyRecord, trials: readonly TrialSummary[]) => ReadonlySet<number>): Promise<number[]>;
  /** Queues a configuration to run next (`gradtune enqueue`); returns its queue id. */
  enqueue(studyId: number, params: Params): Promise<number>;
  /** Configurations queued and not yet taken by a trial, oldest first. */
  queued(studyId: number): Promise<QueuedParams[]>;
  close(): Promise<void>;
}
