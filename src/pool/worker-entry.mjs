// Piscina's entry for each worker thread, in plain JavaScript so Node can load it as is,
// from the checkout's src/ and from dist/ alike (the build copies it). From source
// (workerData.fromSource, see pool.ts) the worker is TypeScript: the thread gets tsx
// through `--import`, but on Node 20 that hook does not cover a later dynamic import() of
// a .ts file in a worker (the user's space module), so tsx's ESM loader is registered
// here too. From dist/ the worker is JavaScript and needs no tsx; a TypeScript space
// registers tsx when it is loaded (space/module-hooks.ts).
import { workerData } from 'node:worker_threads';

let imported;
if (workerData.fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  imported = await import('./worker.ts');
} else {
  imported = await import('./worker.js');
}
// tsx may hand the module over CommonJS-style: { default: { default: fn, warmUp } }.
const mod = typeof imported.default === 'function' ? imported : imported.default;
await mod.warmUp(workerData);

export default mod.default;
