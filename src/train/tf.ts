// tfjs, loaded through require(): Node's ESM import of tfjs's CommonJS bundles scans
// megabytes of code for export names, and under tsx that took ~0.5 s per worker thread;
// require() takes ~0.15 s. A user's space that imports '@tensorflow/tfjs' gets this same
// module instance (the same engine) from node_modules.
import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

let loaded: typeof TF | undefined;
function load(): typeof TF {
  loaded ??= require('@tensorflow/tfjs') as typeof TF;
  return loaded;
}

/**
 * tfjs, loaded on first use: a command that ends on a user's mistake (a missing column, a
 * bad flag) ends before it, 0.6 s sooner. Its functions are plain functions (tfjs never
 * relies on `this` being its namespace), so reading them through this view is the same as
 * from the module.
 */
export const tf: typeof TF = new Proxy({} as typeof TF, {
  get: (_, key) => (load() as unknown as Record<PropertyKey, unknown>)[key],
  has: (_, key) => key in load(),
});

/** Loads the WebAssembly backend package (registers the 'wasm' backend). */
export function requireWasmBackend(): void {
  load();
  require('@tensorflow/tfjs-backend-wasm');
}

/** Loads tfjs-node when installed (registers the 'tensorflow' backend); throws otherwise. */
export function requireNodeBackend(): void {
  load();
  require('@tensorflow/tfjs-node');
}
