// The Pruner plug-in: after each epoch of a running trial, whether to stop it now because
// it is clearly worse than other trials at the same epoch (Optuna's pruners).
//
// A pruner is a pure function of the study, its trials and their per-epoch objective
// values: it keeps no state between calls (another process may judge the next epoch), so
// a resumed search and several processes prune by the same rule.
import type { StudyRecord, TrialSummary } from '../store/store.js';
import type { EpochValues } from '../store/epoch-values.js';

export type { EpochValues } from '../store/epoch-values.js';

/** Everything a pruner judges one epoch of one trial by. */
export interface PruneContext {
  /** The study: its objective (metric, direction), settings and seed. */
  readonly study: StudyRecord;
  /** The trial being judged (running). */
  readonly trial: TrialSummary;
  /** The epoch it has just finished (1-based, numbered as in its history). */
  readonly epoch: number;
  /**
   * The study's per-epoch objective values, this trial's included (its epoch is stored
   * before the pruner is asked); `values.trial(ctx.trial.number)` is this trial's curve.
   */
  readonly values: EpochValues;
  /** The study's trials as summaries (status, params, score...), running ones included. */
  readonly trials: readonly TrialSummary[];
}

/**
 * Stop (`true`, or a string saying why, which is recorded as the trial's pruning rule)
 * or let the trial go on (`false`, `null`, `undefined`).
 */
export type PruneVerdict = boolean | string | null | undefined;

/**
 * Decides after each epoch whether a running trial stops. Implement it to prune by your
 * own rule: `new Tuner({ pruner: myPruner })`.
 *
 * @example Stop a trial whose validation accuracy is below 0.5 after epoch 3:
 * ```ts
 * const floor: Pruner = {
 *   name: 'floor',
 *   prune: ({ epoch, values, trial }) => epoch >= 3 && (values.trial(trial.number).get(epoch) ?? 0) < 0.5 && `below 0.5 at epoch ${epoch}`,
 * };
 * ```
 */
export interface Pruner {
  /** A short name, stored with the study and printed by reports (e.g. `median`). */
  readonly name: string;
  prune(ctx: PruneContext): PruneVerdict | Promise<PruneVerdict>;
}

/** The rule a verdict records, or undefined when the trial goes on. */
export function verdictRule(pruner: Pruner, verdict: PruneVerdict): string | undefined {
  if (verdict === true) return pruner.name;
  if (typeof verdict === 'string' && verdict.length > 0) return verdict;
  return undefined;
}
