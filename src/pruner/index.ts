// Pruners: stop a running trial after an epoch when it is clearly worse than others at the
// same epoch. The public surface, re-exported by src/index.ts.
export type { EpochValues, PruneContext, PruneVerdict, Pruner } from './types.js';
export { nonePruner } from './none.js';
export { medianPruner, MEDIAN_DEFAULTS, type MedianPrunerOptions } from './median.js';
export { successiveHalvingPruner, SUCCESSIVE_HALVING_DEFAULTS, type SuccessiveHalvingOptions } from './successive-halving.js';
