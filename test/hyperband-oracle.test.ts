// The Hyperband oracle, driven by a simulated trainer: every decision follows the
// schedule, promotions take the best of the previous round, and the same seed gives the
// same configurations whatever order results come back in.
import { describe, it, expect } from 'vitest';
import seedrandom from 'seedrandom';
import { hyperbandOracle } from '../src/oracle/hyperband.js';
import { hyperbandSchedule } from '../src/oracle/hyperband-schedule.js';
import { paramsKey } from '../src/space/params.js';
import type { SyncOracle } from '../src/oracle/oracle.js';
import type { StudyRecord, TrialRecord, TrialStatus } from '../src/store/store.js';
import { makeStudy, makeTrial, toySpace } from './helpers/records.js';
import type { HyperbandSlot } from '../src/oracle/oracle.js';

const space = toySpace;

function study(seed = 7): StudyRecord {
  return makeStudy({ name: 'hb', space: 'toy', algorithm: 'hyperband', seed, maxEpochs: 9 });
}

/** A deterministic "training": better for x near 0.7, and for more epochs. */
function scoreOf(t: TrialRecord): number {
  return 1 - Math.abs((t.params.x as number) - 0.7) + 0.01 * (t.toEpoch ?? 0);
}

interface Run {
  trials: TrialRecord[];
  decisions: number;
}

/**
 * Runs the oracle to the end with `workers` concurrent trials; results come back in an
 * order drawn from `orderSeed` (sequential when workers = 1). `statusOf` may fail or
 * reject some trials.
 */
function simulate(oracle: SyncOracle, s: StudyRecord, workers: number, orderSeed = 'order', statusOf: (t: TrialRecord) => TrialStatus = () => 'completed'): Run {
  const trials: TrialRecord[] = [];
  const rng = seedrandom(orderSeed);
  let decisions = 0;
  for (let guard = 0; guard < 10_000; guard++) {
    const running = trials.filter((t) => t.status === 'running');
    if (running.length < workers) {
      const d = oracle.next(s, trials);
      decisions++;
      if (d.kind === 'run') {
        trials.push(makeTrial(trials.length, d.params, 'running', { parent: d.parent ?? null, fromEpoch: d.fromEpoch ?? null, toEpoch: d.toEpoch ?? null, slot: d.slot ?? null }));
        continue;
      }
      if (d.kind === 'done') return { trials, decisions };
      expect(running.length, 'the oracle waits only while something runs').toBeGreaterThan(0);
    }
    // Finish one running trial, chosen by the order rng.
    const t = running[Math.floor(rng() * running.length)];
    t.status = statusOf(t);
    t.score = t.status === 'completed' ? scoreOf(t) : null;
  }
  throw new Error('the simulation did not end');
}

const key = (t: TrialRecord) => {
  const s = t.slot as HyperbandSlot;
  return `${s.iteration}:${s.bracket}:${s.round}`;
};

describe('Hyperband oracle', () => {
  const schedule = hyperbandSchedule({ maxEpochs: 9, factor: 3 });

  it('runs the schedule: each round its number of trials, epochs and promotions of the best', () => {
    const { trials } = simulate(hyperbandOracle(space, { maxEpochs: 9, factor: 3 }), study(), 1);
    expect(trials).toHaveLength(schedule.totalTrials);
    for (const b of schedule.brackets) {
      for (const r of b.rounds) {
        const here = trials.filter((t) => key(t) === `${b.iteration}:${b.bracket}:${r.round}`);
        expect(here, `bracket ${b.bracket} round ${r.round}`).toHaveLength(r.trials);
        for (const t of here) expect([t.fromEpoch, t.toEpoch]).toEqual([r.fromEpoch, r.toEpoch]);
        if (r.round === 0) {
          expect(here.every((t) => t.parent === null)).toBe(true);
          continue;
        }
        // The promoted are exactly the top `trials` of the previous round, with their params.
        const previous = trials.filter((t) => key(t) === `${b.iteration}:${b.bracket}:${r.round - 1}`);
        const top = [...previous].sort((a, c) => c.score! - a.score! || a.number - c.number).slice(0, r.trials).map((t) => t.number);
        expect(here.map((t) => t.parent).sort()).toEqual([...top].sort());
        for (const t of here) expect(t.params).toEqual(trials[t.parent!].params);
      }
    }
    // Fresh configurations are all different.
    const fresh = trials.filter((t) => t.parent === null).map((t) => paramsKey(t.params));
    expect(new Set(fresh).size).toBe(fresh.length);
  });

  it('gives the same configurations for a seed, and valid promotions, whatever the number of workers and order of results', () => {
    const freshBySlot = (run: Run) =>
      run.trials.filter((t) => t.parent === null).map((t) => `${key(t)} ${paramsKey(t.params)}`).sort();
    const sequential = simulate(hyperbandOracle(space, { maxEpochs: 9, factor: 3 }), study(), 1);
    for (const [workers, order] of [[2, 'a'], [3, 'b'], [5, 'c']] as const) {
      const parallel = simulate(hyperbandOracle(space, { maxEpochs: 9, factor: 3 }), study(), workers, order);
      expect(parallel.trials).toHaveLength(schedule.totalTrials);
      expect(freshBySlot(parallel)).toEqual(freshBySlot(sequential));
      // Promotions are the same configurations as sequentially (scores are deterministic).
      const promotedParams = (run: Run) => run.trials.filter((t) => t.parent !== null).map((t) => `${key(t)} ${paramsKey(t.params)}`).sort();
      expect(promotedParams(parallel)).toEqual(promotedParams(sequential));
    }
    const otherSeed = simulate(hyperbandOracle(space, { maxEpochs: 9, factor: 3 }), study(8), 1);
    expect(freshBySlot(otherSeed)).not.toEqual(freshBySlot(sequential));
  });

  it('never promotes a rejected or failed trial, and does not wait for promotions that cannot come', () => {
    // Every trial of round 0 whose x < 0.5 is rejected; those with width 64 fail.
    const statusOf = (t: TrialRecord): TrialStatus =>
      (t.slot as HyperbandSlot).round === 0 && (t.params.x as number) < 0.5 ? 'rejected' : t.params.width === 64 ? 'failed' : 'completed';
    const { trials } = simulate(hyperbandOracle(space, { maxEpochs: 9, factor: 3 }), study(), 3, 'z', statusOf);
    for (const t of trials.filter((t) => t.parent !== null)) expect(trials[t.parent!].status).toBe('completed');
    // Fewer promotions than the schedule's where round 0 had fewer successes.
    expect(trials.length).toBeLessThanOrEqual(schedule.totalTrials);
  });

  it('continues after an interruption: stale trials give their slot back, nothing is repeated', () => {
    const oracle = hyperbandOracle(space, { maxEpochs: 9, factor: 3 });
    const s = study();
    const full = simulate(oracle, s, 1);
    // Interrupt after 6 decisions with two trials running: they become stale.
    const partial = full.trials.slice(0, 6).map((t, i) => ({ ...t, status: (i >= 4 ? 'stale' : 'completed') as TrialStatus }));
    const next = oracle.next(s, partial);
    expect(next.kind).toBe('run');
    // The first stale slot is asked again with the same configuration.
    expect(next.kind === 'run' && paramsKey(next.params)).toBe(paramsKey(full.trials[4].params));
  });
});
