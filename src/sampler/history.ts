// What model-based samplers read from a study's trials: which trials are observations,
// at which budget, and the declarations of the parameters they hold.
import { HyperParameters } from '../space/hyperparameters.js';
import type { ParamSpec, ParamValue, SearchSpaceDefinition } from '../space/types.js';
import type { TrialSummary } from './types.js';

/** Trials whose outcome is known: a model learns from each of them. */
export function isFinished(t: TrialSummary): boolean {
  return t.status === 'completed' || t.status === 'pruned' || t.status === 'rejected' || t.status === 'failed';
}

/** A completed trial with a usable score: the only kind that can rank among the good. */
export function hasScore(t: TrialSummary): boolean {
  return (t.status === 'completed' || t.status === 'pruned') && t.score !== null && Number.isFinite(t.score);
}

/** The budget a trial's score belongs to: its toEpoch, the whole budget (Infinity) when null. */
export function budgetOf(t: TrialSummary): number {
  return t.toEpoch ?? Infinity;
}

/** The trials in number order: the history's listing order (completion order) never matters. */
export function byNumber(trials: readonly TrialSummary[]): TrialSummary[] {
  return [...trials].sort((a, b) => a.number - b.number);
}

/**
 * The budget a model should learn from, as BOHB chooses it: the highest budget (toEpoch)
 * at which at least `minObservations` trials have finished; undefined when no budget has
 * that many (the sampler then draws at random, its start-up phase). Under random search
 * every trial has the same budget, and this is the start-up count of TPE and GP.
 */
export function modelBudget(trials: readonly TrialSummary[], minObservations: number): number | undefined {
  const counts = new Map<number, number>();
  for (const t of trials) if (isFinished(t)) counts.set(budgetOf(t), (counts.get(budgetOf(t)) ?? 0) + 1);
  let best: number | undefined;
  for (const [budget, count] of counts) if (count >= minObservations && (best === undefined || budget > best)) best = budget;
  return best;
}

/** A parameter's declaration and its default, as the space's build makes it. */
export interface Declared {
  spec: ParamSpec;
  defaultValue: ParamValue;
}

/**
 * The declaration of every parameter the trials hold. A define-by-run space has no list
 * of parameters, so the build is replayed with the values of the lowest-numbered trial
 * that holds a parameter not yet seen (a handful of builds, whatever the history's
 * length); every parameter that replay reaches is recorded. A pure function of the
 * trials: the same history gives the same declarations in every process.
 */
export function declaredParams(space: SearchSpaceDefinition, trials: readonly TrialSummary[]): Map<string, Declared> {
  const known = new Map<string, Declared>();
  for (const t of trials) {
    let unseen = false;
    for (const name in t.params) {
      if (!known.has(name)) {
        unseen = true;
        break;
      }
    }
    if (!unseen) continue;
    const hp = new HyperParameters((spec, defaultValue) => {
      if (!known.has(spec.name)) known.set(spec.name, { spec, defaultValue });
      return Object.hasOwn(t.params, spec.name) ? t.params[spec.name] : defaultValue;
    });
    try {
      space.build(hp);
    } catch {
      // A value the current space refuses (it changed since the trial ran) or a bug in
      // the build: the declarations reached so far are kept; the rest of this trial's
      // parameters are learnt from another trial, or left out of the model.
    }
    // A name the replay never reached (the space changed) must not trigger a replay per trial.
    for (const name in t.params) if (!known.has(name)) known.set(name, UNKNOWN);
  }
  for (const [name, d] of known) if (d === UNKNOWN) known.delete(name);
  return known;
}

const UNKNOWN: Declared = { spec: { kind: 'fixed', name: '', value: 0 }, defaultValue: 0 };
