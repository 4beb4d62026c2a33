// A numeric parameter seen the way a model-based sampler needs it: a line (its values in
// the sampling's scale: log-scale parameters in log space) on which observed values sit
// and from which drawn positions are turned back into valid values.
//
// Stepped parameters (every int, and floats with a step) are discrete: value k is
// min + k·step, and it owns the bucket [value, value + step) of the sampling's scale,
// exactly the bucket random search draws it from (space/sample.ts), so a log-scale int
// gives 8 more room than 9. A model places an observation at the centre of its bucket
// and measures a value by the mass of its bucket.
import type { FloatSampling, ParamSpec } from '../space/types.js';

type NumericSpec = Extract<ParamSpec, { kind: 'int' | 'float' }>;

export interface NumericAxis {
  readonly spec: NumericSpec;
  /** The ends of the line, in the transformed scale. */
  readonly lo: number;
  readonly hi: number;
  /** Stepped parameters: how many values; continuous ones: null. */
  readonly count: number | null;
  /** An observed value's place on the line, or null when it does not fit the spec (the space changed). */
  position(value: number): number | null;
  /** The bucket [left, right] of an on-grid value (stepped parameters only). */
  bucket(value: number): [number, number];
  /** The valid value at a place on the line (clamped, snapped to the grid). */
  valueAt(t: number): number;
}

export function isNumeric(spec: ParamSpec): spec is NumericSpec {
  return spec.kind === 'int' || spec.kind === 'float';
}

/** Whether a parameter can take only one value (fixed, a one-value range or choice): no model needed. */
export function isSingleValued(spec: ParamSpec): boolean {
  switch (spec.kind) {
    case 'fixed':
      return true;
    case 'choice':
      return spec.values.length === 1;
    case 'boolean':
      return false;
    default:
      return spec.min === spec.max || (spec.step !== undefined && gridCount(spec.min, spec.max, spec.step) === 1);
  }
}

/** The value of a single-valued parameter. */
export function singleValue(spec: ParamSpec): number | string | boolean {
  switch (spec.kind) {
    case 'fixed':
      return spec.value;
    case 'choice':
      return spec.values[0];
    case 'boolean':
      throw new Error('a boolean has two values');
    default:
      return spec.min;
  }
}

function gridCount(min: number, max: number, step: number): number {
  // The epsilon keeps 0.3 / 0.1 = 2.9999999999999996 from losing the last value (as sample.ts).
  return Math.floor((max - min) / step + 1e-9) + 1;
}

/** 0.15000000000000002 → 0.15, as random search records stepped floats. */
function tidy(x: number): number {
  return Number(x.toPrecision(12));
}

/** The sampling's scale on [lo, hi]: forward and back. reverseLog mirrors log (dense near hi). */
function scale(sampling: FloatSampling, lo: number, hi: number): { to: (v: number) => number; from: (t: number) => number } {
  switch (sampling) {
    case 'linear':
      return { to: (v) => v, from: (t) => t };
    case 'log':
      return { to: Math.log, from: Math.exp };
    case 'reverseLog':
      return { to: (v) => -Math.log(hi + lo - v), from: (t) => hi + lo - Math.exp(-t) };
  }
}

export function numericAxis(spec: NumericSpec): NumericAxis {
  const { min, max } = spec;
  const step = spec.kind === 'int' ? (spec.step ?? 1) : spec.step;
  const eps = 1e-9 * Math.max(1, Math.abs(min), Math.abs(max));
  if (step === undefined) {
    const s = scale(spec.sampling, min, max);
    const lo = s.to(min);
    const hi = s.to(max);
    return {
      spec,
      lo,
      hi,
      count: null,
      position: (v) => (v >= min - eps && v <= max + eps ? s.to(Math.min(max, Math.max(min, v))) : null),
      bucket: () => {
        throw new Error('a continuous parameter has no buckets');
      },
      valueAt: (t) => Math.min(max, Math.max(min, s.from(t))),
    };
  }
  const count = gridCount(min, max, step);
  const top = min + count * step;
  const s = scale(spec.sampling, min, top);
  const lo = s.to(min);
  const hi = s.to(top);
  const valueOf = (k: number) => (spec.kind === 'int' ? min + k * step : tidy(min + k * step));
  const indexOf = (v: number): number | null => {
    const k = Math.round((v - min) / step);
    // Compared untidied: tidy() (a string round trip) is too slow for every observation.
    return k >= 0 && k < count && Math.abs(min + k * step - v) <= eps ? k : null;
  };
  const edges = (k: number): [number, number] => [s.to(min + k * step), k === count - 1 ? hi : s.to(min + (k + 1) * step)];
  return {
    spec,
    lo,
    hi,
    count,
    position: (v) => {
      const k = indexOf(v);
      if (k === null) return null;
      const [l, r] = edges(k);
      return 0.5 * (l + r);
    },
    bucket: (v) => edges(indexOf(v) ?? 0),
    valueAt: (t) => {
      const v = s.from(Math.min(hi, Math.max(lo, t)));
      const k = Math.min(count - 1, Math.max(0, Math.floor((v - min) / step)));
      return valueOf(k);
    },
  };
}

/** Whether `value` is one a parameter declared as `spec` can hold (what checkValue accepts, stepped values on their grid). */
export function fitsSpec(spec: ParamSpec, value: unknown): value is number | string | boolean {
  switch (spec.kind) {
    case 'int':
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      if (spec.kind === 'int' && !Number.isInteger(value)) return false;
      const eps = 1e-9 * Math.max(1, Math.abs(spec.min), Math.abs(spec.max));
      if (value < spec.min - eps || value > spec.max + eps) return false;
      const step = spec.kind === 'int' ? (spec.step ?? 1) : spec.step;
      return step === undefined || Math.abs(spec.min + Math.round((value - spec.min) / step) * step - value) <= eps;
    }
    case 'choice':
      return spec.values.includes(value as number | string | boolean);
    case 'boolean':
      return typeof value === 'boolean';
    case 'fixed':
      return value === spec.value;
  }
}
