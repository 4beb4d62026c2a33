// --repair as an oracle wrapper, driven by a simulated trainer: after a rejection the
// next trial repairs it with the first untried remedy its findings carry, a repair
// rejected again gets the next, up to the limit; the wrapped algorithm sees one trial per
// chain, so random search draws the same fresh configurations, grid search never re-runs
// a repaired combination, and in Hyperband a repair takes the rejected trial's slot.
import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { repairOracle, repairRemedies, type RepairOptions } from '../src/oracle/repair.js';
import { randomOracle } from '../src/oracle/random.js';
import { gridOracle } from '../src/oracle/grid.js';
import { hyperbandOracle } from '../src/oracle/hyperband.js';
import { hyperbandSchedule } from '../src/oracle/hyperband-schedule.js';
import { defineSearchSpace } from '../src/space/define.js';
import type { HyperbandSlot, Oracle } from '../src/oracle/oracle.js';
import type { Params } from '../src/space/types.js';
import type { StudyRecord, TrialRecord } from '../src/store/store.js';
import type { Remedy, TrialDiagnostics } from '../src/train/diagnostics-types.js';
import { DEFAULT_DIAGNOSTICS } from '../src/train/diagnostics-settings.js';
import { makeStudy, makeTrial } from './helpers/records.js';

const space = defineSearchSpace({
  name: 'widths',
  description: 'a float and a width',
  build(hp) {
    hp.float('x', 0, 1);
    hp.choice('width', [8, 16, 32, 64]);
    return { model: { kind: 'mlp', hidden: [{ units: 8, activation: 'relu', initializer: 'heNormal' }] }, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 32 } };
  },
});

const widen = (from: number, to: number): Remedy => ({ cure: 'a wider layer', changes: [{ param: 'width', from, to }], drops: [], sideEffects: [] });

/** A rejected trial's record: vanishing, with the remedies "its space" offers (wider widths, in order). */
function rejectedDiagnostics(width: number): TrialDiagnostics {
  const remedies = [16, 32, 64].filter((w) => w > width).map((w) => widen(width, w));
  return {
    verdict: { kind: 'vanishing' },
    checks: 4,
    epochs: [],
    settings: { ...DEFAULT_DIAGNOSTICS },
    findings: [{ kind: 'vanishing', summary: 'too narrow', epochs: { from: 1, to: 1 }, layers: [], figures: {}, thresholds: {}, rejects: true, remedies }],
    rejectedBy: 'vanishing',
  };
}

/** A deterministic trainer: widths below `healthyFrom` are rejected; wider ones score by x and width. */
function trainer(healthyFrom: number) {
  return (t: TrialRecord) => {
    const width = t.params.width as number;
    if (width < healthyFrom) {
      t.status = 'rejected';
      t.diagnostics = rejectedDiagnostics(width);
      // As the tuner tells the store: the oracle reads a rejected trial's remedies from its summary.
      t.remedies = repairRemedies(t.diagnostics);
    } else {
      t.status = 'completed';
      t.score = 1 - Math.abs((t.params.x as number) - 0.7) + width / 1000 + 0.01 * (t.toEpoch ?? 0);
    }
  };
}

/** Runs the oracle until done or `cap` trials, `workers` at a time, finishing them in an order drawn from `orderSeed`. */
async function simulate(oracle: Oracle, s: StudyRecord, finish: (t: TrialRecord) => void, opts: { workers?: number; cap?: number; orderSeed?: string } = {}): Promise<TrialRecord[]> {
  const { workers = 1, cap = Infinity, orderSeed = 'order' } = opts;
  const trials: TrialRecord[] = [];
  const rng = seedrandom(orderSeed);
  for (let guard = 0; guard < 10_000; guard++) {
    const running = trials.filter((t) => t.status === 'running');
    if (running.length < workers && trials.length < cap) {
      const d = await oracle.next(s, trials);
      if (d.kind === 'run') {
        trials.push(makeTrial(trials.length, d.params, 'running', { parent: d.parent ?? null, fromEpoch: d.fromEpoch ?? null, toEpoch: d.toEpoch ?? null, slot: d.slot ?? null, repairOf: d.repairOf ?? null, score: null }));
        continue;
      }
      if (d.kind === 'done') return trials;
      expect(running.length, 'the oracle waits only while something runs').toBeGreaterThan(0);
    }
    if (running.length === 0) return trials;
    finish(running[Math.floor(rng() * running.length)]);
  }
  throw new Error('the simulation did not end');
}

const REPAIR: RepairOptions = { maxRepairs: 3 };
const study = (over: Partial<StudyRecord> = {}) => makeStudy({ seed: 11, ...over });

/** What a repair changed from the trial it repairs. */
function changed(a: Params, b: Params): string[] {
  return Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]);
}

describe('repair oracle', () => {
  it('repairs a rejected trial next, with its first remedy, linked to it and differing only in that remedy', async () => {
    const trials = await simulate(repairOracle(randomOracle(space, { maxTrials: 100 }), REPAIR), study(), trainer(16), { cap: 30 });
    const repairs = trials.filter((t) => t.repairOf !== null);
    expect(repairs.length).toBeGreaterThan(3);
    for (const r of repairs) {
      const original = trials[r.repairOf!];
      expect(original.status).toBe('rejected');
      // With one worker the repair comes right after the trial it repairs.
      expect(r.number).toBe(original.number + 1);
      expect(changed(original.params, r.params)).toEqual(['width']);
      expect(r.params.width).toBe(16);
    }
    // Every rejected trial got its repair (widths 16 and up are healthy here).
    expect(trials.filter((t) => t.status === 'rejected').every((t) => repairs.some((r) => r.repairOf === t.number))).toBe(true);
  });

  it('does not change the fresh configurations random search draws', async () => {
    const plain = await simulate(randomOracle(space, { maxTrials: 12 }), study(), trainer(16));
    const repaired = await simulate(repairOracle(randomOracle(space, { maxTrials: 12 }), REPAIR), study(), trainer(16));
    expect(repaired.filter((t) => t.repairOf === null).map((t) => t.params)).toEqual(plain.map((t) => t.params));
  });

  it('skips a remedy tried already, gives a repair rejected again the next one, and stops at --max-repairs', async () => {
    const s = study();
    const oracle = repairOracle(randomOracle(space, { maxTrials: 100 }), { maxRepairs: 2 });
    const rejected = (n: number, params: Params, repairOf: number | null = null) => {
      const diagnostics = rejectedDiagnostics(params.width as number);
      return makeTrial(n, params, 'rejected', { diagnostics, remedies: repairRemedies(diagnostics), repairOf });
    };
    // Width 16 from x=0.5 was tried (and completed) already: the repair goes to 32.
    const history = [makeTrial(0, { x: 0.5, width: 16 }), rejected(1, { x: 0.5, width: 8 })];
    expect(await oracle.next(s, history)).toEqual({ kind: 'run', params: { x: 0.5, width: 32 }, repairOf: 1 });
    // That repair rejected too: the second repair of the chain, with the repair's own first remedy.
    history.push(rejected(2, { x: 0.5, width: 32 }, 1));
    expect(await oracle.next(s, history)).toEqual({ kind: 'run', params: { x: 0.5, width: 64 }, repairOf: 2 });
    // Rejected again: two repairs in a row is the limit, so the search goes on with a fresh draw.
    history.push(rejected(3, { x: 0.5, width: 64 }, 2));
    const next = await oracle.next(s, history);
    expect(next.kind).toBe('run');
    expect(next.kind === 'run' && next.repairOf).toBeUndefined();
    // Pure: the same history, the same decision.
    expect(await oracle.next(s, history)).toEqual(next);
  });

  it('repairs neither completed, failed nor promoted trials', async () => {
    const s = study();
    const oracle = repairOracle(randomOracle(space, { maxTrials: 100 }), REPAIR);
    const sick = rejectedDiagnostics(8);
    const remedies = repairRemedies(sick);
    for (const t of [makeTrial(0, { x: 0.1, width: 8 }, 'failed', { diagnostics: sick, remedies }), makeTrial(0, { x: 0.1, width: 8 }, 'completed', { diagnostics: sick, remedies }), makeTrial(0, { x: 0.1, width: 8 }, 'rejected', { diagnostics: sick, remedies, parent: 5 })]) {
      const d = await oracle.next(s, [t]);
      expect(d.kind === 'run' && d.repairOf).toBeUndefined();
    }
  });

  it('grid search never runs a repaired combination again', async () => {
    const grid = defineSearchSpace({
      name: 'grid-widths',
      description: 'four widths',
      build(hp) {
        hp.choice('width', [8, 16, 32, 64]);
        return { model: { kind: 'mlp', hidden: [{ units: 8, activation: 'relu', initializer: 'heNormal' }] }, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 32 } };
      },
    });
    const trials = await simulate(repairOracle(gridOracle(grid), REPAIR), study(), (t) => {
      // Only width 8 is sick; its repair (16) is also a grid combination, so the grid's own
      // trial of 16 is the one a repair cannot repeat.
      if (t.params.width === 8) Object.assign(t, { status: 'rejected', diagnostics: rejectedDiagnostics(8), remedies: repairRemedies(rejectedDiagnostics(8)) });
      else Object.assign(t, { status: 'completed', score: 0.5 });
    });
    expect(trials.map((t) => [t.params.width, t.repairOf])).toEqual([
      [8, null],
      [16, 0],
      [32, null],
      [64, null],
    ]);
  });

  it('Hyperband: a repair takes the rejected trial\'s slot, and promoting the chain continues the repair', async () => {
    const settings = { maxEpochs: 9, factor: 3 };
    const schedule = hyperbandSchedule(settings);
    const s = study({ algorithm: 'hyperband', maxEpochs: 9 });
    for (const [workers, orderSeed] of [[1, 'a'], [3, 'b'], [4, 'c']] as const) {
      const trials = await simulate(repairOracle(hyperbandOracle(space, settings), REPAIR), s, trainer(16), { workers, orderSeed });
      const repairs = trials.filter((t) => t.repairOf !== null);
      expect(repairs.length).toBeGreaterThan(0);
      for (const r of repairs) {
        const original = trials[r.repairOf!];
        expect(r.slot).toEqual(original.slot);
        expect([r.fromEpoch, r.toEpoch]).toEqual([original.fromEpoch, original.toEpoch]);
      }
      // Each round holds as many chains (an original and its repairs) as the schedule says.
      for (const bracket of schedule.brackets) {
        bracket.rounds.forEach((round, r) => {
          const here = trials.filter((t) => (t.slot as HyperbandSlot).bracket === bracket.bracket && (t.slot as HyperbandSlot).round === r && t.repairOf === null);
          expect(here.length, `workers ${workers}, bracket ${bracket.bracket} round ${r}`).toBe(round.trials);
        });
      }
      // A promotion never continues a rejected trial: when its chain was repaired, it continues the repair.
      for (const p of trials.filter((t) => t.parent !== null)) {
        const parent = trials[p.parent!];
        expect(parent.status).toBe('completed');
        expect(p.params).toEqual(parent.params);
      }
      expect(trials.some((p) => p.parent !== null && trials[p.parent].repairOf !== null)).toBe(true);
    }
  });
});
