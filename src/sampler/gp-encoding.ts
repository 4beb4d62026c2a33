// Configurations as points of the unit cube, for the Gaussian process.
//
// - A numeric parameter is one coordinate: its place on its axis (axis.ts: log-scale
//   parameters in log space, a stepped value at the centre of its bucket) scaled to
//   [0, 1]. This is Keras Tuner's value_to_prob up to where an int's bucket centre
//   falls in log space.
// - A choice is one-hot, one coordinate per value (Keras Tuner uses one coordinate, the
//   value's index scaled to [0, 1], which makes the first and last values the most
//   different; one-hot keeps every pair of values equally far apart). A boolean is one
//   coordinate, 0 or 1.
// - A parameter the configuration did not reach (inactive) takes its default's
//   coordinates, as Keras Tuner fills inactive parameters.
// Parameters with a single value carry no information and get no coordinate.
import type { ParamValue, Params } from '../space/types.js';
import { isNumeric, isSingleValued, numericAxis, type NumericAxis } from './axis.js';
import type { Declared } from './history.js';

interface Column {
  name: string;
  offset: number;
  defaultValue: ParamValue;
  write(value: ParamValue, out: Float64Array, at: number): boolean;
}

export interface Encoding {
  /** Coordinates per configuration. */
  readonly width: number;
  /** The encoded parameters, by name (numeric ones with their axis). */
  readonly names: readonly string[];
  axis(name: string): NumericAxis | undefined;
  /** Writes `params`' coordinates at `out[at ..]`. */
  encode(params: Params, out: Float64Array, at: number): void;
}

export function encodingFor(declared: ReadonlyMap<string, Declared>): Encoding {
  const columns: Column[] = [];
  const axes = new Map<string, NumericAxis>();
  let width = 0;
  for (const name of [...declared.keys()].sort()) {
    const { spec, defaultValue } = declared.get(name)!;
    if (isSingleValued(spec)) continue;
    const offset = width;
    if (isNumeric(spec)) {
      const axis = numericAxis(spec);
      axes.set(name, axis);
      const span = axis.hi - axis.lo;
      columns.push({
        name,
        offset,
        defaultValue,
        write(value, out, at) {
          const place = typeof value === 'number' ? axis.position(value) : null;
          if (place === null) return false;
          out[at + offset] = (place - axis.lo) / span;
          return true;
        },
      });
      width += 1;
    } else if (spec.kind === 'choice') {
      const { values } = spec;
      columns.push({
        name,
        offset,
        defaultValue,
        write(value, out, at) {
          const index = values.indexOf(value);
          if (index < 0) return false;
          for (let i = 0; i < values.length; i++) out[at + offset + i] = i === index ? 1 : 0;
          return true;
        },
      });
      width += values.length;
    } else if (spec.kind === 'boolean') {
      columns.push({
        name,
        offset,
        defaultValue,
        write(value, out, at) {
          if (typeof value !== 'boolean') return false;
          out[at + offset] = value ? 1 : 0;
          return true;
        },
      });
      width += 1;
    }
  }
  return {
    width,
    names: columns.map((c) => c.name),
    axis: (name) => axes.get(name),
    encode(params, out, at) {
      for (const c of columns) {
        // Inactive, or a value the declaration no longer allows: the default.
        if (!Object.hasOwn(params, c.name) || !c.write(params[c.name], out, at)) c.write(c.defaultValue, out, at);
      }
    },
  };
}
