// The sampler plug-in's public surface, for src/index.ts to re-export.
export type { Sampler, SampleContext, TrialSummary, SummaryStatus } from './types.js';
export { randomSampler } from './random.js';
export { tpeSampler, TPE_DEFAULTS, type TpeOptions } from './tpe.js';
export { gpSampler, GP_DEFAULTS, type GpOptions } from './gp.js';
export { modelBudget } from './history.js';
