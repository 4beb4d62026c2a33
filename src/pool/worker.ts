// The trial worker: a stateless executor. It never touches the store; it receives a
// TrialSpec and returns a TrialResult. Loaded by worker-entry.mjs.
import { runTrial } from './run-trial.js';
import type { TrialResult, TrialSpec } from '../train/types.js';

export default function trialWorker(spec: TrialSpec): Promise<TrialResult> {
  return runTrial(spec);
}
