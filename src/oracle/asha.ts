// ASHA, asynchronous successive halving (Li et al. 2020, "A System for Massively Parallel
// Hyperparameter Tuning", Algorithm 2), as a pure oracle: rungs at minEpochs * factor^k
// below --max-epochs, and --max-epochs itself as the top rung. Whenever a worker asks:
//   - from the highest rung down to the lowest below the top, the best trial of the rung
//     not yet promoted, if it is within the top 1/factor of the trials that finished the
//     rung (floor(n / factor) of n), is promoted: a new trial continuing it from its
//     checkpoint, from this rung's epoch to the next one's (as Hyperband's promotions);
//   - otherwise a new configuration starts at rung 0.
// No promotion ever waits for a rung to fill, so no worker waits: a decision is made from
// the trials finished so far. A promotion that a later result would not have made is the
// price of that (the paper's "mispromotions"); the results grow in quality as rungs fill.
//
// New configurations come from the study's sampler, with an rng drawn from (seed, index of
// the configuration), never from the trial number or which worker asked: with the random
// sampler the n-th configuration is the same whatever the number of workers, and with one
// worker a seed gives one search (a model-based sampler also reads the history).
import { GradtuneError } from '../errors.js';
import { paramsKey } from '../space/params.js';
import { drawUntried } from '../sampler/draw.js';
import { randomSampler } from '../sampler/random.js';
import type { Sampler } from '../sampler/types.js';
import type { SearchSpaceDefinition } from '../space/types.js';
import type { StudyRecord, TrialSummary } from '../store/store.js';
import type { AshaSlot, Decision, SyncOracle } from './oracle.js';

export interface AshaOptions {
  /** Epochs of the top rung: a trial promoted all the way trains this many. */
  maxEpochs: number;
  /** Promote the top 1/factor of a rung; rungs grow by this factor. A whole number >= 2. */
  factor: number;
  /** Epochs of rung 0 (Li et al.'s r; Ray Tune's grace_period). Default 1. */
  minEpochs?: number;
  /** Redraws of an already tried configuration before the space counts as exhausted. */
  maxCollisions?: number;
  /**
   * How rung 0's new configurations are drawn (the study's sampler). Default: random. A
   * model-based sampler reads every trial with its budget (toEpoch).
   */
  sampler?: Sampler;
}

export const ASHA_DEFAULTS = { maxEpochs: 27, factor: 3, minEpochs: 1 } as const;

/** The epochs each rung trains to: minEpochs * factor^k below maxEpochs, then maxEpochs. */
export function ashaRungs(opts: { maxEpochs: number; factor: number; minEpochs?: number }): number[] {
  const { maxEpochs, factor } = opts;
  const minEpochs = opts.minEpochs ?? ASHA_DEFAULTS.minEpochs;
  if (!Number.isInteger(factor) || factor < 2) throw new GradtuneError(`--factor must be a whole number >= 2, got ${factor}`);
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1) throw new GradtuneError(`--max-epochs must be a whole number >= 1, got ${maxEpochs}`);
  if (!Number.isInteger(minEpochs) || minEpochs < 1 || minEpochs > maxEpochs) {
    throw new GradtuneError(`--min-epochs must be a whole number from 1 to --max-epochs (${maxEpochs}), got ${minEpochs}`);
  }
  const rungs: number[] = [];
  for (let e = minEpochs; e < maxEpochs; e *= factor) rungs.push(e);
  rungs.push(maxEpochs);
  return rungs;
}

/** A trial whose result a promotion can use: completed, with a finite score. */
function succeeded(t: TrialSummary): boolean {
  return t.status === 'completed' && t.score !== null && Number.isFinite(t.score);
}

/** A stale trial (lost its process) is handed out again by the store, in its own slot; it holds it meanwhile. */
function rungOf(t: TrialSummary): number | undefined {
  return t.slot && t.slot.kind === 'asha' && t.status !== 'stale' ? t.slot.rung : undefined;
}

export function ashaOracle(space: SearchSpaceDefinition, opts: AshaOptions): SyncOracle {
  const rungs = ashaRungs(opts);
  const maxCollisions = opts.maxCollisions ?? 50;
  const sampler = opts.sampler ?? randomSampler();
  const top = rungs.length - 1;

  return {
    next(study: StudyRecord, trials: readonly TrialSummary[]): Decision {
      const byRung: TrialSummary[][] = rungs.map(() => []);
      for (const t of trials) {
        const k = rungOf(t);
        if (k !== undefined && k <= top) byRung[k].push(t);
      }
      const sign = study.objective.direction === 'max' ? -1 : 1;
      // Equal scores: the earlier trial first, so a decision never depends on arrival order.
      const better = (a: TrialSummary, b: TrialSummary) => sign * (a.score! - b.score!) || a.number - b.number;

      for (let k = top - 1; k >= 0; k--) {
        // Trials that finished the rung count, whatever their result: a rejected or failed
        // configuration is one the rung beat. Running ones have no result yet.
        const finished = byRung[k].filter((t) => t.status !== 'running');
        const places = Math.floor(finished.length / opts.factor);
        if (places === 0) continue;
        const promoted = new Set(byRung[k + 1].map((t) => t.parent));
        const best = finished.filter(succeeded).sort(better).slice(0, places);
        const next = best.find((t) => !promoted.has(t.number));
        if (next) {
          const slot: AshaSlot = { kind: 'asha', rung: k + 1 };
          return { kind: 'run', params: next.params, parent: next.number, fromEpoch: rungs[k], toEpoch: rungs[k + 1], slot };
        }
      }

      const tried = new Set(byRung[0].map((t) => paramsKey(t.params)));
      const index = byRung[0].length;
      const params = drawUntried({
        space,
        sampler,
        direction: study.objective.direction,
        trials,
        tried,
        maxCollisions,
        rngSeed: (attempt) => `${study.seed}:asha:${index}:${attempt}`,
      });
      if (params) return { kind: 'run', params, fromEpoch: 0, toEpoch: rungs[0], slot: { kind: 'asha', rung: 0 } };
      // Nothing new to try: what is running may still earn a promotion.
      if (trials.some((t) => t.status === 'running')) return { kind: 'wait' };
      return { kind: 'done', reason: `the search space is exhausted: ${maxCollisions} draws in a row repeated one of the ${tried.size} configurations already tried` };
    },
  };
}
