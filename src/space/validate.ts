// Checks a parameter declaration the moment `build(hp)` makes it, so a wrong range is
// reported against the parameter's name before any trial is wasted on it.
import { GradtuneError } from '../errors.js';
import { formatParamType } from './params.js';
import type { FloatSampling, IntSampling, ParamSpec, ParamValue } from './types.js';

/** A declaration as a build function made it: the recorded spec plus its default value. */
export interface Declaration {
  spec: ParamSpec;
  default: ParamValue;
}

interface NumberOpts<S> {
  step?: number;
  sampling?: S;
  default?: number;
}

function fail(name: string, problem: string): never {
  throw new GradtuneError(`parameter "${name}": ${problem}`);
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new GradtuneError(`a parameter name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  // Params are stored as plain objects: this one name would set the prototype instead.
  if (name === '__proto__') fail(name, 'this name is reserved; pick another one');
}

function isParamValue(v: unknown): v is ParamValue {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Shared by int and float: bounds, step, sampling and default. */
function checkRange<S extends string>(
  kind: 'int' | 'float',
  name: string,
  min: number,
  max: number,
  opts: NumberOpts<S>,
  samplings: readonly S[],
): S {
  if (typeof min !== 'number' || typeof max !== 'number' || !Number.isFinite(min) || !Number.isFinite(max)) {
    fail(name, `bounds must be finite numbers, got min=${show(min)}, max=${show(max)}`);
  }
  if (kind === 'int' && (!Number.isInteger(min) || !Number.isInteger(max))) {
    fail(name, `int bounds must be whole numbers, got ${min}..${max}; round them or use hp.float`);
  }
  if (min > max) fail(name, `min (${min}) is greater than max (${max}); swap them`);
  const { step } = opts;
  if (step !== undefined) {
    if (typeof step !== 'number' || !Number.isFinite(step) || step <= 0) {
      fail(name, `step must be a number > 0, got ${show(step)}; leave it out for a continuous range`);
    }
    if (kind === 'int' && !Number.isInteger(step)) {
      fail(name, `int step must be a whole number, got ${step}; use hp.float for fractional steps`);
    }
  }
  const sampling = opts.sampling ?? samplings[0];
  if (!samplings.includes(sampling)) {
    fail(name, `sampling must be one of ${samplings.join(', ')}, got ${show(sampling)}`);
  }
  if (sampling !== 'linear' && min <= 0) {
    fail(name, `${sampling} sampling needs min > 0, got min=${min}; raise min or use sampling 'linear'`);
  }
  const dflt = opts.default;
  if (dflt !== undefined) {
    if (typeof dflt !== 'number' || !Number.isFinite(dflt) || dflt < min || dflt > max) {
      fail(name, `default ${show(dflt)} is outside ${min}..${max}; pick one in the range or leave it out`);
    }
    if (kind === 'int' && !Number.isInteger(dflt)) fail(name, `default ${dflt} of an int must be a whole number`);
  }
  return sampling;
}

export function declareInt(name: string, min: number, max: number, opts: NumberOpts<IntSampling> = {}): Declaration {
  checkName(name);
  const sampling = checkRange('int', name, min, max, opts, ['linear', 'log'] as const);
  // Step 1 is the int default: leave it out so `step: 1` and no step record the same spec.
  const step = opts.step !== undefined && opts.step !== 1 ? { step: opts.step } : {};
  return { spec: { kind: 'int', name, min, max, ...step, sampling }, default: opts.default ?? min };
}

export function declareFloat(name: string, min: number, max: number, opts: NumberOpts<FloatSampling> = {}): Declaration {
  checkName(name);
  const sampling = checkRange('float', name, min, max, opts, ['linear', 'log', 'reverseLog'] as const);
  const step = opts.step !== undefined ? { step: opts.step } : {};
  return { spec: { kind: 'float', name, min, max, ...step, sampling }, default: opts.default ?? min };
}

export function declareChoice(name: string, values: readonly ParamValue[], opts: { default?: ParamValue } = {}): Declaration {
  checkName(name);
  if (!Array.isArray(values) || values.length === 0) {
    fail(name, 'choice needs a non-empty list of values');
  }
  const bad = values.find((v) => !isParamValue(v));
  if (bad !== undefined || values.some((v) => v === undefined)) {
    fail(name, `choice values must be finite numbers, strings or booleans, got ${show(bad)}`);
  }
  const types = [...new Set(values.map((v) => typeof v))];
  if (types.length > 1) {
    fail(name, `choice values must all be of one type, got ${types.join(' and ')}; e.g. write 32, not "32"`);
  }
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) fail(name, `value ${show(twice)} is listed twice; list each value once`);
  if (opts.default !== undefined && !values.includes(opts.default)) {
    fail(name, `default ${show(opts.default)} is not one of ${values.map(show).join(', ')}`);
  }
  return { spec: { kind: 'choice', name, values: [...values] }, default: opts.default ?? values[0] };
}

export function declareBoolean(name: string, opts: { default?: boolean } = {}): Declaration {
  checkName(name);
  if (opts.default !== undefined && typeof opts.default !== 'boolean') {
    fail(name, `default of a boolean must be true or false, got ${show(opts.default)}`);
  }
  return { spec: { kind: 'boolean', name }, default: opts.default ?? false };
}

export function declareFixed(name: string, value: ParamValue): Declaration {
  checkName(name);
  if (!isParamValue(value)) fail(name, `a fixed value must be a finite number, string or boolean, got ${show(value)}`);
  return { spec: { kind: 'fixed', name, value }, default: value };
}

/** Whether two declarations of one name describe the same parameter (defaults aside). */
export function sameSpec(a: ParamSpec, b: ParamSpec): boolean {
  // Specs are built above with a fixed key order, so their JSON is canonical.
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Rejects a value a decider produced that the spec cannot hold. Random values always
 * fit; replayed ones may not when the space file changed after the study recorded them.
 */
export function checkValue(spec: ParamSpec, value: unknown): asserts value is ParamValue {
  if (!fits(spec, value)) {
    fail(spec.name, `value ${show(value)} does not fit ${formatParamType(spec)} (was the space changed after this trial was recorded?)`);
  }
}

function fits(spec: ParamSpec, v: unknown): boolean {
  switch (spec.kind) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= spec.min && v <= spec.max;
    case 'float': {
      // Snapping to a step can land a rounding error outside the bounds.
      const eps = 1e-9 * Math.max(1, Math.abs(spec.min), Math.abs(spec.max));
      return typeof v === 'number' && Number.isFinite(v) && v >= spec.min - eps && v <= spec.max + eps;
    }
    case 'choice':
      return spec.values.includes(v as ParamValue);
    case 'boolean':
      return typeof v === 'boolean';
    case 'fixed':
      return v === spec.value;
  }
}
