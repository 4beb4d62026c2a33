// What per-epoch reports cost, in one process run.
//
//   npx tsx bench/epoch-channel.ts [--rounds 5] [--trials 3] [--epochs 10] [--data digits] [--space quick] [--decisions-only]
//
// 1. The same trials (the space's default configuration, one pool thread) in three
//    variants, alternated round by round (a shared machine drifts), each round `trials`
//    trials per variant:
//    - none:    no per-epoch reports (the trial runs without the channel);
//    - reports: each epoch sent to the main thread and stored, as the Tuner does without a
//               pruner (the trial does not wait for the store; its result waits for the writes);
//    - pruner:  as a pruned search does it: the epoch stored, the study's per-epoch values
//               brought up to date and a median pruner asked, while the trial waits
//               (its start-up trials set so high that it never prunes: same work).
//    Printed: each round's times and ratios, then the medians, and process CPU time (all
//    threads) beside wall time. Target: reports <= 1.03x none.
// 2. A pruner's decision at 10 and at 10,000 completed trials (10 epochs each, stored):
//    store the epoch, bring the values up to date, ask the median pruner; mean over 200
//    decisions, after the process's first read. Target: the same cost at both sizes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { TrialPool } from '../src/pool/pool.js';
import type { EpochReport } from '../src/pool/epoch-channel.js';
import type { TrialSpec } from '../src/train/types.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { medianPruner } from '../src/pruner/median.js';
import { makeNewStudyForBench } from './bench-study.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    trials: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '10' },
    data: { type: 'string', default: 'digits' },
    space: { type: 'string', default: 'quick' },
    'decisions-only': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const trials = Number(values.trials);
const epochs = Number(values.epochs);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'gradtune-epochs-'));
try {
  if (!values['decisions-only']) await searchCost();
  await decisionCost();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function searchCost(): Promise<void> {
  type Variant = 'none' | 'reports' | 'pruner';
  const variants: Variant[] = ['none', 'reports', 'pruner'];
  const pool = new TrialPool(1, 'auto');
  const store = await openSqliteStore(join(dir, 'channel.db'));
  const wall: Record<Variant, number[]> = { none: [], reports: [], pruner: [] };
  const cpu: Record<Variant, number[]> = { none: [], reports: [], pruner: [] };
  const pruner = medianPruner({ startupTrials: 1_000_000 });
  let epochCount = 0;
  try {
    const study = await store.createStudy({ ...makeNewStudyForBench('channel'), datasetName: values.data, data: { builtin: values.data, valSplit: 0.2, seed: 42 }, maxEpochs: epochs });
    const space = { builtin: values.space };
    const spec = (seed: number): TrialSpec => ({
      trialNumber: 0,
      params: {},
      space,
      data: study.data,
      objective: study.objective,
      maxEpochs: epochs,
      seed,
      backend: 'auto',
      diagnostics: {},
      keepCheckpoint: true,
    });
    // A first trial warms the worker up (space, data, backend), untimed.
    await pool.run(spec(0));
    console.log(`trials of ${epochs} epochs (the ${values.space} space's default configuration on ${values.data}) in one pool thread, the three variants alternated; ${rounds} rounds of ${trials} trials each`);
    for (let round = 0; round < rounds; round++) {
      const order = [...variants.slice(round % 3), ...variants.slice(0, round % 3)];
      const line: string[] = [];
      for (const v of order) {
        let wallMs = 0;
        let cpuMs = 0;
        for (let i = 0; i < trials; i++) {
          // Each report goes to a trial of its own in the store (the store keeps one row per epoch of an attempt).
          const asked = await store.ask(study.id, () => ({ kind: 'run', params: { round, v, i } }));
          if (asked.kind !== 'run') throw new Error('expected a trial');
          const trial = asked.trial;
          let writes = Promise.resolve();
          const row = (r: EpochReport) => ({ number: trial.number, attempt: trial.attempt, run: 0, epoch: r.record.epoch, value: r.record.val_accuracy ?? null, record: r.record });
          const onEpoch =
            v === 'none'
              ? undefined
              : v === 'reports'
                ? (r: EpochReport) => {
                    // As the Tuner does without a pruner: stored off the trial's path, in order.
                    writes = writes.then(() => store.reportEpoch(study.id, row(r)));
                    return {};
                  }
                : async (r: EpochReport) => {
                    // As the Tuner does with a pruner: stored, values brought up to date, the pruner asked.
                    await store.reportEpoch(study.id, row(r));
                    const epochValues = await store.epochValues(study.id);
                    const summaries = await store.summaries(study.id);
                    return pruner.prune({ study, trial, epoch: r.record.epoch, values: epochValues, trials: summaries }) ? { stop: 'median' } : {};
                  };
          const cpu0 = process.cpuUsage();
          const t0 = performance.now();
          const result = await pool.run(spec(1000 * round + i + 1), { onEpoch });
          await writes;
          wallMs += performance.now() - t0;
          const used = process.cpuUsage(cpu0);
          cpuMs += (used.user + used.system) / 1000;
          epochCount = result.epochsRun;
          await store.tell(study.id, trial.number, { status: 'completed', score: result.score, bestEpoch: result.bestEpoch, epochsRun: result.epochsRun, history: [], backend: result.backend, durationMs: 0 });
        }
        wall[v].push(wallMs);
        cpu[v].push(cpuMs);
        line.push(`${v} ${(wallMs / 1000).toFixed(2)} s`);
      }
      console.log(`round ${round + 1}: ${line.join(', ')}; reports ${(wall.reports.at(-1)! / wall.none.at(-1)!).toFixed(3)}x, pruner ${(wall.pruner.at(-1)! / wall.none.at(-1)!).toFixed(3)}x`);
    }
  } finally {
    await store.close();
    await pool.close();
  }
  const ratio = (xs: number[], ys: number[]) => median(xs.map((x, i) => x / ys[i]));
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  console.log(
    `per round, median: reports ${ratio(wall.reports, wall.none).toFixed(3)}x, pruner path ${ratio(wall.pruner, wall.none).toFixed(3)}x the wall time without reports ` +
      `(totals: ${(total(wall.reports) / total(wall.none)).toFixed(3)}x, ${(total(wall.pruner) / total(wall.none)).toFixed(3)}x); ` +
      `process CPU time: reports ${ratio(cpu.reports, cpu.none).toFixed(3)}x, pruner ${ratio(cpu.pruner, cpu.none).toFixed(3)}x; ` +
      `${epochCount} epochs a trial, ${(total(wall.none) / (rounds * trials * epochCount)).toFixed(1)} ms an epoch without reports (target: reports <= 1.03x)`,
  );
}

/** A study with `n` completed trials of 10 epochs each, written straight into the store's tables. */
async function seeded(n: number): Promise<{ file: string; studyId: number }> {
  const file = join(dir, `decisions-${n}.db`);
  const store = await openSqliteStore(file);
  const study = await store.createStudy(makeNewStudyForBench(`s${n}`));
  await store.close();
  const db = new Database(file);
  const insertTrial = db.prepare(
    `INSERT INTO trials (study_id, number, status, params_json, score, best_epoch, epochs_run, history_json, started_at, finished_at, attempt, seq)
     VALUES (?, ?, 'completed', ?, ?, 10, 10, '[]', '2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z', 1, ?)`,
  );
  const insertEpoch = db.prepare(`INSERT INTO trial_epochs (study_id, number, attempt, run, epoch, value, record_json) VALUES (?, ?, 1, 0, ?, ?, '{}')`);
  db.transaction(() => {
    for (let t = 0; t < n; t++) {
      const quality = ((t * 7919) % 1000) / 1000;
      insertTrial.run(study.id, t, JSON.stringify({ t }), quality, t + 1);
      for (let e = 1; e <= 10; e++) insertEpoch.run(study.id, t, e, quality * (1 - Math.exp(-e / 3)));
    }
    db.prepare('UPDATE studies SET seq = ? WHERE id = ?').run(n, study.id);
  })();
  db.close();
  return { file, studyId: study.id };
}

async function decisionCost(): Promise<void> {
  const pruner = medianPruner({ startupTrials: 5 });
  const results: string[] = [];
  for (const n of [10, 10_000]) {
    const { file, studyId } = await seeded(n);
    const store = await openSqliteStore(file);
    try {
      const study = (await store.getStudy(`s${n}`))!;
      // 20 running trials report epochs 1..10: 200 decisions against the n completed ones.
      const running = [];
      for (let i = 0; i < 20; i++) {
        const asked = await store.ask(studyId, () => ({ kind: 'run', params: { running: i } }));
        if (asked.kind !== 'run') throw new Error('expected a trial');
        running.push(asked.trial);
      }
      const coldStart = performance.now();
      await store.epochValues(studyId);
      await store.summaries(studyId);
      const cold = performance.now() - coldStart;
      let pruned = 0;
      let writing = 0;
      let deciding = 0;
      for (let e = 1; e <= 10; e++) {
        for (const trial of running) {
          const value = 0.5 * (1 - Math.exp(-e / 3)) + trial.number / 1e6;
          const t0 = performance.now();
          await store.reportEpoch(studyId, { number: trial.number, attempt: trial.attempt, run: 0, epoch: e, value, record: { epoch: e, loss: 1, val_loss: 1, val_accuracy: value, learningRate: 0.01 } });
          const t1 = performance.now();
          const valuesView = await store.epochValues(studyId);
          const summaries = await store.summaries(studyId);
          if (pruner.prune({ study, trial, epoch: e, values: valuesView, trials: summaries })) pruned++;
          writing += t1 - t0;
          deciding += performance.now() - t1;
        }
      }
      results.push(
        `${n} trials: ${((writing + deciding) / 200).toFixed(3)} ms per decision = store the epoch ${(writing / 200).toFixed(3)} + read and decide ${(deciding / 200).toFixed(3)} ` +
          `(first read of the study in this process ${cold.toFixed(0)} ms; ${pruned} of 200 said stop)`,
      );
    } finally {
      await store.close();
    }
  }
  console.log(`pruner decision (store the epoch, bring the values up to date, median rule): ${results.join(' | ')}`);
}
