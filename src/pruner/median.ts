// The median stopping rule, exactly as Optuna's MedianPruner (a PercentilePruner at 50):
// after an epoch, a trial stops when its best value so far is worse than the median of the
// completed trials' values at the same epoch. With an epoch as Optuna's step:
//   - no pruning until `startupTrials` trials have completed (n_startup_trials, 5);
//   - none before epoch `warmupEpochs` (n_warmup_steps, 0: "disabled while the current
//     step is less than n_warmup_steps");
//   - a check only at the first epoch reported in each interval of `intervalEpochs` after
//     the warm-up (interval_steps, 1);
//   - no pruning when fewer than `minTrials` completed trials reported the epoch
//     (n_min_trials, 1);
//   - a trial whose every value so far is NaN is pruned; NaN values of completed trials
//     are left out of the median (numpy's nanpercentile, linear interpolation).
import { GradtuneError } from '../errors.js';
import type { Direction } from '../train/types.js';
import type { Pruner } from './types.js';

export interface MedianPrunerOptions {
  startupTrials?: number;
  warmupEpochs?: number;
  intervalEpochs?: number;
  minTrials?: number;
}

export const MEDIAN_DEFAULTS = { startupTrials: 5, warmupEpochs: 0, intervalEpochs: 1, minTrials: 1 } as const;

/** What the percentile rule reads; `step` is the trial's last reported step. */
export interface PercentileInput {
  direction: Direction;
  /** Completed trials in the study. */
  completedTrials: number;
  /** The trial's reported values by step. */
  values: ReadonlyMap<number, number>;
  /** The completed trials' values at a step: finite ones ascending, and how many reported it. */
  completedAt(step: number): { values: readonly number[]; reported: number };
}

export type PercentileOutcome =
  | { prune: false }
  | { prune: true; reason: 'nan'; step: number }
  | { prune: true; reason: 'worse'; step: number; best: number; threshold: number; trials: number };

/** numpy's percentile (linear interpolation) of ascending finite values; NaN when there are none. */
export function percentileOf(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Optuna's _is_first_in_interval_step. */
function firstInInterval(step: number, steps: Iterable<number>, warmup: number, interval: number): boolean {
  const nearestLower = Math.floor((step - warmup) / interval) * interval + warmup;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestLower;
}

/** Optuna's PercentilePruner.prune, on a trial's values and the completed trials'. */
export function percentileRule(percentile: number, options: Required<MedianPrunerOptions>, input: PercentileInput): PercentileOutcome {
  const { startupTrials, warmupEpochs, intervalEpochs, minTrials } = options;
  if (input.completedTrials === 0 || input.completedTrials < startupTrials) return { prune: false };
  if (input.values.size === 0) return { prune: false };
  const step = Math.max(...input.values.keys());
  if (step < warmupEpochs) return { prune: false };
  if (!firstInInterval(step, input.values.keys(), warmupEpochs, intervalEpochs)) return { prune: false };
  const max = input.direction === 'max';
  let best = NaN;
  for (const v of input.values.values()) {
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(best) || (max ? v > best : v < best)) best = v;
  }
  if (Number.isNaN(best)) return { prune: true, reason: 'nan', step };
  const at = input.completedAt(step);
  if (at.reported < minTrials) return { prune: false };
  const threshold = percentileOf(at.values, max ? 100 - percentile : percentile);
  if (Number.isNaN(threshold)) return { prune: false };
  return (max ? best < threshold : best > threshold) ? { prune: true, reason: 'worse', step, best, threshold, trials: at.values.length } : { prune: false };
}

function checkWhole(flag: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new GradtuneError(`${flag} must be a whole number >= ${min}, got ${value}`);
  return value;
}

/** The options with their defaults, checked (one line per mistake, naming the flag). */
export function resolveMedianOptions(o: MedianPrunerOptions = {}): Required<MedianPrunerOptions> {
  return {
    startupTrials: checkWhole('--pruner-startup-trials', o.startupTrials ?? MEDIAN_DEFAULTS.startupTrials, 0),
    warmupEpochs: checkWhole('--pruner-warmup-epochs', o.warmupEpochs ?? MEDIAN_DEFAULTS.warmupEpochs, 0),
    intervalEpochs: checkWhole('--pruner-interval-epochs', o.intervalEpochs ?? MEDIAN_DEFAULTS.intervalEpochs, 1),
    minTrials: checkWhole('--pruner-min-trials', o.minTrials ?? MEDIAN_DEFAULTS.minTrials, 1),
  };
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));

export function medianPruner(options: MedianPrunerOptions = {}): Pruner {
  const o = resolveMedianOptions(options);
  return {
    name: 'median',
    prune({ study, trial, values }) {
      const outcome = percentileRule(50, o, {
        direction: study.objective.direction,
        completedTrials: values.completedTrials,
        values: values.trial(trial.number),
        completedAt: (step) => values.completed(step),
      });
      if (!outcome.prune) return false;
      const metric = study.objective.metric;
      if (outcome.reason === 'nan') return `median: every ${metric} up to epoch ${outcome.step} is NaN`;
      const worse = study.objective.direction === 'max' ? 'below' : 'above';
      return `median: best ${metric} ${fmt(outcome.best)} is ${worse} the median ${fmt(outcome.threshold)} of ${outcome.trials} completed trials at epoch ${outcome.step}`;
    },
  };
}
