// Small helpers over recorded parameters: a canonical key for duplicate detection and
// one-line descriptions for listings (`gradtune spaces`, error messages).
import type { ParamSpec, Params } from './types.js';

/**
 * A canonical string for a configuration: the same params give the same key whatever
 * order they were declared or stored in. JSON keeps 32 and "32" apart.
 */
export function paramsKey(params: Params): string {
  const sorted = Object.keys(params)
    .sort()
    .map((k) => [k, params[k]]);
  return JSON.stringify(sorted);
}

/** The type and range of a parameter, e.g. `int 8..512 log` or `choice relu, tanh`. */
export function formatParamType(spec: ParamSpec): string {
  switch (spec.kind) {
    case 'int':
    case 'float': {
      const step = spec.step !== undefined ? ` step ${spec.step}` : '';
      const sampling = spec.sampling !== 'linear' ? ` ${spec.sampling}` : '';
      return `${spec.kind} ${spec.min}..${spec.max}${step}${sampling}`;
    }
    case 'choice':
      return `choice ${spec.values.map(String).join(', ')}`;
    case 'boolean':
      return 'boolean';
    case 'fixed':
      return `fixed ${String(spec.value)}`;
  }
}

/** One line per parameter, e.g. `units_1  int 8..512 log`; pad names to align a list. */
export function formatParamSpec(spec: ParamSpec, nameWidth = 0): string {
  return `${spec.name.padEnd(nameWidth)}  ${formatParamType(spec)}`;
}
