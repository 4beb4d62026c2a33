// The Sampler plug-in: how a new configuration is drawn (random, TPE, GP or the user's
// own), apart from when trials run and for how many epochs (the oracle's job).
//
// A sampler is a pure function of what it is given: the space, the objective's
// direction, a seeded rng and the study's trials. The oracle derives the rng from the
// study's seed and what identifies the work (random search: the trial number; Hyperband:
// the round-0 slot) plus a redraw attempt, so the same seed and the same history always
// give the same suggestion, in any process, after any resume.
import type { Params, SearchSpaceDefinition } from '../space/types.js';

/** A trial's status, as the store records it (the same union, kept here so samplers never import the store). */
export type SummaryStatus = 'running' | 'completed' | 'rejected' | 'pruned' | 'failed' | 'stale';

/**
 * What a sampler knows of one trial: light enough that an ask costs the same at 10
 * trials and at 10,000 (no per-epoch history, no diagnostics). A store's trial record
 * has all these fields, so the oracles pass their records as they are.
 */
export interface TrialSummary {
  /** 0-based, unique within the study, in ask order. */
  readonly number: number;
  readonly status: SummaryStatus;
  /** The active parameters; a parameter the build did not reach is absent. */
  readonly params: Params;
  /** The objective's value; null when the trial has none (running, failed, rejected before an epoch ended). */
  readonly score: number | null;
  /** Epochs the trial trained (early stopping and rejection end it sooner). */
  readonly epochsRun: number;
  /**
   * The budget the score was obtained at: the epoch the oracle asked the trial to train
   * to. null: the study's whole budget (random search), ranked above every number.
   */
  readonly toEpoch: number | null;
  /** The trial this one continues (a Hyperband promotion, same params), or null for a fresh draw. */
  readonly parent: number | null;
}

/** Everything a sampler draws one configuration from. */
export interface SampleContext {
  /** The search space; run its build through `sampleParams(space, decider)` (define-by-run). */
  readonly space: SearchSpaceDefinition;
  /** Whether a higher or a lower score is better. */
  readonly direction: 'min' | 'max';
  /** Uniform in [0, 1), seeded by the oracle: the sampler's only source of randomness. */
  readonly rng: () => number;
  /** Every trial of the study so far, running ones included, in any order. */
  readonly trials: readonly TrialSummary[];
}

/**
 * Draws new configurations. Implement it to plug your own strategy into random search
 * or Hyperband; use `rng` for every random choice and never keep state between calls
 * (another process may ask next), so that the same seed and history give the same
 * configuration. Values outside a parameter's range are refused with an error naming it.
 *
 * @example A sampler that stays near the best trial so far:
 * ```ts
 * import { sampleParams, randomDecider, type Sampler } from 'gradtune';
 *
 * export const nearBest: Sampler = {
 *   name: 'near-best',
 *   sample({ space, direction, rng, trials }) {
 *     const done = trials.filter((t) => t.status === 'completed' && t.score !== null);
 *     const random = randomDecider(rng);
 *     if (done.length < 5) return sampleParams(space, random);
 *     const sign = direction === 'max' ? 1 : -1;
 *     const best = done.reduce((a, b) => (sign * b.score! > sign * a.score! ? b : a));
 *     // Keep each of the best trial's values with probability 0.7, redraw the others.
 *     return sampleParams(space, (spec, dflt) => (spec.name in best.params && rng() < 0.7 ? best.params[spec.name] : random(spec, dflt)));
 *   },
 * };
 * ```
 */
export interface Sampler {
  /** A short name reports and plans print, e.g. `tpe`. */
  readonly name: string;
  /** One configuration: the params of the parameters the space's build reached. */
  sample(ctx: SampleContext): Params;
}
