// How an oracle gets a fresh configuration from a sampler: redraws until the
// configuration is one not tried yet, and checks what a sampler of the user's returned.
import seedrandom from 'seedrandom';
import { GradtuneError } from '../errors.js';
import { sampleParams } from '../space/define.js';
import { formatParamType, paramsKey } from '../space/params.js';
import { checkValue } from '../space/validate.js';
import type { Params, SearchSpaceDefinition } from '../space/types.js';
import { randomSampler } from './random.js';
import type { Sampler, TrialSummary } from './types.js';

/**
 * Redraws a model-based sampler makes before random draws take over: a model sure of
 * its optimum proposes the same tried configuration again and again, and "the space is
 * exhausted" must mean that random draws found nothing new either.
 */
export const MODEL_REDRAWS = 10;
const RANDOM = randomSampler();

export interface DrawRequest {
  space: SearchSpaceDefinition;
  sampler: Sampler;
  direction: 'min' | 'max';
  trials: readonly TrialSummary[];
  /** Configurations not to repeat, as paramsKey. */
  tried: { has(key: string): boolean };
  maxCollisions: number;
  /** The seed string of a draw's rng for a redraw attempt; what identifies the work. */
  rngSeed: (attempt: number) => string;
}

/** A configuration not tried yet, or undefined when `maxCollisions` draws in a row repeated one. */
export function drawUntried(r: DrawRequest): Params | undefined {
  for (let attempt = 0; attempt < r.maxCollisions; attempt++) {
    const sampler = attempt < MODEL_REDRAWS ? r.sampler : RANDOM;
    const rng = seedrandom(r.rngSeed(attempt));
    const params = checked(r.space, sampler, sampler.sample({ space: r.space, direction: r.direction, rng, trials: r.trials }));
    if (!r.tried.has(paramsKey(params))) return params;
  }
  return undefined;
}

/**
 * The params replayed through the space: exactly the parameters the build reaches, each
 * value checked against its declaration. A sampler's mistake is named as such, not
 * found later by a worker.
 */
function checked(space: SearchSpaceDefinition, sampler: Sampler, params: Params): Params {
  if (typeof params !== 'object' || params === null) {
    throw new GradtuneError(`sampler "${sampler.name}" returned ${String(params)} instead of params; return the result of sampleParams(space, decider)`);
  }
  return sampleParams(space, (spec) => {
    if (!Object.hasOwn(params, spec.name)) {
      throw new GradtuneError(`sampler "${sampler.name}" gave no value for parameter "${spec.name}", which the space's build reaches; return the result of sampleParams(space, decider)`);
    }
    const value = params[spec.name];
    try {
      checkValue(spec, value);
    } catch {
      throw new GradtuneError(
        `sampler "${sampler.name}" proposed ${JSON.stringify(value)} for parameter "${spec.name}", which is ${formatParamType(spec)}; make the sampler draw values the declaration allows`,
      );
    }
    return value;
  });
}
