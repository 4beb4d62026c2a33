// The pieces of TPE between the trials and the Parzen estimators: the good/bad split,
// the observations of a set of parameters, and one draw ranked by l(x) / g(x).
import { isNumeric, numericAxis } from './axis.js';
import { budgetOf, isFinished } from './history.js';
import { ParzenEstimator, type Dim } from './parzen.js';
import type { ParamSpec, ParamValue } from '../space/types.js';
import type { TrialSummary } from './types.js';

/** Optuna's default gamma: the good group is the best 10% of the observations, at most 25. */
export function goodCount(observations: number): number {
  return Math.min(Math.ceil(0.1 * observations), 25);
}

export interface Split {
  /** The good trials (l(x)), in number order. */
  below: TrialSummary[];
  /** The rest (g(x)): the other finished trials and the liars, in number order. */
  above: TrialSummary[];
}

/**
 * Optuna's split of the finished trials at one budget, with gradtune's two differences
 * stated: rejected and failed trials are observations too, always bad; and the running
 * trials passed as `liars` join the bad side (constant liar) so that parallel asks
 * spread out. The good side takes the best completed trials by score, then, if it is
 * still short, the pruned ones that got furthest (more epochs, then better score).
 */
export function splitTrials(observations: readonly TrialSummary[], liars: readonly TrialSummary[], direction: 'min' | 'max'): Split {
  const sign = direction === 'max' ? -1 : 1;
  let wanted = goodCount(observations.length);
  const completed = observations.filter((t) => t.status === 'completed' && t.score !== null && Number.isFinite(t.score));
  completed.sort((a, b) => sign * (a.score! - b.score!) || a.number - b.number);
  const below = completed.slice(0, wanted);
  wanted -= below.length;
  if (wanted > 0) {
    const pruned = observations.filter((t) => t.status === 'pruned');
    const score = (t: TrialSummary) => (t.score !== null && Number.isFinite(t.score) ? sign * t.score : Infinity);
    pruned.sort((a, b) => b.epochsRun - a.epochsRun || score(a) - score(b) || a.number - b.number);
    below.push(...pruned.slice(0, wanted));
  }
  const good = new Set(below);
  const above = [...observations.filter((t) => !good.has(t)), ...liars];
  const byNumber = (a: TrialSummary, b: TrialSummary) => a.number - b.number;
  return { below: below.sort(byNumber), above: above.sort(byNumber) };
}

/** The finished trials at a budget, and the running fresh draws (the constant liar's lies). */
export function observationsAt(trials: readonly TrialSummary[], budget: number): TrialSummary[] {
  return trials.filter((t) => isFinished(t) && budgetOf(t) === budget);
}

/** How a parameter is modelled, with the place of a value in it (null: the value does not fit). */
export interface ModelledParam {
  spec: ParamSpec;
  dim: Dim;
  place(value: ParamValue): number | null;
  valueOf(drawn: number): ParamValue;
}

/** Only parameters with two or more values are modelled (isSingleValued filters the rest out first). */
export function modelledParam(spec: ParamSpec): ModelledParam {
  if (isNumeric(spec)) {
    const axis = numericAxis(spec);
    return { spec, dim: { kind: 'numeric', axis }, place: (v) => (typeof v === 'number' ? axis.position(v) : null), valueOf: (x) => x };
  }
  if (spec.kind === 'choice') {
    const { values } = spec;
    return { spec, dim: { kind: 'categorical', size: values.length }, place: (v) => { const i = values.indexOf(v); return i < 0 ? null : i; }, valueOf: (x) => values[x] };
  }
  if (spec.kind === 'boolean') {
    return { spec, dim: { kind: 'categorical', size: 2 }, place: (v) => (typeof v === 'boolean' ? Number(v) : null), valueOf: (x) => x === 1 };
  }
  throw new Error(`parameter "${spec.name}" has a single value and is not modelled`);
}

/**
 * The columns of observations of `params` (each column one parameter), from the trials
 * that hold every one of them with a value that fits: a parameter is modelled only from
 * trials where it was active.
 */
export function observationColumns(params: readonly ModelledParam[], trials: readonly TrialSummary[]): Float64Array[] {
  const columns = params.map(() => new Float64Array(trials.length));
  let rows = 0;
  outer: for (const t of trials) {
    for (let d = 0; d < params.length; d++) {
      const name = params[d].spec.name;
      if (!Object.hasOwn(t.params, name)) continue outer;
      const place = params[d].place(t.params[name]);
      if (place === null) continue outer;
      columns[d][rows] = place;
    }
    rows++;
  }
  return columns.map((c) => c.subarray(0, rows));
}

export interface TpeDrawSettings {
  nEiCandidates: number;
  priorWeight: number;
}

/**
 * One TPE draw for `params` jointly: candidates from l(x) (the good trials' estimator),
 * the one with the largest log l(x) - log g(x) wins (the first on a tie).
 */
export function drawByRatio(params: readonly ModelledParam[], split: Split, rng: () => number, s: TpeDrawSettings): Map<string, ParamValue> {
  const dims = params.map((p) => p.dim);
  const good = new ParzenEstimator(dims, observationColumns(params, split.below), s.priorWeight);
  const bad = new ParzenEstimator(dims, observationColumns(params, split.above), s.priorWeight);
  const candidates = good.sample(rng, s.nEiCandidates);
  const l = good.logPdf(candidates);
  const g = bad.logPdf(candidates);
  let best = 0;
  for (let j = 1; j < candidates.count; j++) if (l[j] - g[j] > l[best] - g[best]) best = j;
  const values = new Map<string, ParamValue>();
  params.forEach((p, d) => values.set(p.spec.name, p.valueOf(candidates.value[d][best])));
  return values;
}
