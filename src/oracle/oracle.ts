import type { Params } from '../space/types.js';
import type { StudyRecord, TrialRecord } from '../store/store.js';

/** Where a trial sits in an algorithm's schedule (Hyperband: iteration, bracket, round). */
export interface ScheduleSlot {
  iteration: number;
  bracket: number;
  round: number;
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
  next(study: StudyRecord, trials: readonly TrialRecord[]): Decision;
}
