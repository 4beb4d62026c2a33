// The worker pool: piscina threads, each running worker.ts (worker.js in dist/) through
// worker-entry.mjs.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { FROM_SOURCE } from '../package-files.js';
import type { BackendPreference, TrialResult, TrialSpec } from '../train/types.js';

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
  run(spec: TrialSpec, signal?: AbortSignal): Promise<TrialResult> {
    return this.piscina.run(spec, { signal }) as Promise<TrialResult>;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
