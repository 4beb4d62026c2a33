import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// --keep-checkpoints: which trials keep their best-epoch weights. The top N by the
// objective always; under Hyperband also every trial a promotion may still continue —
// checked by running the oracle over whole schedules, dropping after every result, and
// asserting that each promotion finds its parent's checkpoint.
import { describe, it, expect } from 'vitest';
import seedrandom from 'seedrandom';
import { checkpointsToKeep } from '../src/export/retention.js';
import { hyperbandOracle } from '../src/oracle/hyperband.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { StudyRecord, TrialRecord, TrialStatus } from '../src/store/store.js';
import { makeNewStudy, makeStudy, makeTrial, toySpace } from './helpers/records.js';

const space = toySpace;

describe('checkpointsToKeep, random and grid search', () => {
  const study = makeStudy({ objective: { metric: 'val_loss', direction: 'min' } });
  const trials = [
    makeTrial(0, {}, 'completed', { score: 0.5 }),
    makeTrial(1, {}, 'completed', { score: 0.2 }),
    makeTrial(2, {}, 'rejected', { score: 0.1 }),
    makeTrial(3, {}, 'completed', { score: 0.2 }),
    makeTrial(4, {}, 'failed'),
    makeTrial(5, {}, 'completed', { score: 0.9 }),
    makeTrial(6, {}, 'running'),
  ];

  it('keeps the best N completed trials by the objective, ties to the earlier trial', () => {
    expect([...checkpointsToKeep(study, trials, { keep: 1 })]).toEqual([1]);
    expect([...checkpointsToKeep(study, trials, { keep: 3 })].sort()).toEqual([0, 1, 3]);
    // A rejected trial with a better score never counts: it kept no weights to export.
    expect([...checkpointsToKeep(study, trials, { keep: 10 })].sort()).toEqual([0, 1, 3, 5]);
    expect(checkpointsToKeep(study, trials, { keep: 0 }).size).toBe(0);
  });

  it('follows the direction of the objective', () => {
    const max = { ...study, objective: { metric: 'val_accuracy', direction: 'max' as const } };
    expect([...checkpointsToKeep(max, trials, { keep: 1 })]).toEqual([5]);
  });
});

/** Hyperband with maxEpochs 9, factor 3: brackets 2, 1, 0 (23 trials), or 27 (70 trials). */
function hbStudy(maxEpochs: number, seed = 7): StudyRecord {
  return makeStudy({ name: 'hb', algorithm: 'hyperband', seed, maxEpochs, settings: { hyperband: { factor: 3, iterations: 1 } } });
}

interface SimOptions {
  workers: number;
  order: string;
  keep: number;
  /** Chance that a finished trial failed, was rejected, or that a running one went stale. */
  failed?: number;
  rejected?: number;
  stale?: number;
  failedIsFinal?: boolean;
}

/**
 * Runs the Hyperband oracle to the end as the Tuner does: ask, run, tell, then drop
 * the checkpoints retention does not keep. Returns the trials, the checkpoints left and
 * the most trials that ever held one at once.
 */
function simulate(study: StudyRecord, o: SimOptions) {
  const oracle = hyperbandOracle(space, { maxEpochs: study.maxEpochs, factor: 3 });
  const rng = seedrandom(o.order);
  const trials: TrialRecord[] = [];
  const checkpoints = new Set<number>();
  let droppedBeforeEnd = 0;
  for (let guard = 0; guard < 20_000; guard++) {
    const running = trials.filter((t) => t.status === 'running');
    if (running.length < o.workers) {
      const d = oracle.next(study, trials);
      if (d.kind === 'run') {
        // The property under test: a promotion always finds its parent's weights.
        if (d.parent !== undefined) expect(checkpoints.has(d.parent), `trial ${trials.length} continues trial ${d.parent}`).toBe(true);
        trials.push(makeTrial(trials.length, d.params, 'running', { parent: d.parent ?? null, fromEpoch: d.fromEpoch ?? null, toEpoch: d.toEpoch ?? null, slot: d.slot ?? null }));
        continue;
      }
      if (d.kind === 'done') return { trials, checkpoints, droppedBeforeEnd };
    }
    const t = running[Math.floor(rng() * running.length)];
    const roll = rng();
    const p = { failed: o.failed ?? 0, rejected: o.rejected ?? 0, stale: o.stale ?? 0 };
    const status: TrialStatus = roll < p.stale ? 'stale' : roll < p.stale + p.failed ? 'failed' : roll < p.stale + p.failed + p.rejected ? 'rejected' : 'completed';
    t.status = status;
    t.score = status === 'completed' ? rng() + 0.01 * (t.toEpoch ?? 0) : null;
    if (status === 'completed') checkpoints.add(t.number);
    const keep = checkpointsToKeep(study, trials, { keep: o.keep, failedIsFinal: o.failedIsFinal });
    for (const n of [...checkpoints]) {
      if (!keep.has(n)) {
        checkpoints.delete(n);
        droppedBeforeEnd++;
      }
    }
  }
  throw new Error('the simulation did not end');
}

describe('checkpointsToKeep, Hyperband', () => {
  it('never drops a checkpoint a promotion still needs, whatever the workers and order of results', () => {
    for (const [maxEpochs, workers, order] of [[9, 1, 'a'], [9, 3, 'b'], [27, 2, 'c'], [27, 5, 'd']] as const) {
      const { trials, checkpoints, droppedBeforeEnd } = simulate(hbStudy(maxEpochs), { workers, order, keep: 1 });
      expect(trials.filter((t) => t.parent !== null).length).toBeGreaterThan(0);
      // Dropping happens as the search goes, not only at its end.
      expect(droppedBeforeEnd).toBeGreaterThan(10);
      // At the end every bracket is settled: only the best trial keeps its weights.
      const best = [...trials].filter((t) => t.status === 'completed').sort((a, b) => b.score! - a.score! || a.number - b.number)[0];
      expect([...checkpoints]).toEqual([best.number]);
    }
  });

  it('keeps what promotions need when trials are rejected, fail or lose their worker', () => {
    for (const order of ['e', 'f', 'g']) {
      // failedIsFinal false (the default): a failed trial may be retried, and kept weights stay until it is not.
      simulate(hbStudy(27), { workers: 3, order, keep: 2, failed: 0.1, rejected: 0.15, stale: 0.1 });
      const final = simulate(hbStudy(27), { workers: 3, order, keep: 2, failed: 0.1, rejected: 0.15, stale: 0.1, failedIsFinal: true });
      expect(final.checkpoints.size).toBe(2);
    }
  });

  it('keeps a trial whose continuation is still running, and drops it once that continuation has finished', () => {
    const study = hbStudy(9);
    const slot = (round: number) => ({ iteration: 0, bracket: 2, round });
    // Bracket 2, round 0 has 9 trials; trial 3 (the best) is promoted into round 1 as trial 9.
    const round0 = Array.from({ length: 9 }, (_, i) => makeTrial(i, { x: i / 10 }, 'completed', { score: i === 3 ? 0.99 : 0.1 + i / 100, slot: slot(0), toEpoch: 1 }));
    const child = makeTrial(9, { x: 0.3 }, 'running', { parent: 3, slot: slot(1), fromEpoch: 1, toEpoch: 3 });
    const keep = (trials: TrialRecord[]) => [...checkpointsToKeep(study, trials, { keep: 0 })].sort((a, b) => a - b);
    // Round 1 is not settled: every round-0 trial may still be promoted.
    expect(keep([...round0, child])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // The child finished: trial 3 is never continued again; the others still may be.
    expect(keep([...round0, { ...child, status: 'completed', score: 0.995 }])).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    // A stale child gives its slot back: trial 3 may be promoted again.
    expect(keep([...round0, { ...child, status: 'stale' }])).toContain(3);
  });

  it('drops the trials a settled round did not promote; a failed trial, which a retry may run again, keeps its round open', () => {
    const study = hbStudy(9);
    const slot = (round: number) => ({ iteration: 0, bracket: 2, round });
    // Round 0: 9 trials, trial 8 failed; round 1: the best three (7, 6, 5) promoted and finished.
    const round0 = Array.from({ length: 9 }, (_, i) => makeTrial(i, { x: i / 10 }, i === 8 ? 'failed' : 'completed', { score: i === 8 ? null : i / 10, slot: slot(0), toEpoch: 1 }));
    const round1 = [7, 6, 5].map((parent, i) => makeTrial(9 + i, { x: parent / 10 }, 'completed', { score: 0.5 + i / 100, parent, slot: slot(1), fromEpoch: 1, toEpoch: 3 }));
    const keep = (failedIsFinal: boolean) => [...checkpointsToKeep(study, [...round0, ...round1], { keep: 0, failedIsFinal })].sort((a, b) => a - b);
    // Retried, trial 8 could succeed and outrank them: the unpromoted round-0 trials stay (and round 1, which round 2 will promote from).
    expect(keep(false)).toEqual([0, 1, 2, 3, 4, 9, 10, 11]);
    // Without retries round 0 and round 1 are settled: only round 1 (promoted into round 2 next) keeps its weights.
    expect(keep(true)).toEqual([9, 10, 11]);
  });

  it('keeps everything when the stored Hyperband settings cannot be read', () => {
    const study = makeStudy({ algorithm: 'hyperband', settings: {} });
    const trials = [makeTrial(0, {}, 'completed', { score: 0.5, slot: { iteration: 0, bracket: 1, round: 1 } }), makeTrial(1, {}, 'completed', { score: 0.6, slot: { iteration: 0, bracket: 1, round: 0 } })];
    expect([...checkpointsToKeep(study, trials, { keep: 0 })].sort()).toEqual([0, 1]);
  });
});

describe('SqliteStore.dropCheckpoints', () => {
  it('drops, in one transaction, every checkpoint the callback does not keep', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradtune-retention-'));
    const store = await openSqliteStore(join(dir, 'r.db'));
    try {
      const study = await store.createStudy(makeNewStudy({ name: 's', maxEpochs: 3 }));
      for (let i = 0; i < 4; i++) {
        const asked = await store.ask(study.id, () => ({ kind: 'run', params: { i } }));
        if (asked.kind !== 'run') throw new Error('expected a trial');
        await store.tell(study.id, asked.trial.number, {
          status: i === 2 ? 'failed' : 'completed',
          score: i === 2 ? null : i / 10,
          bestEpoch: 1,
          epochsRun: 1,
          history: [],
          backend: 'cpu',
          durationMs: 1,
          checkpoint: i === 2 ? null : new Uint8Array([i, 1, 2]),
        });
      }
      expect(await store.checkpointNumbers(study.id)).toEqual([0, 1, 3]);
      let seen: number[] = [];
      const dropped = await store.dropCheckpoints(study.id, (s, trials) => {
        seen = trials.map((t) => t.number);
        expect(s.name).toBe('s');
        return checkpointsToKeep(s, trials, { keep: 1 });
      });
      expect(seen).toEqual([0, 1, 2, 3]);
      expect(dropped).toEqual([0, 1]);
      expect(await store.checkpointNumbers(study.id)).toEqual([3]);
      expect(Array.from((await store.checkpoint(study.id, 3))!)).toEqual([3, 1, 2]);
      expect(await store.checkpoint(study.id, 0)).toBeNull();
      // Nothing else about a trial changes.
      expect((await store.trials(study.id)).map((t) => [t.status, t.score])).toEqual([['completed', 0], ['completed', 0.1], ['failed', null], ['completed', 0.3]]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
