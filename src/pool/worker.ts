// The trial worker: a stateless executor. It never touches the store; it receives a
// TrialSpec and returns a TrialResult. Loaded by worker-entry.mjs.
import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { runTrial } from './run-trial.js';
import { initBackend, tf } from '../train/backend.js';
import type { BackendPreference, TrialResult, TrialSpec, WorkerMemory } from '../train/types.js';

/** Initialises the backend as the thread starts, while the main process is still setting up. */
export async function warmUp(data: { backend?: BackendPreference } | undefined): Promise<void> {
  await initBackend(data?.backend ?? 'auto');
}

export default async function trialWorker(spec: TrialSpec): Promise<TrialResult> {
  const result = await runTrial(spec);
  return { ...result, worker: workerMemory() };
}

/** Measured after the trial has released everything, so it is this thread's baseline. */
function workerMemory(): WorkerMemory {
  // Under `node --expose-gc` (bench/soak), collect first: the heap figure is then what the
  // thread keeps, not garbage that happens to be uncollected yet. Otherwise it costs nothing.
  (globalThis as { gc?: () => void }).gc?.();
  const { numTensors, numBytes } = tf.memory();
  return { threadId, tensors: numTensors, tensorBytes: numBytes, heapUsedBytes: getHeapStatistics().used_heap_size };
}
