// Deciders: how each parameter's value is picked as a build reaches it.
import type { Decider } from './hyperparameters.js';
import type { FloatSampling, Params } from './types.js';

/** Every parameter at its default: the configuration a user gets without searching. */
export function defaultDecider(): Decider {
  return (_spec, defaultValue) => defaultValue;
}

/**
 * Replays a stored configuration, e.g. in a worker rebuilding a trial. A parameter the
 * stored params lack (inactive when recorded) takes its default.
 */
export function fixedDecider(params: Params): Decider {
  return (spec, defaultValue) => (Object.hasOwn(params, spec.name) ? params[spec.name] : defaultValue);
}

/** Draws every value from `rng` (uniform in [0, 1)), as Keras Tuner's random search. */
export function randomDecider(rng: () => number): Decider {
  return (spec) => {
    switch (spec.kind) {
      case 'int':
        return onGrid(spec.min, spec.max, spec.step ?? 1, spec.sampling, rng());
      case 'float':
        return spec.step === undefined
          ? clamp(continuous(spec.sampling, spec.min, spec.max, rng()), spec.min, spec.max)
          : tidy(onGrid(spec.min, spec.max, spec.step, spec.sampling, rng()));
      case 'choice':
        return spec.values[Math.min(Math.floor(rng() * spec.values.length), spec.values.length - 1)];
      case 'boolean':
        return rng() < 0.5;
      case 'fixed':
        return spec.value;
    }
  };
}

/**
 * Maps u in [0, 1) onto [lo, hi]: uniformly, uniformly in log space (dense near lo), or
 * mirrored log (dense near hi, Keras Tuner's reverse_log, for values like a momentum
 * or a decay rate close to 1).
 */
function continuous(sampling: FloatSampling, lo: number, hi: number, u: number): number {
  if (sampling === 'linear') return lo + u * (hi - lo);
  const logUniform = Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo)));
  return sampling === 'log' ? logUniform : hi + lo - logUniform;
}

/**
 * A value among min, min + step, ... <= max. The continuous sample is drawn over
 * [min, last + step) and floored onto the grid, so each grid point owns an equal-width
 * bucket: linear sampling picks grid points uniformly, and log sampling on ints
 * (step 1) gives k a weight of log((k + 1) / k), many small values, none out of range.
 */
function onGrid(min: number, max: number, step: number, sampling: FloatSampling, u: number): number {
  // The epsilon keeps 0.3 / 0.1 = 2.9999999999999996 from losing the last grid point.
  const count = Math.floor((max - min) / step + 1e-9) + 1;
  const top = min + count * step;
  const k = Math.floor((continuous(sampling, min, top, u) - min) / step);
  return min + clamp(k, 0, count - 1) * step;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** 0.15000000000000002 → 0.15, so stepped floats print and compare as written. */
function tidy(x: number): number {
  return Number(x.toPrecision(12));
}
