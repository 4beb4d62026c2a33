import type { Params } from '../space/types.js';
import type { QueuedParams, StudyRecord, TrialSummary } from '../store/store.js';

/**
 * Where a trial sits in Hyperband's schedule. `kind` is absent in the slots Hyperband
 * writes (and in every slot stored before other schedules existed).
 */
export interface HyperbandSlot {
  kind?: 'hyperband';
  iteration: number;
  bracket: number;
  round: number;
}

/** Where a trial sits in ASHA's rungs: rung 0 trains a new configuration, rung k > 0 continues a promoted one. */
export interface AshaSlot {
  kind: 'asha';
  rung: number;
}

/** Where a trial sits in an algorithm's schedule; stored with the trial as JSON. */
export type ScheduleSlot = HyperbandSlot | AshaSlot;

/** A Hyperband slot (old stores' slots have no kind). */
export function isHyperbandSlot(slot: ScheduleSlot | null | undefined): slot is HyperbandSlot {
  return slot !== null && slot !== undefined && slot.kind !== 'asha';
}

/** A trial to start: its params and, for schedules of epochs, what it trains. */
export interface RunDecision {
  kind: 'run';
  params: Params;
  /** The trial this one continues (its weights are the parent's best-epoch checkpoint). */
  parent?: number;
  /** Epochs already trained by the parent (0 for a fresh trial). */
  fromEpoch?: number;
  /** The epoch to train to; absent: the study's --max-epochs (and the space's epochs). */
  toEpoch?: number;
  slot?: ScheduleSlot;
  /** The rejected trial this one repairs (--repair). */
  repairOf?: number;
  /** The queued configuration (`gradtune enqueue`) this trial runs; the store marks it taken. */
  queued?: number;
}

/** What an oracle decides when asked for the next trial. */
export type Decision =
  | RunDecision
  /** Nothing can start until a running trial finishes. */
  | { kind: 'wait' }
  | { kind: 'done'; reason: string };

/**
 * An oracle is pure: its decision is a function of the study (settings, seed) and the
 * trial history alone. It keeps no state between calls, so resuming, several
 * processes and several machines need no extra machinery.
 */
export interface Oracle {
  /**
   * `trials` are light summaries (no histories); `queued` the configurations the user
   * enqueued, which an oracle that draws fresh configurations runs first (see
   * withQueue in src/oracle/queue.ts). May be async (a model-based sampler).
   */
  next(study: StudyRecord, trials: readonly TrialSummary[], queued?: readonly QueuedParams[]): Decision | Promise<Decision>;
}

/** An oracle that decides synchronously, as the built-in ones do. */
export interface SyncOracle extends Oracle {
  next(study: StudyRecord, trials: readonly TrialSummary[], queued?: readonly QueuedParams[]): Decision;
}
