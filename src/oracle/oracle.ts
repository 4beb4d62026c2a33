import type { Params } from '../space/types.js';
import type { StudyRecord, TrialRecord } from '../store/store.js';

/** What an oracle decides when asked for the next trial. */
export type Decision =
  | { kind: 'run'; params: Params }
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
