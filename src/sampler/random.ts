// Random search's draw as a Sampler: every value drawn independently from `rng`, as
// Keras Tuner's random search does. The oracles' default; it consumes the rng exactly as
// random search always has, so a seed gives the same configurations as before samplers.
import { sampleParams } from '../space/define.js';
import { randomDecider } from '../space/sample.js';
import type { Sampler } from './types.js';

export function randomSampler(): Sampler {
  return {
    name: 'random',
    sample: ({ space, rng }) => sampleParams(space, randomDecider(rng)),
  };
}
