// The trial worker: a stateless executor. It never touches the store; it receives a
// TrialSpec and returns a TrialResult. Loaded by worker-entry.mjs.
import { getHeapStatistics } from 'node:v8';
import { threadId, type MessagePort } from 'node:worker_threads';
import { epochReporter } from './epoch-channel.js';
import { runTrial } from './run-trial.js';
import { initBackend, tf } from '../train/backend.js';
import type { Dataset } from '../data/types.js';
import type { BackendPreference, TrialResult, TrialSpec, WorkerMemory } from '../train/types.js';

/** Initialises the backend as the thread starts, while the main process is still setting up. */
export async function warmUp(data: { backend?: BackendPreference } | undefined): Promise<void> {
  await initBackend(data?.backend ?? 'auto');
}

/** A task: the trial, and the port its per-epoch reports go back through (when the pool asked for them). */
export interface TrialTask {
  spec: TrialSpec;
  port?: MessagePort;
  /** The data, shared by the main thread (its arrays are SharedArrayBuffer views, not copies). */
  dataset?: Dataset;
}

export default async function trialWorker(task: TrialTask): Promise<TrialResult> {
  try {
    const result = await runTrial(task.spec, task.port ? epochReporter(task.port) : undefined, task.dataset);
    return { ...result, worker: workerMemory() };
  } finally {
    task.port?.close();
  }
}

/** Measured after the trial has released everything, so it is this thread's baseline. */
function workerMemory(): WorkerMemory {
  // Under `node --expose-gc` (bench/soak), collect first: the heap figure is then what the
  // thread keeps, not garbage that happens to be uncollected yet. Otherwise it costs nothing.
  (globalThis as { gc?: () => void }).gc?.();
  const { numTensors, numBytes } = tf.memory();
  return { threadId, tensors: numTensors, tensorBytes: numBytes, heapUsedBytes: getHeapStatistics().used_heap_size };
}
