// Soak: a long search, watching for leaks across trials.
//
//   npm run bench:soak -- [--trials 200] [--workers 2] [--space quick] [--data digits] [--max-epochs 5]
//
// (node --expose-gc: each worker collects garbage before it measures its heap.)
//
// After every trial the worker that ran it reports its live tfjs tensors and its own V8
// heap, measured once the trial has cleaned up. Printed every 20 trials: the process's
// RSS, the main thread's heap, and per worker the tensors, tensor bytes and the lowest
// heap it reported in those 20 trials (without --expose-gc, garbage not yet collected
// inflates a single reading; the low-water mark follows what is really kept). At the end: whether any
// worker's tensor count ever left its baseline, and how RSS and the workers' low-water
// heaps moved between the first report (after warm-up) and the last.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tuner } from '../src/tuner.js';
import type { WorkerMemory } from '../src/train/types.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '200' },
    workers: { type: 'string', default: '2' },
    space: { type: 'string', default: 'quick' },
    data: { type: 'string', default: 'digits' },
    'max-epochs': { type: 'string', default: '5' },
  },
});
const trials = Number(values.trials);
const every = 20;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

const dir = mkdtempSync(join(tmpdir(), 'gradtune-soak-'));
const latest = new Map<number, WorkerMemory>();
/** Per worker, the lowest heap reading since the last report. */
const lowHeap = new Map<number, number>();
const baseline = new Map<number, number>();
const leaks: string[] = [];
const reports: { trials: number; rss: number; workerHeap: number }[] = [];
let finished = 0;
const t0 = performance.now();
try {
  console.log(`soak: ${trials} trials, space ${values.space}, ${values.data}, --max-epochs ${values['max-epochs']}, ${values.workers} workers`);
  console.log('trials  seconds  rss MB  main heap MB  per worker: tensors / tensor MB / lowest heap MB');
  await new Tuner(
    { space: values.space, data: values.data, algorithm: 'random', maxTrials: trials, maxEpochs: Number(values['max-epochs']), workers: Number(values.workers), seed: 1, storage: join(dir, 'soak.db') },
    {
      onTrialEnd(trial, { worker }) {
        finished++;
        if (worker) {
          latest.set(worker.threadId, worker);
          lowHeap.set(worker.threadId, Math.min(lowHeap.get(worker.threadId) ?? Infinity, worker.heapUsedBytes));
          // A thread's first trial sets its baseline (tfjs keeps a few tensors of its own).
          if (!baseline.has(worker.threadId)) baseline.set(worker.threadId, worker.tensors);
          else if (worker.tensors !== baseline.get(worker.threadId)) leaks.push(`trial ${trial.number} on thread ${worker.threadId}: ${worker.tensors} tensors, baseline ${baseline.get(worker.threadId)}`);
        }
        if (finished % every === 0) {
          const rss = process.memoryUsage().rss;
          const workers = [...latest.values()].sort((a, b) => a.threadId - b.threadId);
          const workerHeap = workers.reduce((s, w) => s + lowHeap.get(w.threadId)!, 0);
          reports.push({ trials: finished, rss, workerHeap });
          const cols = workers.map((w) => `#${w.threadId}: ${w.tensors} / ${mb(w.tensorBytes)} / ${mb(lowHeap.get(w.threadId)!)}`).join('  ');
          lowHeap.clear();
          console.log(
            `${String(finished).padStart(6)}  ${((performance.now() - t0) / 1000).toFixed(0).padStart(7)}  ${mb(rss).padStart(6)}  ${mb(process.memoryUsage().heapUsed).padStart(12)}  ${cols}`,
          );
        }
      },
    },
  ).search();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(leaks.length ? `tensor counts left their baseline ${leaks.length} times:\n  ${leaks.slice(0, 10).join('\n  ')}` : `tensor counts: back to each worker's baseline after all ${finished} trials`);
if (reports.length >= 2) {
  const first = reports[0];
  const last = reports.at(-1)!;
  console.log(
    `from trial ${first.trials} to ${last.trials}: rss ${mb(first.rss)} -> ${mb(last.rss)} MB (${(last.rss / first.rss).toFixed(2)}x), ` +
      `workers' lowest heaps ${mb(first.workerHeap)} -> ${mb(last.workerHeap)} MB (${(last.workerHeap / first.workerHeap).toFixed(2)}x)`,
  );
}
