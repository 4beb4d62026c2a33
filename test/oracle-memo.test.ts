// Oracles keep what they computed between asks (configuration keys, the grid's
// combinations, Hyperband's slot index), so that an ask at 10,000 trials costs about what
// it costs at 10. That must never change an answer: at every step of a simulated study —
// trials finishing out of order, outcomes changed in place or as new objects, trials lost
// and run again, failures — an oracle that has been asked all along decides exactly as a
// new one asked once; and given another history, it answers for that history.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { gridOracle } from '../src/oracle/grid.js';
import { hyperbandOracle } from '../src/oracle/hyperband.js';
import type { SyncOracle } from '../src/oracle/oracle.js';
import { randomOracle } from '../src/oracle/random.js';
import type { StudyRecord, TrialRecord, TrialStatus } from '../src/store/store.js';
import { makeStudy, makeTrial, toySpace } from './helpers/records.js';

function simulate(make: () => SyncOracle, s: StudyRecord, seed: string): number {
  const kept = make();
  const rng = seedrandom(seed);
  let trials: TrialRecord[] = [];
  let compared = 0;
  const replace = (i: number, over: Partial<TrialRecord>) => {
    // As a store hands it out (a new object), or changed in place (as a caller may).
    if (rng() < 0.5) trials[i] = { ...trials[i], ...over };
    else Object.assign(trials[i], over);
  };
  for (let step = 0; step < 400; step++) {
    // Sometimes the same list grown in place, sometimes a new list.
    if (rng() < 0.5) trials = trials.slice();
    const running = trials.filter((t) => t.status === 'running');
    const stale = trials.findIndex((t) => t.status === 'stale');
    if (stale >= 0 && rng() < 0.5) {
      // The store re-runs a lost trial before asking the oracle: same number and params.
      replace(stale, { status: 'running', attempt: trials[stale].attempt + 1 });
      continue;
    }
    if (running.length < 3 && rng() < 0.7) {
      const decision = kept.next(s, trials);
      expect(decision, `step ${step}`).toEqual(make().next(s, trials));
      compared++;
      if (decision.kind === 'done') return compared;
      if (decision.kind === 'run') {
        trials.push(makeTrial(trials.length, decision.params, 'running', { parent: decision.parent ?? null, fromEpoch: decision.fromEpoch ?? null, toEpoch: decision.toEpoch ?? null, slot: decision.slot ?? null, score: null }));
      }
      continue;
    }
    if (running.length === 0) continue;
    const t = running[Math.floor(rng() * running.length)];
    const roll = rng();
    const status: TrialStatus = roll < 0.1 ? 'stale' : roll < 0.2 ? 'failed' : roll < 0.3 ? 'rejected' : 'completed';
    replace(trials.indexOf(t), { status, score: status === 'completed' || status === 'rejected' ? rng() : null });
  }
  // Another history altogether (the first half, as another study might have it).
  const other = trials.slice(0, Math.floor(trials.length / 2)).map((t) => ({ ...t }));
  expect(kept.next(s, other)).toEqual(make().next(s, other));
  return compared;
}

describe('oracles that remember between asks decide as new ones do', () => {
  const study = (algorithm: string) => makeStudy({ name: 'memo', space: 'toy', algorithm, seed: 11, maxEpochs: 9 });

  it.each(['a', 'b', 'c'])('random search (run %s)', (seed) => {
    expect(simulate(() => randomOracle(toySpace, { maxTrials: 60 }), study('random'), seed)).toBeGreaterThan(20);
  });

  it.each(['a', 'b', 'c'])('grid search (run %s)', (seed) => {
    expect(simulate(() => gridOracle(toySpace, { gridPoints: 4, maxTrials: 14 }), study('grid'), seed)).toBeGreaterThan(10);
  });

  it.each(['a', 'b', 'c'])('Hyperband (run %s)', (seed) => {
    expect(simulate(() => hyperbandOracle(toySpace, { maxEpochs: 9, factor: 3, iterations: 2 }), study('hyperband'), seed)).toBeGreaterThan(20);
  });
});
