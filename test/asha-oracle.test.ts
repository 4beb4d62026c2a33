// The ASHA oracle (Li et al. 2020), driven by a simulated trainer: each decision is the
// rule's (the best not-yet-promoted trial in the top 1/factor of the highest rung where
// one is, else a new configuration at rung 0), no worker ever waits for a rung to fill,
// and fresh configurations come from the seed and their index, whatever the workers.
import { describe, expect, it } from 'vitest';
import { ashaOracle, ashaRungs } from '../src/oracle/asha.js';
import { buildOracle, capTrials } from '../src/oracle/build.js';
import { paramsKey } from '../src/space/params.js';
import type { AshaSlot, Decision, SyncOracle } from '../src/oracle/oracle.js';
import type { StudyRecord, TrialRecord, TrialStatus } from '../src/store/store.js';
import { expectGradtuneError } from './helpers/errors.js';
import { makeStudy, makeTrial, toySpace } from './helpers/records.js';

function study(over: Partial<StudyRecord> = {}): StudyRecord {
  return makeStudy({ name: 'asha', space: 'toy', algorithm: 'asha', seed: 11, maxEpochs: 9, ...over });
}

/** A deterministic "training": better for x near 0.7, and a little better with more epochs. */
const scoreOf = (t: TrialRecord) => 1 - Math.abs((t.params.x as number) - 0.7) + 0.01 * (t.toEpoch ?? 0);

const rung = (t: TrialRecord) => (t.slot as AshaSlot).rung;

interface Step {
  /** The time of the decision. */
  at: number;
  decision: Decision;
  /** The trials as the oracle saw them (copies). */
  seen: TrialRecord[];
}

/**
 * `workers` workers each ask when free; a trial takes (toEpoch - fromEpoch) * (0.5 + x) time
 * units and finishes then (ties: lower trial number first). `statusOf` may reject or fail trials.
 */
function simulate(oracle: SyncOracle, s: StudyRecord, workers: number, maxTrials: number, statusOf: (t: TrialRecord) => TrialStatus = () => 'completed') {
  const capped = capTrials(oracle, maxTrials) as SyncOracle;
  const trials: TrialRecord[] = [];
  const ends = new Map<number, number>();
  const steps: Step[] = [];
  let now = 0;
  let idle = 0;
  let done = false;
  for (let guard = 0; guard < 100_000; guard++) {
    let running = trials.filter((t) => t.status === 'running');
    while (running.length < workers) {
      const decision = capped.next(s, trials);
      steps.push({ at: now, decision, seen: trials.map((t) => ({ ...t })) });
      if (decision.kind === 'done') done = true;
      if (decision.kind !== 'run') break;
      const t = makeTrial(trials.length, decision.params, 'running', {
        parent: decision.parent ?? null,
        fromEpoch: decision.fromEpoch ?? null,
        toEpoch: decision.toEpoch ?? null,
        slot: decision.slot ?? null,
        score: null,
      });
      trials.push(t);
      // Configurations train at different speeds, so trials of a rung finish at different times.
      ends.set(t.number, now + (t.toEpoch! - (t.fromEpoch ?? 0)) * (0.5 + (t.params.x as number)));
      running = trials.filter((x) => x.status === 'running');
    }
    if (running.length === 0) return { trials, steps, idle };
    const next = Math.min(...running.map((t) => ends.get(t.number)!));
    // Worker time without a trial while the search still had trials to run.
    if (!done) idle += (workers - running.length) * (next - now);
    now = next;
    for (const t of running.filter((x) => ends.get(x.number) === now).sort((a, b) => a.number - b.number)) {
      t.status = statusOf(t);
      t.score = t.status === 'completed' ? scoreOf(t) : null;
    }
  }
  throw new Error('the simulation did not end');
}

/** The rule, written out from the paper for the test: what the oracle must decide from `trials`. */
function expectedPromotion(trials: readonly TrialRecord[], rungs: number[], factor: number) {
  for (let k = rungs.length - 2; k >= 0; k--) {
    const finished = trials.filter((t) => t.slot && rung(t) === k && t.status !== 'running' && t.status !== 'stale');
    const top = finished
      .filter((t) => t.status === 'completed' && t.score !== null)
      .sort((a, b) => b.score! - a.score! || a.number - b.number)
      .slice(0, Math.floor(finished.length / factor));
    const promoted = new Set(trials.filter((t) => t.slot && rung(t) === k + 1).map((t) => t.parent));
    const parent = top.find((t) => !promoted.has(t.number));
    if (parent) return { parent: parent.number, rung: k + 1 };
  }
  return undefined;
}

describe('ASHA rungs', () => {
  it('are minEpochs * factor^k below --max-epochs, then --max-epochs', () => {
    expect(ashaRungs({ maxEpochs: 27, factor: 3 })).toEqual([1, 3, 9, 27]);
    expect(ashaRungs({ maxEpochs: 81, factor: 3 })).toEqual([1, 3, 9, 27, 81]);
    expect(ashaRungs({ maxEpochs: 30, factor: 3 })).toEqual([1, 3, 9, 27, 30]);
    expect(ashaRungs({ maxEpochs: 27, factor: 3, minEpochs: 2 })).toEqual([2, 6, 18, 27]);
    expect(ashaRungs({ maxEpochs: 1, factor: 2 })).toEqual([1]);
    expectGradtuneError(() => ashaRungs({ maxEpochs: 9, factor: 3, minEpochs: 10 }), /--min-epochs must be a whole number from 1 to --max-epochs \(9\), got 10/);
    expectGradtuneError(() => ashaRungs({ maxEpochs: 9, factor: 1 }), /--factor must be a whole number >= 2/);
  });
});

describe('ASHA oracle', () => {
  const options = { maxEpochs: 9, factor: 3 };
  const rungs = ashaRungs(options);

  it('on a scripted sequence with one worker: promotes as soon as a trial is in the top third of its rung', () => {
    // Scores by configuration, fixed by the script: the oracle sees them as they finish.
    const oracle = ashaOracle(toySpace, options);
    const s = study();
    const trials: TrialRecord[] = [];
    const ask = () => {
      const d = oracle.next(s, trials);
      if (d.kind !== 'run') throw new Error(`expected run, got ${d.kind}`);
      const t = makeTrial(trials.length, d.params, 'running', { parent: d.parent ?? null, fromEpoch: d.fromEpoch ?? null, toEpoch: d.toEpoch ?? null, slot: d.slot ?? null, score: null });
      trials.push(t);
      return t;
    };
    const finish = (t: TrialRecord, score: number | null, status: TrialStatus = 'completed') => Object.assign(t, { status, score });
    const shape = (t: TrialRecord) => [t.number, rung(t), t.parent, t.fromEpoch, t.toEpoch];

    finish(ask(), 0.5); // 0: rung 0
    finish(ask(), 0.7); // 1: rung 0 — two finished in rung 0: floor(2/3) = 0 places
    const third = ask(); // 2: rung 0
    expect(shape(third)).toEqual([2, 0, null, 0, 1]);
    finish(third, 0.6);
    // Three finished in rung 0: one place, and trial 1 is the best.
    const p1 = ask();
    expect(shape(p1)).toEqual([3, 1, 1, 1, 3]);
    expect(p1.params).toEqual(trials[1].params);
    finish(p1, 0.8);
    // Rung 1: one finished, no place; rung 0's one place is taken: a new configuration.
    const f4 = ask();
    expect(shape(f4)).toEqual([4, 0, null, 0, 1]);
    finish(f4, 0.9);
    // Rung 0 still has one place (4 finished), and trial 4 now holds it: promoted at once.
    const p2 = ask();
    expect(shape(p2)).toEqual([5, 1, 4, 1, 3]);
    finish(p2, 0.95);
    finish(ask(), null, 'rejected'); // 6: rung 0; a rejected trial counts in its rung, never promoted
    finish(ask(), 0.1); // 7
    finish(ask(), 0.3); // 8
    finish(ask(), 0.55); // 9
    const f10 = ask();
    expect(shape(f10)).toEqual([10, 0, null, 0, 1]);
    finish(f10, 0.4);
    // Nine finished in rung 0 (the rejected one included): three places, 4, 1 and then 2.
    const p3 = ask();
    expect(shape(p3)).toEqual([11, 1, 2, 1, 3]);
    finish(p3, 0.65);
    // Three finished in rung 1 (0.8, 0.95, 0.65): trial 5 goes on to the top rung, from the highest rung first.
    const top = ask();
    expect(shape(top)).toEqual([12, 2, 5, 3, 9]);
    // Every fresh configuration differs from the others.
    const fresh0 = trials.filter((t) => rung(t) === 0).map((t) => paramsKey(t.params));
    expect(new Set(fresh0).size).toBe(fresh0.length);
  });

  for (const workers of [1, 3]) {
    it(`with ${workers} worker(s): every decision is the rule's, and no worker waits for a rung to fill`, () => {
      const { trials, steps, idle } = simulate(ashaOracle(toySpace, options), study(), workers, 60);
      expect(trials).toHaveLength(60);
      // Never a wait: a free worker always gets a trial (a promotion or a new configuration).
      expect(steps.filter((st) => st.decision.kind === 'wait')).toEqual([]);
      expect(idle).toBe(0);
      for (const st of steps) {
        if (st.decision.kind !== 'run') continue;
        const expected = expectedPromotion(st.seen, rungs, options.factor);
        if (expected) {
          expect({ parent: st.decision.parent, rung: (st.decision.slot as AshaSlot).rung }).toEqual(expected);
          expect(st.decision.fromEpoch).toBe(rungs[expected.rung - 1]);
          expect(st.decision.toEpoch).toBe(rungs[expected.rung]);
        } else {
          expect(st.decision.parent).toBeUndefined();
          expect(st.decision.slot).toEqual({ kind: 'asha', rung: 0 });
        }
      }
      // A configuration is promoted at most once per rung, and only when it completed there.
      const children = trials.filter((t) => t.parent !== null);
      expect(new Set(children.map((t) => t.parent)).size).toBe(children.length);
      for (const c of children) {
        expect(trials[c.parent!].status).toBe('completed');
        expect(rung(c)).toBe(rung(trials[c.parent!]) + 1);
        expect(c.params).toEqual(trials[c.parent!].params);
      }
      expect(trials.some((t) => rung(t) === rungs.length - 1)).toBe(true);
      if (workers > 1) {
        // Promotions made while trials of the same rung were still running: nothing waited for it to fill.
        const early = steps.filter(({ decision: d, seen }) => d.kind === 'run' && d.parent !== undefined && seen.some((t) => t.status === 'running' && rung(t) === rung(seen[d.parent!])));
        expect(early.length).toBeGreaterThan(0);
      }
    });
  }

  it('draws the same configurations in the same order whatever the number of workers', () => {
    const fresh = (workers: number) => simulate(ashaOracle(toySpace, options), study(), workers, 40).trials.filter((t) => t.parent === null).map((t) => paramsKey(t.params));
    const one = fresh(1);
    const three = fresh(3);
    const n = Math.min(one.length, three.length);
    expect(n).toBeGreaterThan(10);
    expect(three.slice(0, n)).toEqual(one.slice(0, n));
    // Another seed, other configurations.
    const other = simulate(ashaOracle(toySpace, options), study({ seed: 12 }), 1, 40).trials.filter((t) => t.parent === null).map((t) => paramsKey(t.params));
    expect(other.slice(0, 5)).not.toEqual(one.slice(0, 5));
  });

  it('never promotes a rejected or failed trial', () => {
    const statusOf = (t: TrialRecord): TrialStatus => ((t.params.x as number) > 0.5 && rung(t) === 0 ? 'rejected' : t.params.width === 64 ? 'failed' : 'completed');
    const { trials } = simulate(ashaOracle(toySpace, options), study(), 3, 50, statusOf);
    for (const t of trials.filter((x) => x.parent !== null)) expect(trials[t.parent!].status).toBe('completed');
    expect(trials.some((t) => t.status === 'rejected')).toBe(true);
  });

  it('is built from the stored study, capped by --max-trials', async () => {
    const s = study({ maxEpochs: 27, settings: { version: 2, maxTrials: 7, asha: { factor: 3, minEpochs: 1 } } });
    const { oracle, total } = buildOracle(s, toySpace);
    expect(total).toBe(7);
    const trials: TrialRecord[] = [];
    for (let i = 0; i < 7; i++) {
      const d = await oracle.next(s, trials);
      if (d.kind !== 'run') throw new Error('expected run');
      trials.push(makeTrial(i, d.params, 'completed', { slot: d.slot ?? null, toEpoch: d.toEpoch ?? null, parent: d.parent ?? null, score: i / 10 }));
    }
    expect(await oracle.next(s, trials)).toEqual({ kind: 'done', reason: 'reached --max-trials 7' });
  });
});
