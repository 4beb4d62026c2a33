// Pruning and ASHA against plain random search and synchronous Hyperband, at the same
// epoch budget (Hyperband's whole schedule), over several seeds, in one run.
//
//   npx tsx bench/pruning-efficiency.ts [--seeds 1,2] [--data digits] [--space quick]
//       [--max-epochs 27] [--factor 3] [--workers 2,4] [--parts prune,asha]
//
// For each seed, with B = the epochs of Hyperband's schedule (--max-epochs, --factor):
//   prune (at the first --workers): random search; random search with the median pruner;
//          TPE with the successive-halving pruner (--sampler tpe --pruner asha) — each runs
//          until it has trained B epochs;
//   asha (at each --workers): Hyperband's whole schedule (B epochs) and --algo asha until it
//          has trained B epochs.
// Printed per run: the best validation score, the epochs trained (in the order trials
// finished) when the best so far first reached plain random search's best, and the share
// of worker time spent idle: without a trial, from the first trial's start to the last
// one's start (while the search still had work to give), and to the last one's end (the
// final drain included). Targets: pruned random search reaches random search's best in
// <= 0.6x its epochs; ASHA's idle share <= 5% and below Hyperband's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tuner, type TunerOptions } from '../src/tuner.js';
import { hyperbandSchedule } from '../src/oracle/hyperband-schedule.js';
import type { TrialRecord } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2' },
    data: { type: 'string', default: 'digits' },
    space: { type: 'string', default: 'quick' },
    'max-epochs': { type: 'string', default: '27' },
    factor: { type: 'string', default: '3' },
    workers: { type: 'string', default: '2,4' },
    parts: { type: 'string', default: 'prune,asha' },
  },
});
const seeds = values.seeds.split(',').map(Number);
const maxEpochs = Number(values['max-epochs']);
const factor = Number(values.factor);
const workerCounts = values.workers.split(',').map(Number);
const parts = new Set(values.parts.split(','));
const budget = hyperbandSchedule({ maxEpochs, factor, iterations: 1 }).totalEpochs;

interface Run {
  label: string;
  best: number | null;
  /** Trials in the order they finished. */
  finished: TrialRecord[];
  epochs: number;
  seconds: number;
  /** Idle share while work remained, and over the whole run. */
  idle: { active: number; whole: number };
  pruned: number;
}

/** Epochs trained, in finishing order, when the best score so far first reached `target`; null: never. */
function epochsToReach(finished: readonly TrialRecord[], target: number, direction: 'min' | 'max'): number | null {
  let epochs = 0;
  let best: number | null = null;
  for (const t of finished) {
    epochs += t.epochsRun;
    if (t.status === 'completed' && t.score !== null) best = best === null || (direction === 'max' ? t.score > best : t.score < best) ? t.score : best;
    if (best !== null && (direction === 'max' ? best >= target : best <= target)) return epochs;
  }
  return null;
}

/** Worker time without a trial, as a share of workers x time, from the first start to `until`. */
function idleShare(intervals: Array<[number, number]>, workers: number, until: number): number {
  const from = Math.min(...intervals.map(([s]) => s));
  let busy = 0;
  for (const [s, e] of intervals) busy += Math.max(0, Math.min(e, until) - Math.max(s, from));
  return 1 - busy / (workers * (until - from));
}

async function run(label: string, options: TunerOptions, stopAtBudget: boolean, dir: string): Promise<Run> {
  const finished: TrialRecord[] = [];
  const started = new Map<number, number>();
  const intervals: Array<[number, number]> = [];
  let epochs = 0;
  const t0 = performance.now();
  const tuner: Tuner = new Tuner(
    { ...options, storage: join(dir, `${label.replace(/\W+/g, '-')}.db`) },
    {
      onTrialStart: (t) => started.set(t.number, performance.now()),
      onTrialEnd: (t) => {
        intervals.push([started.get(t.number)!, performance.now()]);
        finished.push(t);
        epochs += t.epochsRun;
        // The same budget: no new trial once as many epochs as Hyperband's schedule are trained.
        if (stopAtBudget && epochs >= budget) tuner.stop();
      },
    },
  );
  const results = await tuner.search();
  const lastStart = Math.max(...intervals.map(([s]) => s));
  const lastEnd = Math.max(...intervals.map(([, e]) => e));
  return {
    label,
    best: results.best?.score ?? null,
    finished,
    epochs,
    seconds: (performance.now() - t0) / 1000,
    idle: { active: idleShare(intervals, options.workers!, lastStart), whole: idleShare(intervals, options.workers!, lastEnd) },
    pruned: finished.filter((t) => t.status === 'pruned').length,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

const dir = mkdtempSync(join(tmpdir(), 'gradtune-pruning-'));
const ratios = new Map<string, number[]>();
const idles = new Map<string, number[]>();
try {
  console.log(
    `${values.space} on ${values.data}; budget ${budget} epochs (Hyperband --max-epochs ${maxEpochs} --factor ${factor}); workers ${workerCounts.join(', ')}; seeds ${seeds.join(', ')}`,
  );
  for (const seed of seeds) {
    const base: TunerOptions = { space: values.space, data: values.data, seed, maxEpochs };
    const w0 = workerCounts[0];
    const random = await run(`random w${w0} s${seed}`, { ...base, algorithm: 'random', maxTrials: 100_000, workers: w0 }, true, dir);
    const target = random.best ?? NaN;
    const direction = 'max' as const;
    const reachRandom = epochsToReach(random.finished, target, direction)!;
    const runs: Run[] = [random];
    if (parts.has('prune')) {
      runs.push(await run(`random+median w${w0} s${seed}`, { ...base, algorithm: 'random', maxTrials: 100_000, workers: w0, pruner: 'median' }, true, dir));
      runs.push(await run(`tpe+asha-pruner w${w0} s${seed}`, { ...base, algorithm: 'random', sampler: 'tpe', maxTrials: 100_000, workers: w0, pruner: 'asha', factor }, true, dir));
    }
    if (parts.has('asha')) {
      for (const w of workerCounts) {
        // Alternated, so that neither always runs on a hotter machine.
        const pair = [
          () => run(`hyperband w${w} s${seed}`, { ...base, algorithm: 'hyperband', factor, workers: w }, false, dir),
          () => run(`asha w${w} s${seed}`, { ...base, algorithm: 'asha', factor, maxTrials: 100_000, workers: w }, true, dir),
        ];
        if (seed % 2 === 0) pair.reverse();
        for (const go of pair) runs.push(await go());
      }
    }
    for (const r of runs) {
      const reach = epochsToReach(r.finished, target, direction);
      const kind = r.label.replace(/ s\d+$/, '');
      if (r !== random) ratios.set(kind, [...(ratios.get(kind) ?? []), reach === null ? Infinity : reach / reachRandom]);
      idles.set(kind, [...(idles.get(kind) ?? []), r.idle.active]);
      console.log(
        `seed ${seed} ${kind.padEnd(22)} best ${r.best?.toFixed(4) ?? '-'} | ${String(r.finished.length).padStart(3)} trials (${r.pruned} pruned), ${r.epochs} epochs, ${r.seconds.toFixed(0)} s | ` +
          `epochs to reach random's best ${target.toFixed(4)}: ${reach ?? 'never'}${r === random ? '' : ` (${reach === null ? 'never' : (reach / reachRandom).toFixed(2) + 'x random'})`} | ` +
          `idle ${pct(r.idle.active)} while work remained, ${pct(r.idle.whole)} with the final drain`,
      );
    }
  }
  console.log('medians over seeds (never = infinite):');
  for (const [kind, rs] of ratios) console.log(`  ${kind.padEnd(22)} epochs to reach random's best: ${median(rs).toFixed(2)}x random's | idle while work remained ${pct(median(idles.get(kind)!))}`);
  console.log(`  ${('random w' + workerCounts[0]).padEnd(22)} idle while work remained ${pct(median(idles.get('random w' + workerCounts[0])!))}`);
  console.log('targets: pruned random <= 0.6x; asha idle <= 5% and below hyperband');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
