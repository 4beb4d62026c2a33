// The channel from a running trial back to the process that owns the pool: after every
// epoch the worker sends the epoch's record (and, when asked, the validation predictions)
// and waits for the answer, which may add metrics computed in the main thread (a custom
// objective written in the user's code) or say "stop" (a pruner).
import type { MessagePort } from 'node:worker_threads';
import type { EpochRecord } from '../train/types.js';

/** What the main thread answers after an epoch. */
export interface EpochAnswer {
  /** Metrics to add to the epoch's record (e.g. a custom objective), by name. */
  metrics?: Record<string, number>;
  /** Stop the trial after this epoch: the rule that says so, on record with the trial. */
  stop?: string;
  /** The main thread could not compute what it was asked (a custom metric threw): the trial fails with this. */
  error?: string;
}

/** What the worker sends after an epoch. */
export interface EpochReport {
  id: number;
  record: EpochRecord;
  /** Validation predictions, row-major (rows × outputs), when the spec asked for them. */
  predictions?: Float32Array;
  /** Which run of a trial that trains several (executions, folds); absent for a single run. */
  run?: { fold: number | null; execution: number };
}

/** Main thread: answers each report of a trial with `handle`. */
export function serveEpochs(port: MessagePort, handle: (report: EpochReport) => Promise<EpochAnswer> | EpochAnswer): void {
  port.on('message', (report: EpochReport) => {
    Promise.resolve()
      .then(() => handle(report))
      .catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }))
      .then((answer) => {
        try {
          port.postMessage({ id: report.id, answer });
        } catch {
          // The trial ended (aborted) meanwhile: nobody is waiting for the answer.
        }
      });
  });
}

/** Worker: sends a report and resolves with the main thread's answer. */
export function epochReporter(port: MessagePort): (record: EpochRecord, predictions?: Float32Array, run?: { fold: number | null; execution: number }) => Promise<EpochAnswer> {
  let next = 0;
  const waiting = new Map<number, (answer: EpochAnswer) => void>();
  port.on('message', (message: { id: number; answer: EpochAnswer }) => {
    waiting.get(message.id)?.(message.answer);
    waiting.delete(message.id);
  });
  return (record, predictions, run) =>
    new Promise<EpochAnswer>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      const which = run ? { run: { fold: run.fold, execution: run.execution } } : {};
      port.postMessage({ id, record, ...(predictions ? { predictions } : {}), ...which } satisfies EpochReport);
    });
}
