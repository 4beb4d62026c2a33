// The values grid search tries for one parameter, in the order it tries them: the
// default first (so the first combination is the configuration a user would try by
// hand), then the others in sorted order. Values are computed by index, not listed: an
// int 0..100000 costs nothing until its values are reached. Classes rather than
// closures: an axis is made for every parameter of every combination built, and
// counting a grid builds up to 100 000 combinations.
import { GradtuneError } from '../errors.js';
import type { FloatSampling, ParamSpec, ParamValue } from './types.js';

/** One parameter's values, in grid order: `at(0)` is the default. */
export interface GridAxis {
  readonly size: number;
  at(index: number): ParamValue;
}

export interface GridValueOptions {
  /** Points a float without a step is discretised into (min and max included); none: such a float is an error. */
  gridPoints?: number;
}

export function gridAxis(spec: ParamSpec, defaultValue: ParamValue, opts: GridValueOptions = {}): GridAxis {
  switch (spec.kind) {
    case 'int':
      // Sampling (log) changes how random search weighs the values, not which exist.
      return new DefaultFirst(new Stepped(spec.min, spec.max, spec.step ?? 1), defaultValue);
    case 'float':
      if (spec.step !== undefined) return new DefaultFirst(new Stepped(spec.min, spec.max, spec.step), defaultValue);
      if (opts.gridPoints === undefined) {
        throw new GradtuneError(
          `parameter "${spec.name}": grid search needs a step for a float; give hp.float('${spec.name}', ${spec.min}, ${spec.max}, { step }) ` +
            `in the space, or pass --grid-points N to try N points from ${spec.min} to ${spec.max}`,
        );
      }
      return new DefaultFirst(new Listed(points(spec.min, spec.max, spec.sampling, opts.gridPoints)), defaultValue);
    case 'choice':
      // Declared order, not sorted: the space's author listed them in an order that means something.
      return new DefaultFirst(new Listed(spec.values), defaultValue);
    case 'boolean':
      return new DefaultFirst(new Listed(BOOLEANS), defaultValue);
    case 'fixed':
      return new Listed([spec.value]);
  }
}

/** Checks a --grid-points value: min and max are always points, so fewer than 2 cannot be. */
export function checkGridPoints(gridPoints: number | undefined): void {
  if (gridPoints !== undefined && (!Number.isInteger(gridPoints) || gridPoints < 2)) {
    throw new GradtuneError(`--grid-points must be a whole number >= 2 (min and max are always points), got ${gridPoints}`);
  }
}

const BOOLEANS: readonly ParamValue[] = [false, true];

/** Values in their own order, and the index of a value (-1: not among them). */
interface Values extends GridAxis {
  indexOf(value: ParamValue): number;
}

class Listed implements Values {
  readonly size: number;
  constructor(private readonly values: readonly ParamValue[]) {
    this.size = values.length;
  }
  at(index: number): ParamValue {
    return this.values[index];
  }
  indexOf(value: ParamValue): number {
    const i = this.values.indexOf(value);
    // A default of 0.1 finds the discretised point 0.1 however it was computed.
    return i < 0 && typeof value === 'number' ? this.values.indexOf(tidy(value)) : i;
  }
}

/** min, min + step, ... <= max, as random search's stepped values. */
class Stepped implements Values {
  readonly size: number;
  /** Whole numbers add up exactly: no rounding to tidy (the costly part of counting a grid). */
  private readonly whole: boolean;
  constructor(
    private readonly min: number,
    max: number,
    private readonly step: number,
  ) {
    // The epsilon keeps 0.3 / 0.1 = 2.9999999999999996 from losing the last value (as in sample.ts).
    this.size = Math.floor((max - min) / step + 1e-9) + 1;
    this.whole = Number.isInteger(min) && Number.isInteger(step);
  }
  at(index: number): number {
    const value = this.min + index * this.step;
    return this.whole ? value : tidy(value);
  }
  /** Computed, not searched: big ranges cost the same as small ones. */
  indexOf(value: ParamValue): number {
    if (typeof value !== 'number') return -1;
    const i = Math.round((value - this.min) / this.step);
    return i >= 0 && i < this.size && this.at(i) === (this.whole ? value : tidy(value)) ? i : -1;
  }
}

/**
 * The default, then the other values in their order. A default off the grid (an int
 * default 5 with step 2 from 0) is tried too, as the first value: the first trial is
 * always the all-defaults configuration.
 */
class DefaultFirst implements GridAxis {
  readonly size: number;
  private readonly d: number;
  constructor(
    private readonly values: Values,
    private readonly defaultValue: ParamValue,
  ) {
    this.d = values.indexOf(defaultValue);
    this.size = values.size + (this.d < 0 ? 1 : 0);
  }
  at(index: number): ParamValue {
    if (this.d < 0) return index === 0 ? this.defaultValue : this.values.at(index - 1);
    return this.values.at(index === 0 ? this.d : index <= this.d ? index - 1 : index);
  }
}

/**
 * `count` points evenly spaced in the sampling's scale, min and max included, sorted:
 * 1e-3..1e-1 in 3 log points is 1e-3, 1e-2, 1e-1. reverseLog mirrors log (dense near
 * max), as random search samples it.
 */
function points(min: number, max: number, sampling: FloatSampling, count: number): number[] {
  const at = (u: number): number => {
    if (sampling === 'linear') return min + u * (max - min);
    const logUniform = Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min)));
    return sampling === 'log' ? logUniform : max + min - logUniform;
  };
  const values = Array.from({ length: count }, (_, i) => (i === 0 ? min : i === count - 1 ? max : tidy(at(i / (count - 1)))));
  // Rounding may merge neighbours of a very narrow range: keep each value once.
  return [...new Set(values)].sort((a, b) => a - b);
}

/** 0.15000000000000002 → 0.15, so grid values print and compare as written (as sample.ts does). */
function tidy(x: number): number {
  return Number(x.toPrecision(12));
}
