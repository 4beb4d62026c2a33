// Running a space's build with a sampler's decider. sampleParams lets a plain Error from
// the user's build pass (the worker meets it again and records the trial as failed);
// an error thrown by the sampler's own decider is a bug in gradtune and must not be
// mistaken for one of the build's, so it is thrown again here.
import { sampleParams } from '../space/define.js';
import type { Decider } from '../space/hyperparameters.js';
import type { Params, SearchSpaceDefinition } from '../space/types.js';

export function buildWith(space: SearchSpaceDefinition, decide: Decider): Params {
  let failure: { error: unknown } | undefined;
  const params = sampleParams(space, (spec, defaultValue) => {
    try {
      return decide(spec, defaultValue);
    } catch (error) {
      failure = { error };
      throw error;
    }
  });
  if (failure) throw failure.error;
  return params;
}
