// Random search: every trial's params drawn independently from the space.
import seedrandom from 'seedrandom';
import { GradtuneError } from '../errors.js';
import { sampleParams } from '../space/define.js';
import { paramsKey } from '../space/params.js';
import { TriedConfigurations } from './trial-keys.js';
import { randomDecider } from '../space/sample.js';
import type { SearchSpaceDefinition } from '../space/types.js';
import type { SyncOracle } from './oracle.js';

export interface RandomOracleOptions {
  /** Trials to run; stale trials (lost their worker) do not count. */
  maxTrials: number;
  /** Redraws in a row that repeat a tried configuration before the space counts as exhausted. */
  maxCollisions?: number;
}

export function randomOracle(space: SearchSpaceDefinition, opts: RandomOracleOptions): SyncOracle {
  const { maxTrials, maxCollisions = 50 } = opts;
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
      // finished or how many workers there are, so a seed always gives one sequence.
      const n = trials.length;
      for (let attempt = 0; attempt < maxCollisions; attempt++) {
        const rng = seedrandom(`${study.seed}:${n}:${attempt}`);
        const params = sampleParams(space, randomDecider(rng));
        if (!tried.has(paramsKey(params))) return { kind: 'run', params };
      }
      return {
        kind: 'done',
        reason: `the search space is exhausted: ${maxCollisions} draws in a row repeated one of the ${tried.size} configurations already tried`,
      };
    },
  };
}
