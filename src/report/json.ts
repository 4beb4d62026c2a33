// The JSON shape of a trial, shared by the leaderboard (`report --format json`) and the
// single-trial report (`report --trial n --format json`), so a script reads both alike.
import type { TrialRecord } from '../store/store.js';
import { epochRange } from './lineage.js';

/**
 * Everything stored about the trial, nothing dropped; its hyperparameters in their own
 * `params` object, so none can collide with a field of the result. Fields: `gradients` is the monitor's whole
 * record (verdict with evidence, checks, per-epoch per-layer statistics, settings), null
 * when there is none (a failed or running trial, or the monitor was off).
 */
export function trialJson(rank: number | null, trial: TrialRecord) {
  return {
    rank,
    number: trial.number,
    status: trial.status,
    score: trial.score,
    // Several runs (executions per trial, folds): the spread of their scores, and each run.
    ...(trial.runs ? { scoreStd: trial.scoreStd, runs: trial.runs } : {}),
    bestEpoch: trial.bestEpoch,
    epochsRun: trial.epochsRun,
    plannedEpochs: trial.plannedEpochs,
    // Lineage: the trial this one continues (a Hyperband promotion) and the epochs it
    // trained, numbered across the chain (fromEpoch: its parent's, 0 for a fresh trial;
    // toEpoch: the last one it reached), and its place in the algorithm's schedule.
    parent: trial.parent,
    fromEpoch: epochRange(trial).from,
    toEpoch: epochRange(trial).to,
    slot: trial.slot,
    durationMs: trial.durationMs,
    backend: trial.backend,
    params: trial.params,
    history: trial.history,
    gradients: trial.diagnostics,
    error: trial.error,
    // A pruned trial: the epoch it stopped at and the rule that stopped it; else null.
    pruned: trial.pruned,
    // Runs of the trial: > 1 when it lost its process or was retried after failing.
    attempt: trial.attempt,
    retries: trial.retries,
    // --repair: the rejected trial this one repairs.
    repairOf: trial.repairOf,
  };
}

/**
 * JSON.stringify writes NaN and ±Infinity as null, which would make an exploding loss
 * look like a missing one; the gradient story is exactly what the history must keep.
 */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}
