// Asynchronous successive halving as a pruner, exactly as Optuna's SuccessiveHalvingPruner
// (the ASHA rule of Li et al. 2020 applied to trials that run whole): rungs at epochs
// minEpochs * factor^(k + minEarlyStoppingRate); when a trial reaches a rung, its value
// there is compared with the values of every trial that reached the rung (whatever became
// of it since, the trial itself included), and it goes on only if it is within the top
// 1/factor of them: its value is at least as good as the one at the promotable index
// len / factor - 1 (integer division, at least 0, so that among fewer than `factor`
// trials only the best goes on). A NaN at a rung is pruned; with `bootstrapCount`, a
// trial is pruned while no more than that many trials have reached the rung.
//
// With an epoch as Optuna's step (the resource), and every epoch reported, a trial's
// value at rung k is its value at that rung's epoch.
import { GradtuneError } from '../errors.js';
import type { Direction } from '../train/types.js';
import type { Pruner } from './types.js';

export interface SuccessiveHalvingOptions {
  /** Epochs of the first rung (Optuna's min_resource; 'auto' is not offered). Default 1. */
  minEpochs?: number;
  /** Optuna's reduction_factor. Default 3 (gradtune's Hyperband and ASHA factor; Optuna's is 4). */
  factor?: number;
  /** Optuna's min_early_stopping_rate: the first rung is at minEpochs * factor^rate. Default 0. */
  minEarlyStoppingRate?: number;
  /** Optuna's bootstrap_count. Default 0. */
  bootstrapCount?: number;
}

export const SUCCESSIVE_HALVING_DEFAULTS = { minEpochs: 1, factor: 3, minEarlyStoppingRate: 0, bootstrapCount: 0 } as const;

/** The rung whose epoch `epoch` is, or -1. */
export function rungAt(epoch: number, o: Required<SuccessiveHalvingOptions>): number {
  let rungEpoch = o.minEpochs * o.factor ** o.minEarlyStoppingRate;
  for (let k = 0; rungEpoch <= epoch; k++, rungEpoch *= o.factor) {
    if (rungEpoch === epoch) return k;
  }
  return -1;
}

export type HalvingOutcome =
  | { prune: false; rung: number }
  | { prune: true; rung: number; reason: 'nan' | 'bootstrap' | 'worse'; competing: number; kept: number };

/**
 * Optuna's rule at one epoch: `value` is the trial's value there, `competing` the finite
 * values of every trial that reached this epoch, the trial's own included, ascending.
 */
export function successiveHalvingRule(o: Required<SuccessiveHalvingOptions>, direction: Direction, epoch: number, value: number, competing: readonly number[]): HalvingOutcome {
  const rung = rungAt(epoch, o);
  if (rung < 0) return { prune: false, rung };
  const n = competing.length;
  if (Number.isNaN(value)) return { prune: true, rung, reason: 'nan', competing: n, kept: 0 };
  if (n <= o.bootstrapCount) return { prune: true, rung, reason: 'bootstrap', competing: n, kept: 0 };
  const index = Math.max(0, Math.floor(n / o.factor) - 1);
  const promotable = direction === 'max' ? value >= competing[n - 1 - index] : value <= competing[index];
  return promotable ? { prune: false, rung } : { prune: true, rung, reason: 'worse', competing: n, kept: index + 1 };
}

function checkWhole(flag: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new GradtuneError(`${flag} must be a whole number >= ${min}, got ${value}`);
  return value;
}

export function resolveSuccessiveHalvingOptions(o: SuccessiveHalvingOptions = {}): Required<SuccessiveHalvingOptions> {
  return {
    minEpochs: checkWhole('--pruner-min-epochs', o.minEpochs ?? SUCCESSIVE_HALVING_DEFAULTS.minEpochs, 1),
    factor: checkWhole('--factor', o.factor ?? SUCCESSIVE_HALVING_DEFAULTS.factor, 2),
    minEarlyStoppingRate: checkWhole('--pruner-min-early-stopping-rate', o.minEarlyStoppingRate ?? SUCCESSIVE_HALVING_DEFAULTS.minEarlyStoppingRate, 0),
    bootstrapCount: checkWhole('--pruner-bootstrap-count', o.bootstrapCount ?? SUCCESSIVE_HALVING_DEFAULTS.bootstrapCount, 0),
  };
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));

/** `--pruner asha`: successive-halving pruning on rungs at minEpochs * factor^k. */
export function successiveHalvingPruner(options: SuccessiveHalvingOptions = {}): Pruner {
  const o = resolveSuccessiveHalvingOptions(options);
  return {
    name: 'asha',
    prune({ study, trial, epoch, values }) {
      const value = values.trial(trial.number).get(epoch);
      if (value === undefined) return false;
      const outcome = successiveHalvingRule(o, study.objective.direction, epoch, value, values.reached(epoch));
      if (!outcome.prune) return false;
      const metric = study.objective.metric;
      const where = `at epoch ${epoch} (rung ${outcome.rung})`;
      if (outcome.reason === 'nan') return `asha: ${metric} is NaN ${where}`;
      if (outcome.reason === 'bootstrap') return `asha: ${outcome.competing} trials reached epoch ${epoch} (rung ${outcome.rung}), not more than --pruner-bootstrap-count ${o.bootstrapCount}`;
      return `asha: ${metric} ${fmt(value)} ${where} is not among the best ${outcome.kept} of the ${outcome.competing} trials that reached it`;
    },
  };
}
