// Piscina's entry for each worker thread, in plain JavaScript so Node can load it as is.
// The thread gets tsx through `--import` (see pool.ts), but on Node 20 that hook does not
// cover a later dynamic import() of a .ts file in a worker (the user's space module);
// registering tsx's ESM loader here does.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const imported = await import('./worker.ts');
// tsx may hand the module over CommonJS-style: { default: { default: fn, warmUp } }.
const mod = typeof imported.default === 'function' ? imported : imported.default;
await mod.warmUp(workerData);

export default mod.default;
