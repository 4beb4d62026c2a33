// Which hyperparameters a leaderboard shows, and how its numbers are written.
import type { ParamValue } from '../space/types.js';
import type { TrialRecord } from '../store/store.js';

/**
 * The parameter names worth a column: the union over all trials, in first-seen order,
 * minus those that hold the same value in every trial. A constant column says nothing
 * about why one trial beat another, and with define-by-run spaces (fixed values,
 * conditional layers) there are often many of them. A name missing from some trial
 * (a conditional parameter) varies by definition. Decided over all trials, not just the
 * rows shown, so `--top` does not change which columns appear.
 */
export function varyingParams(trials: readonly TrialRecord[]): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const trial of trials) {
    for (const name of Object.keys(trial.params)) {
      if (!seen.has(name)) {
        seen.add(name);
        names.push(name);
      }
    }
  }
  return names.filter((name) => {
    const first = trials[0]?.params[name];
    return trials.some((t) => !(name in t.params) || t.params[name] !== first);
  });
}

/** Drops the zeros toPrecision/toExponential pad with: 1.20e-3 → 1.2e-3, 0.250 → 0.25. */
function trimZeros(text: string): string {
  const [mantissa, exponent] = text.split('e');
  // Only zeros after a decimal point are padding: 100 must stay 100.
  if (!mantissa.includes('.')) return text;
  const trimmed = mantissa.replace(/0+$/, '').replace(/\.$/, '');
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}

/** A score to 4 significant digits; empty when the trial has none. */
export function formatScore(score: number | null): string {
  if (score === null) return '';
  if (!Number.isFinite(score)) return String(score);
  return score.toPrecision(4);
}

/**
 * A parameter value for a table cell. Small floats (learning rates, weight decay) are
 * sampled on a log scale, so their exponent is what tells them apart: 1.2e-3 reads
 * better than 0.0012. Three significant digits is enough to tell sampled values apart
 * on screen; `best` and the JSON carry the exact value.
 */
export function formatParam(value: ParamValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  const text = Math.abs(value) < 0.01 ? value.toExponential(2) : value.toPrecision(3);
  return trimZeros(text).replace('e+', 'e');
}

/** A duration as seconds with one decimal; empty when it is not known (still running). */
export function formatSeconds(ms: number | null): string {
  return ms === null ? '' : (ms / 1000).toFixed(1);
}

/**
 * How the study searches, in a few words: its algorithm and, when not random, the sampler
 * that draws its new configurations (`hyperband, tpe sampler`; `random, custom:mine sampler`).
 */
export function describeSearch(study: { algorithm: string; settings: Record<string, unknown> }): string {
  const sampler = study.settings.sampler as { name?: unknown } | undefined;
  const name = sampler && typeof sampler.name === 'string' && sampler.name !== 'random' ? sampler.name : undefined;
  return name && !study.algorithm.startsWith('custom:') ? `${study.algorithm}, ${name} sampler` : study.algorithm;
}
