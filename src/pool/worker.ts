// The trial worker: a stateless executor. It never touches the store; it receives a
// TrialSpec and returns a TrialResult. Loaded by worker-entry.mjs.
import { runTrial } from './run-trial.js';
import { initBackend } from '../train/backend.js';
import type { BackendPreference, TrialResult, TrialSpec } from '../train/types.js';

/** Initialises the backend as the thread starts, while the main process is still setting up. */
export async function warmUp(data: { backend?: BackendPreference } | undefined): Promise<void> {
  await initBackend(data?.backend ?? 'auto');
}

export default function trialWorker(spec: TrialSpec): Promise<TrialResult> {
  return runTrial(spec);
}
