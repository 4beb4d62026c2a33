// The built-in samplers by the names the CLI and the stored study use.
import { GradtuneError } from '../errors.js';
import { gpSampler, GP_DEFAULTS } from './gp.js';
import { randomSampler } from './random.js';
import { tpeSampler, TPE_DEFAULTS } from './tpe.js';
import type { Sampler } from './types.js';

export const SAMPLER_NAMES = ['random', 'tpe', 'tpe-independent', 'gp'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export function isSamplerName(name: string): name is SamplerName {
  return (SAMPLER_NAMES as readonly string[]).includes(name);
}

export function samplerByName(name: string): Sampler {
  switch (name) {
    case 'random':
      return randomSampler();
    case 'tpe':
      return tpeSampler();
    case 'tpe-independent':
      return tpeSampler({ multivariate: false });
    case 'gp':
      return gpSampler();
    default:
      throw new GradtuneError(`unknown sampler "${name}": use one of ${SAMPLER_NAMES.join(', ')} (or pass your own Sampler object to the Tuner)`);
  }
}

/** What a search with this sampler will do, in a few sentences (gradtune plan). */
export function describeSampler(name: string): string {
  switch (name) {
    case 'random':
      return 'sampler random: every value of every new configuration drawn independently from the seed (Keras Tuner\'s random search).';
    case 'tpe':
    case 'tpe-independent':
      return (
        `sampler ${name}: the first ${TPE_DEFAULTS.nStartupTrials} finished trials are drawn at random (the very configurations random search would try); ` +
        `after that the finished trials are split into the best 10% (at most 25) and the rest, a Parzen estimator is fitted to each, and of ${TPE_DEFAULTS.nEiCandidates} candidates drawn from the good one the most likely-good wins (Optuna's TPE` +
        (name === 'tpe' ? ', modelling the parameters jointly in groups of those that appear together' : ', one parameter at a time') +
        '). Rejected and failed trials count as bad; running ones too, so parallel workers spread out. Under Hyperband it models the highest budget with 10 finished trials.'
      );
    case 'gp':
      return (
        `sampler gp: random draws until 3 x the number of parameters have finished; then a Gaussian process (Matérn 5/2, alpha ${GP_DEFAULTS.alpha}) on the encoded configurations ` +
        `(at most ${GP_DEFAULTS.maxObservations} of them) picks the one with the lowest confidence bound mean - ${GP_DEFAULTS.beta} x std of the loss (Keras Tuner's BayesianOptimization).`
      );
    default:
      return `sampler ${name}: your own, passed to the Tuner in code.`;
  }
}
