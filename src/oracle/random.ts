// Random search: every trial's params drawn independently from the space.
import { GradtuneError } from '../errors.js';
import { paramsKey } from '../space/params.js';
import { TriedConfigurations } from './trial-keys.js';
import type { SearchSpaceDefinition } from '../space/types.js';
import { drawUntried } from '../sampler/draw.js';
import { randomSampler } from '../sampler/random.js';
import type { Sampler } from '../sampler/types.js';
import type { SyncOracle } from './oracle.js';

export interface RandomOracleOptions {
  /** Trials to run; stale trials (lost their worker) do not count. */
  maxTrials: number;
  /** Redraws in a row that repeat a tried configuration before the space counts as exhausted. */
  maxCollisions?: number;
  /** How each trial's configuration is drawn. Default: random. */
  sampler?: Sampler;
}

export function randomOracle(space: SearchSpaceDefinition, opts: RandomOracleOptions): SyncOracle {
  const { maxTrials, maxCollisions = 50, sampler = randomSampler() } = opts;
  if (!Number.isInteger(maxTrials) || maxTrials < 1) {
    throw new GradtuneError(`--max-trials must be a whole number >= 1, got ${maxTrials}`);
  }
  if (!Number.isInteger(maxCollisions) || maxCollisions < 1) {
    throw new GradtuneError(`maxCollisions must be a whole number >= 1, got ${maxCollisions}`);
  }
  const configurations = new TriedConfigurations();
  return {
    next(study, trials) {
      const counted = trials.filter((t) => t.status !== 'stale').length;
      if (counted >= maxTrials) return { kind: 'done', reason: `reached --max-trials ${maxTrials}` };
      // The store hands a stale trial (it lost its process) out again itself, same number
      // and params, before asking the oracle; here it still counts as tried.
      const tried = configurations.of(trials);
      // The rng depends only on (seed, trial number, attempt), never on which trials
      // finished or how many workers there are, so with the random sampler a seed always
      // gives one sequence (a model-based sampler also reads the history).
      const n = trials.length;
      const params = drawUntried({
        space,
        sampler,
        direction: study.objective.direction,
        trials,
        tried,
        maxCollisions,
        rngSeed: (attempt) => `${study.seed}:${n}:${attempt}`,
      });
      if (params) return { kind: 'run', params };
      return {
        kind: 'done',
        reason: `the search space is exhausted: ${maxCollisions} draws in a row repeated one of the ${tried.size} configurations already tried`,
      };
    },
  };
}
