// The gradient monitor: what it costs when trials are healthy, and what it saves when they are not.
//
//   npx tsx bench/diagnostics.ts [--configs 8] [--rounds 3] [--trials 20] [--seed 42]
//                                [--part both|cost|search|repair] [--backend auto|wasm|cpu]
//                                [--repair-seeds 1,2,3,4,5] [--repair-trials 20] [--repair-epochs 10]
//                                [--repair-spaces deep-sigmoid,mlp]
//
// (a) Cost. Healthy MLPs on digits (the configurations of bench/overhead-space.ts: fixed
//     epochs, no early stopping), trained in this process by src/train/loop.ts with the
//     monitor off (no `diagnostics`), on at the default cadence (statistics every
//     `diagEvery` = 10 steps, `reject: false`, so each configuration trains the same
//     epochs either way), and on at every step (diagEvery 1, for contrast). The order
//     alternates between configurations (on, off, every step | every step, off, on |
//     ...), because a shared machine's speed drifts. The printed figures are:
//       round r        the round's total training time per arm and its ratio to "off"
//       total          the sum over all rounds: wall seconds and CPU seconds per arm, and
//                      monitor-on / monitor-off, the monitor's cost (target: <= 1.05)
//       diagEvery 1    the same ratio when every step is checked
//       same results   whether every configuration's per-epoch history is identical with
//                      the monitor on and off (the monitor observes; it must not change training)
//     Model building is outside the timings; one untimed training comes first (warm-up).
//
// (b) Savings. The built-in deep-sigmoid space on digits, searched twice through the
//     Tuner API with the same seed (so the same configurations, trial by trial): with
//     rejection, and with `reject: false` (verdicts recorded, every trial trains to its end).
//     For each run:
//       rejected       trials rejected, by verdict (with reject: false, trials judged unhealthy)
//       epochs         epochs trained: the sum of the trials' epochsRun
//       saved          epochs that rejection did not train (results.rejection.epochsSaved)
//       wall           the search's wall time, pool start-up included
//       best           the best score and its trial
//     Then: whether both runs have the same best trial (rejection must not lose the best
//     configuration), the best score any rejected trial reached when it was allowed to
//     finish, whether the two runs gave the same verdict on every trial, and the epochs
//     and wall time of the run with rejection as a share of the run without. `saved`
//     counts a rejected trial's planned epochs; allowed to finish, it may have stopped
//     early anyway, so the difference in epochs trained is the saving actually made.
//
// (c) Repair (--part repair, not part of `both`). Random search on digits with the
//     `deep-sigmoid` and `mlp` spaces, per seed, with and without --repair, the same
//     number of trials either way (repairs count towards --max-trials), 2 workers. Per
//     run: the share of trials rejected, the best score, and the epochs trained by trials
//     that ended rejected; then the medians over the seeds. Target: with --repair a better
//     median best score on deep-sigmoid, and no worse on mlp. The arms alternate per seed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { initBackend } from '../src/train/backend.js';
import { buildModel } from '../src/train/model.js';
import { train } from '../src/train/loop.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import { loadDataset } from '../src/data/load.js';
import { loadSpace } from '../src/space/load.js';
import { randomDecider } from '../src/space/sample.js';
import { Tuner, type SearchResults } from '../src/tuner.js';
import { BENCH_EPOCHS } from './overhead-space.js';
import type { DiagnosticsSettings } from '../src/train/diagnostics-types.js';
import type { TrialConfig } from '../src/space/types.js';
import type { BackendPreference } from '../src/train/types.js';

const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    trials: { type: 'string', default: '20' },
    seed: { type: 'string', default: '42' },
    part: { type: 'string', default: 'both' },
    'repair-seeds': { type: 'string', default: '1,2,3,4,5' },
    'repair-trials': { type: 'string', default: '20' },
    'repair-epochs': { type: 'string', default: '10' },
    'repair-spaces': { type: 'string', default: 'deep-sigmoid,mlp' },
    backend: { type: 'string', default: 'auto' },
  },
});
const configCount = Number(values.configs);
const rounds = Number(values.rounds);
const trials = Number(values.trials);
const seed = Number(values.seed);
const backendPref = values.backend as BackendPreference;
const objective = { metric: 'val_accuracy', direction: 'max' as const };

// --- (a) cost ----------------------------------------------------------------------

type Arm = 'off' | 'on' | 'every';
const ARMS: Record<Arm, { label: string; diagnostics: DiagnosticsSettings | undefined }> = {
  off: { label: 'monitor off', diagnostics: undefined },
  on: { label: 'monitor on (diagEvery 10)', diagnostics: resolveDiagnostics({ reject: false }) },
  every: { label: 'monitor on (diagEvery 1)', diagnostics: resolveDiagnostics({ reject: false, diagEvery: 1 }) },
};

async function cost(): Promise<void> {
  const space = await loadSpace({ path: fileURLToPath(new URL('./overhead-space.ts', import.meta.url)) });
  const ds = loadDataset({ builtin: 'digits', valSplit: 0.2, seed });
  const configs: TrialConfig[] = Array.from({ length: configCount }, (_, i) => space.buildWith(randomDecider(seedrandom(`diagnostics-bench:${seed}:${i}`))).config);

  /** One training of config i; returns wall ms, CPU ms and the history (as JSON, to compare arms). */
  async function run(i: number, arm: Arm): Promise<{ wallMs: number; cpuMs: number; history: string; checks: number }> {
    const config = configs[i];
    const model = buildModel(config, { inputDim: ds.nFeatures, outputUnits: ds.nOutputs, task: ds.task, seed: seed + i });
    try {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const out = await train({ model, dataset: ds, training: config.training, objective, maxEpochs: BENCH_EPOCHS, seed: seed + i, diagnostics: ARMS[arm].diagnostics });
      const wallMs = performance.now() - t0;
      const c = process.cpuUsage(c0);
      return { wallMs, cpuMs: (c.user + c.system) / 1000, history: JSON.stringify(out.history), checks: out.diagnostics?.checks ?? 0 };
    } finally {
      model.dispose();
    }
  }

  console.log(`\n(a) cost: ${configCount} configurations (bench/overhead-space.ts) on digits, ${BENCH_EPOCHS} epochs each, no early stopping, ${rounds} round${rounds === 1 ? '' : 's'}, order alternating per configuration`);
  await run(0, 'every'); // warm-up: compiles the kernels of training and of the statistics

  const total = { off: { wall: 0, cpu: 0 }, on: { wall: 0, cpu: 0 }, every: { wall: 0, cpu: 0 } };
  const histories = new Map<string, string>();
  let identical = true;
  let checksPerTrial = 0;
  for (let round = 1; round <= rounds; round++) {
    const roundWall = { off: 0, on: 0, every: 0 };
    for (let i = 0; i < configs.length; i++) {
      const order: Arm[] = (i + round) % 2 === 0 ? ['on', 'off', 'every'] : ['every', 'off', 'on'];
      for (const arm of order) {
        const r = await run(i, arm);
        roundWall[arm] += r.wallMs;
        total[arm].wall += r.wallMs;
        total[arm].cpu += r.cpuMs;
        if (arm === 'on') checksPerTrial = Math.max(checksPerTrial, r.checks);
        const key = `${i}`;
        const seen = histories.get(key);
        if (seen === undefined) histories.set(key, r.history);
        else if (seen !== r.history) identical = false;
      }
    }
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `round ${round}: off ${s(roundWall.off)} | on ${s(roundWall.on)} (${(roundWall.on / roundWall.off).toFixed(3)}x) | every step ${s(roundWall.every)} (${(roundWall.every / roundWall.off).toFixed(3)}x)`,
    );
  }
  const secs = (ms: number) => (ms / 1000).toFixed(1);
  const ratio = total.on.wall / total.off.wall;
  console.log(`total, ${rounds} rounds x ${configCount} configurations:`);
  for (const arm of ['off', 'on', 'every'] as const) {
    console.log(`  ${ARMS[arm].label.padEnd(26)} ${secs(total[arm].wall).padStart(6)} s wall  ${secs(total[arm].cpu).padStart(6)} s cpu`);
  }
  console.log(
    `monitor cost (on / off, diagEvery 10, up to ${checksPerTrial} checks per trial): ${ratio.toFixed(3)}x wall, ${(total.on.cpu / total.off.cpu).toFixed(3)}x cpu — ${ratio <= 1.05 ? 'within' : 'OVER'} the 1.05 target`,
  );
  console.log(`diagEvery 1 for contrast (every / off): ${(total.every.wall / total.off.wall).toFixed(3)}x wall, ${(total.every.cpu / total.off.cpu).toFixed(3)}x cpu`);
  console.log(`same results with the monitor on and off (and every step): ${identical ? 'yes, every history identical' : 'NO: histories differ'}`);
}

// --- (b) savings -------------------------------------------------------------------

async function savings(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gradtune-diag-bench-'));
  try {
    console.log(`\n(b) savings: deep-sigmoid on digits, ${trials} trials, 2 workers, seed ${seed}, with and without rejection`);
    const search = async (reject: boolean) => {
      const t0 = performance.now();
      const results = await new Tuner({
        space: 'deep-sigmoid',
        data: 'digits',
        maxTrials: trials,
        workers: 2,
        seed,
        backend: backendPref,
        storage: join(dir, `reject-${reject}.db`),
        diagnostics: { reject },
      }).search();
      return { results, wallMs: performance.now() - t0 };
    };
    const withRejection = await search(true);
    const without = await search(false);

    const verdict = (r: SearchResults, n: number) => r.trials.find((t) => t.number === n)?.diagnostics?.verdict.kind ?? 'none';
    const line = (name: string, { results: r, wallMs }: { results: SearchResults; wallMs: number }) => {
      const unhealthy = r.trials.filter((t) => t.diagnostics && t.diagnostics.verdict.kind !== 'healthy');
      const count = (kind: string) => unhealthy.filter((t) => t.diagnostics!.verdict.kind === kind).length;
      const epochs = r.trials.reduce((sum, t) => sum + t.epochsRun, 0);
      const best = r.best ? `${r.best.score?.toFixed(4)} (trial ${r.best.number})` : 'none';
      const judged = `${r.rejection.rejected > 0 ? `${r.rejection.rejected} rejected` : `${unhealthy.length} judged unhealthy`} (${count('vanishing')} vanishing, ${count('exploding')} exploding)`;
      console.log(`${name.padEnd(18)} ${judged}, ${epochs} epochs trained, ${r.rejection.epochsSaved} saved, ${(wallMs / 1000).toFixed(1)} s wall, best ${r.study.objective.metric} ${best}`);
      return epochs;
    };
    const epochsWith = line('with rejection:', withRejection);
    const epochsWithout = line('without rejection:', without);

    const a = withRejection.results;
    const b = without.results;
    const sameBest = a.best !== undefined && b.best !== undefined && a.best.number === b.best.number && a.best.score === b.best.score;
    console.log(
      `best configuration: ${sameBest ? `the same trial (${a.best!.number}) and score in both runs` : `DIFFERENT: trial ${a.best?.number} (${a.best?.score}) with rejection vs trial ${b.best?.number} (${b.best?.score}) without`}`,
    );
    const rejected = a.trials.filter((t) => t.status === 'rejected').map((t) => t.number);
    const finishedScores = b.trials.filter((t) => rejected.includes(t.number)).map((t) => t.score ?? -Infinity);
    if (finishedScores.length > 0) {
      console.log(`rejected trials, when allowed to finish: best ${Math.max(...finishedScores).toFixed(4)} (the search's best: ${b.best?.score?.toFixed(4)})`);
    }
    const agree = a.trials.filter((t) => verdict(a, t.number) === verdict(b, t.number)).length;
    console.log(`verdicts agree between the runs on ${agree} of ${a.trials.length} trials`);
    // epochsSaved counts each rejected trial's planned epochs; run to its end, a trial may
    // have stopped early anyway, so the difference between the runs is what was really saved.
    console.log(
      `rejection trained ${epochsWith} of ${epochsWithout} epochs (${((100 * epochsWith) / epochsWithout).toFixed(0)}%; ${epochsWithout - epochsWith} fewer) in ${((100 * withRejection.wallMs) / without.wallMs).toFixed(0)}% of the wall time`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- (c) repair --------------------------------------------------------------------

interface RepairRun {
  rejectedShare: number;
  best: number | null;
  rejectedEpochs: number;
  repairs: number;
  repairsCompleted: number;
  bestIsRepair: boolean;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function repair(): Promise<void> {
  const seeds = values['repair-seeds'].split(',').map(Number);
  const trialsPerRun = Number(values['repair-trials']);
  const epochs = Number(values['repair-epochs']);
  const dir = mkdtempSync(join(tmpdir(), 'gradtune-repair-bench-'));
  console.log(`\n(c) repair: random search on digits, ${trialsPerRun} trials per run (repairs included), --max-epochs ${epochs}, 2 workers, seeds ${seeds.join(', ')}`);
  try {
    for (const space of values['repair-spaces'].split(',')) {
      const runs: Record<'without' | 'with', RepairRun[]> = { without: [], with: [] };
      for (const [i, seed] of seeds.entries()) {
        const order: ('without' | 'with')[] = i % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
        for (const arm of order) {
          const results = await new Tuner({
            space,
            data: 'digits',
            algorithm: 'random',
            maxTrials: trialsPerRun,
            maxEpochs: epochs,
            workers: 2,
            seed,
            backend: backendPref,
            storage: join(dir, `${space}-${seed}-${arm}.db`),
            repair: arm === 'with',
          }).search();
          const rejected = results.trials.filter((t) => t.status === 'rejected');
          const repairs = results.trials.filter((t) => t.repairOf !== null);
          runs[arm][i] = {
            rejectedShare: rejected.length / results.trials.length,
            best: results.best?.score ?? null,
            rejectedEpochs: rejected.reduce((sum, t) => sum + t.epochsRun, 0),
            repairs: repairs.length,
            repairsCompleted: repairs.filter((t) => t.status === 'completed').length,
            bestIsRepair: results.best?.repairOf !== null && results.best !== undefined,
          };
        }
        const [a, b] = [runs.without[i], runs.with[i]];
        const f = (r: RepairRun) =>
          `rejected ${(100 * r.rejectedShare).toFixed(0)}%, best ${r.best?.toFixed(4) ?? '-'}, ${r.rejectedEpochs} epochs on rejected trials` +
          (r.repairs > 0 ? `, ${r.repairs} repairs (${r.repairsCompleted} completed${r.bestIsRepair ? ', the best is one' : ''})` : '');
        console.log(`${space} seed ${seed}: without --repair ${f(a)} | with --repair ${f(b)}`);
      }
      const med = (arm: 'without' | 'with', pick: (r: RepairRun) => number) => median(runs[arm].map(pick));
      const bestOf = (r: RepairRun) => r.best ?? 0;
      const [bestWithout, bestWith] = [med('without', bestOf), med('with', bestOf)];
      console.log(
        `${space} medians: rejected ${(100 * med('without', (r) => r.rejectedShare)).toFixed(0)}% -> ${(100 * med('with', (r) => r.rejectedShare)).toFixed(0)}%, ` +
          `best ${bestWithout.toFixed(4)} -> ${bestWith.toFixed(4)}, epochs on rejected trials ${med('without', (r) => r.rejectedEpochs)} -> ${med('with', (r) => r.rejectedEpochs)}; ` +
          `best score with --repair ${bestWith > bestWithout ? 'better' : bestWith === bestWithout ? 'the same' : 'WORSE'}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const backend = await initBackend(backendPref);
console.log(`backend: ${backend}`);
if (values.part === 'repair') await repair();
else {
  if (values.part !== 'search') await cost();
  if (values.part !== 'cost') await savings();
}
