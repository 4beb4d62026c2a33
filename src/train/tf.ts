// tfjs, loaded through require(): Node's ESM import of tfjs's CommonJS bundles scans
// megabytes of code for export names, and under tsx that took ~0.5 s per worker thread;
// require() takes ~0.15 s. A user's space that imports '@tensorflow/tfjs' gets this same
// module instance (the same engine) from node_modules.
import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

export const tf = require('@tensorflow/tfjs') as typeof TF;

/** Loads the WebAssembly backend package (registers the 'wasm' backend). */
export function requireWasmBackend(): void {
  require('@tensorflow/tfjs-backend-wasm');
}

/** Loads tfjs-node when installed (registers the 'tensorflow' backend); throws otherwise. */
export function requireNodeBackend(): void {
  require('@tensorflow/tfjs-node');
}
