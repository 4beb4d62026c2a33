// A trial that exhausts the WebAssembly backend's memory aborts the wasm module, and every
// later operation on that thread fails ("Aborted()", "memory access out of bounds"): the
// next trials would fail for no fault of theirs. The backend is reset after such a failure
// (a fresh wasm instance, a clean engine), and checked before every trial.
import { tf } from './backend.js';

/** An error from the backend's runtime itself (the wasm module aborted), not from the model. */
export function isBackendFault(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'RuntimeError' || (typeof WebAssembly !== 'undefined' && err instanceof WebAssembly.RuntimeError)) return true;
  // Allocation failures on the backend's heap show as a RangeError about typed arrays.
  return /Aborted\(\)|memory access out of bounds|\bunreachable\b|Invalid typed array length|Array buffer allocation failed/.test(err.message);
}

/** Whether the backend still computes: one tiny operation, read back. */
function healthy(): boolean {
  try {
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
    return true;
  } catch (err) {
    if (isBackendFault(err)) return false;
    throw err;
  }
}

/**
 * Resets the engine and re-creates the current backend: a new wasm instance with fresh
 * memory. Tensors of the old instance are abandoned (their memory went with it).
 */
export async function resetBackend(): Promise<void> {
  const name = tf.getBackend();
  const engine = tf.engine() as unknown as { registry: Record<string, { dispose(): void }>; reset(): void };
  // Disposing an aborted wasm backend calls into the aborted module and throws again.
  for (const backend of Object.values(engine.registry)) backend.dispose = () => {};
  engine.reset();
  await tf.setBackend(name);
  await tf.ready();
}

/** Before a trial: a backend poisoned by an earlier one (on this thread) is reset first. */
export async function ensureHealthyBackend(): Promise<boolean> {
  if (healthy()) return false;
  await resetBackend();
  return true;
}
