// Configurations the user queued (`gradtune enqueue`, Tuner.enqueue) run before the
// algorithm draws new ones, as Optuna's enqueue_trial: the next trial that would start a
// fresh configuration runs the queued one instead, in the algorithm's place for it (a
// random trial, a Hyperband round-0 slot, the next grid point), and counts like any other.
import { sampleParams } from '../space/define.js';
import type { SearchSpaceDefinition } from '../space/types.js';
import type { Oracle } from './oracle.js';

export function withQueue(oracle: Oracle, space: SearchSpaceDefinition): Oracle {
  return {
    async next(study, trials, queued = []) {
      const decision = await oracle.next(study, trials, queued);
      // Only a fresh configuration is replaced: a promotion continues its parent's.
      if (decision.kind !== 'run' || decision.parent !== undefined || queued.length === 0) return decision;
      const entry = queued[0];
      // The queued values where given; a parameter it leaves out keeps the algorithm's draw
      // (or its default, when the queued values reach parameters the draw did not).
      const params = sampleParams(space, (spec, dflt) =>
        Object.hasOwn(entry.params, spec.name) ? entry.params[spec.name] : Object.hasOwn(decision.params, spec.name) ? decision.params[spec.name] : dflt,
      );
      return { ...decision, params, queued: entry.id };
    },
  };
}
