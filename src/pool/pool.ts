// The worker pool: piscina threads, each running worker.ts (worker.js in dist/) through
// worker-entry.mjs.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { FROM_SOURCE } from '../package-files.js';
import type { Dataset } from '../data/types.js';
import type { BackendPreference, TrialResult, TrialSpec } from '../train/types.js';
import { serveEpochs, type EpochAnswer, type EpochReport } from './epoch-channel.js';

export interface RunOptions {
  /**
   * The trial's data, loaded once by the process that owns the pool. Its arrays live in
   * SharedArrayBuffers, so posting it to a thread shares them (no copy); each thread keeps
   * it by fingerprint. Without it a thread loads `spec.data` itself (a CSV, once per thread).
   */
  dataset?: Dataset;
  /** Aborting terminates the thread mid-trial (a trial timeout, Ctrl-C). */
  signal?: AbortSignal;
  /** Called after every epoch of the trial; its answer goes back to the trial. */
  onEpoch?: (report: EpochReport) => Promise<EpochAnswer> | EpochAnswer;
}

/**
 * Running from source, workers load our TypeScript through tsx's loader, resolved from
 * this package so it works whether or not the main process itself runs under tsx (vitest
 * does not). The build's workers are JavaScript and start without tsx.
 */
function workerExecArgv(): string[] {
  if (!FROM_SOURCE) return [];
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

export class TrialPool {
  private readonly piscina: Piscina;

  constructor(
    readonly size: number,
    backend: BackendPreference = 'auto',
  ) {
    this.piscina = new Piscina({
      filename: new URL('./worker-entry.mjs', import.meta.url).href,
      minThreads: size,
      maxThreads: size,
      // One trial per thread at a time: training is CPU-bound.
      concurrentTasksPerWorker: 1,
      idleTimeout: Infinity,
      execArgv: workerExecArgv(),
      // Threads start (and load their backend) now, not at the first trial.
      workerData: { backend, fromSource: FROM_SOURCE },
    });
  }

  /**
   * Runs a trial; rejects if the worker thread dies (the caller marks the trial failed)
   * or `signal` aborts: piscina then terminates the thread mid-trial and starts a new one,
   * which is the only way to stop synchronous tfjs work (a trial timeout, Ctrl-C).
   */
  async run(spec: TrialSpec, opts: RunOptions = {}): Promise<TrialResult> {
    const shared = opts.dataset ? { dataset: opts.dataset } : {};
    if (!opts.onEpoch) return (await this.piscina.run({ spec, ...shared }, { signal: opts.signal })) as TrialResult;
    const { port1, port2 } = new MessageChannel();
    serveEpochs(port1, opts.onEpoch);
    try {
      return (await this.piscina.run({ spec, port: port2, ...shared }, { signal: opts.signal, transferList: [port2] as never })) as TrialResult;
    } finally {
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
