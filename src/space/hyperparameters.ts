// The `hp` object a space's build function receives. Define-by-run, as in Keras Tuner
// and Optuna: a parameter exists in a configuration only if the build reaches it, so
// conditional parameters need no extra syntax.
import { GradtuneError } from '../errors.js';
import { formatParamType } from './params.js';
import {
  checkValue,
  declareBoolean,
  declareChoice,
  declareFixed,
  declareFloat,
  declareInt,
  sameSpec,
  type Declaration,
} from './validate.js';
import type { FloatSampling, HyperParametersApi, IntSampling, ParamSpec, ParamValue, Params } from './types.js';

/**
 * Picks the value of each parameter as the build reaches it: randomly, the defaults,
 * or a stored configuration replayed (see sample.ts). It also receives the parameter's
 * default, which the spec itself does not carry.
 */
export type Decider = (spec: ParamSpec, defaultValue: ParamValue) => ParamValue;

export class HyperParameters implements HyperParametersApi {
  /** Every parameter reached in this build, in declaration order. */
  readonly specs: ParamSpec[] = [];
  /** The value of each reached parameter; unreached ones are absent. */
  readonly params: Params = {};
  private readonly byName = new Map<string, ParamSpec>();

  constructor(private readonly decide: Decider) {}

  int(name: string, min: number, max: number, opts?: { step?: number; sampling?: IntSampling; default?: number }): number {
    return this.reach(declareInt(name, min, max, opts)) as number;
  }

  float(name: string, min: number, max: number, opts?: { step?: number; sampling?: FloatSampling; default?: number }): number {
    return this.reach(declareFloat(name, min, max, opts)) as number;
  }

  choice<T extends ParamValue>(name: string, values: readonly T[], opts?: { default?: T }): T {
    // checkValue below guarantees the decided value is one of `values`.
    return this.reach(declareChoice(name, values, opts)) as T;
  }

  boolean(name: string, opts?: { default?: boolean }): boolean {
    return this.reach(declareBoolean(name, opts)) as boolean;
  }

  fixed<T extends ParamValue>(name: string, value: T): T {
    return this.reach(declareFixed(name, value)) as T;
  }

  private reach({ spec, default: dflt }: Declaration): ParamValue {
    const earlier = this.byName.get(spec.name);
    if (earlier) {
      // Reaching a name again (a loop, a helper called twice) means the same parameter.
      if (!sameSpec(earlier, spec)) {
        throw new GradtuneError(
          `parameter "${spec.name}" is declared twice with different definitions ` +
            `(${formatParamType(earlier)}, then ${formatParamType(spec)}); give each its own name`,
        );
      }
      return this.params[spec.name];
    }
    const value = this.decide(spec, dflt);
    checkValue(spec, value);
    this.byName.set(spec.name, spec);
    this.specs.push(spec);
    this.params[spec.name] = value;
    return value;
  }
}
