// Which hyperparameters mattered: a parameter-importance ranking computed from the
// completed trials, for the HTML report. Pure: numbers in, numbers out.
//
// Method: for each parameter alone, the share of the variance of the score that its value
// explains — the effect size of a one-way analysis of variance, with trials grouped by the
// parameter's value. It is epsilon-squared (Kelley, 1935), not the plain ratio eta-squared:
// eta-squared grows with the number of groups even when the parameter does nothing (with
// as many groups as trials it is 1), which would rank a many-valued parameter first on
// noise; epsilon-squared subtracts what the groups would explain by chance.
//
// This is the first-order, marginal part of what fANOVA (Hutter et al., 2014) measures,
// without its model: fANOVA fits a random forest and averages the other parameters out;
// here the other parameters are left as they fell, so the estimate is confounded when
// parameters are correlated in the trials (conditional parameters, or Hyperband trials
// that were promoted for being good) and ignores interactions. The report says so.
import type { Params } from '../../space/types.js';
import { valueGroups } from './groups.js';

export interface ImportanceSample {
  params: Params;
  score: number;
}

export interface ParamImportance {
  name: string;
  /** Epsilon-squared, clamped to [0, 1]; null when it cannot be estimated (see `note`). */
  importance: number | null;
  /** Groups the trials fell into (values, value bins, and "absent" for a conditional parameter). */
  groups: number;
  /** Trials the estimate is based on. */
  trials: number;
  /**
   * Spearman's rank correlation between the value and the score, over the trials where
   * the parameter is a number: its sign says whether larger values scored higher. Null
   * for non-numeric parameters, fewer than 3 such trials, or a constant value or score.
   */
  spearman: number | null;
  /** Why `importance` is null. */
  note?: string;
}

export interface ImportanceOptions {
  /** A numeric parameter with more distinct values than this is split into this many equal-count bins. Default 5. */
  maxBins?: number;
}

/** Average ranks (1-based; ties share the mean of their ranks), as Spearman's rho needs. */
function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const mean = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k][1]] = mean;
    i = j + 1;
  }
  return out;
}

function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rho between a parameter's numeric values and the scores, or null (see ParamImportance). */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length) throw new Error(`spearman: ${xs.length} values but ${ys.length} scores`);
  if (xs.length < 3) return null;
  return pearson(ranks(xs), ranks(ys));
}

/**
 * Epsilon-squared of scores grouped by `keys`: (SSB − (k − 1)·MSW) / SST, clamped at 0
 * (chance can make it negative: the parameter explains less than noise would).
 */
export function epsilonSquared(keys: readonly string[], scores: readonly number[]): { value: number | null; groups: number; note?: string } {
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const members = groups.get(key);
    if (members) members.push(scores[i]);
    else groups.set(key, [scores[i]]);
  });
  const k = groups.size;
  const n = scores.length;
  if (k < 2) return { value: null, groups: k, note: 'one value in the completed trials' };
  if (n <= k) return { value: null, groups: k, note: `too few completed trials (${n}) for ${k} groups` };
  const mean = scores.reduce((a, b) => a + b, 0) / n;
  const sst = scores.reduce((a, s) => a + (s - mean) ** 2, 0);
  if (sst === 0) return { value: null, groups: k, note: 'every completed trial has the same score' };
  let ssb = 0;
  for (const members of groups.values()) {
    const m = members.reduce((a, b) => a + b, 0) / members.length;
    ssb += members.length * (m - mean) ** 2;
  }
  const msw = (sst - ssb) / (n - k);
  const value = (ssb - (k - 1) * msw) / sst;
  return { value: Math.min(1, Math.max(0, value)), groups: k };
}

/**
 * The importance of every parameter that occurs in `samples`, most important first
 * (parameters that cannot be estimated last, then by name). `samples` are completed
 * trials with finite scores; the direction of the objective does not matter to a share
 * of variance, only to reading the Spearman sign.
 */
export function parameterImportance(samples: readonly ImportanceSample[], options: ImportanceOptions = {}): ParamImportance[] {
  const maxBins = options.maxBins ?? 5;
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.params)))];
  const scores = samples.map((s) => s.score);
  const result = names.map((name): ParamImportance => {
    const values = samples.map((s) => (Object.hasOwn(s.params, name) ? s.params[name] : undefined));
    const { value, groups, note } = epsilonSquared(valueGroups(values, maxBins).map((g) => g.key), scores);
    const numeric = values.map((v, i) => [v, scores[i]] as const).filter((p): p is readonly [number, number] => typeof p[0] === 'number');
    const rho = numeric.length === values.filter((v) => v !== undefined).length ? spearman(numeric.map((p) => p[0]), numeric.map((p) => p[1])) : null;
    return { name, importance: value, groups, trials: samples.length, spearman: rho, ...(note ? { note } : {}) };
  });
  return result.sort(
    (a, b) =>
      (a.importance === null ? 1 : 0) - (b.importance === null ? 1 : 0) ||
      (b.importance ?? 0) - (a.importance ?? 0) ||
      a.name.localeCompare(b.name),
  );
}
