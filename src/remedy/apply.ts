// Applying a stored remedy to a trial's params: what --repair runs next.
import type { Params } from '../space/types.js';
import type { Remedy } from '../train/diagnostics-types.js';

/** The params with the remedy's changes set and the parameters it made inactive removed. */
export function applyRemedy(params: Params, remedy: Remedy): Params {
  const out: Params = { ...params };
  for (const name of remedy.drops) delete out[name];
  for (const c of remedy.changes) out[c.param] = c.to;
  return out;
}
