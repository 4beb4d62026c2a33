// The median and successive-halving pruners decide exactly as Optuna's MedianPruner and
// SuccessiveHalvingPruner on the same per-epoch values: replayed against decisions Optuna
// itself made (test/fixtures/optuna-pruners-reference.py), and on Optuna's own test cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EpochValuesIndex } from '../src/store/epoch-values.js';
import { medianPruner, percentileOf, type MedianPrunerOptions } from '../src/pruner/median.js';
import { successiveHalvingPruner, type SuccessiveHalvingOptions } from '../src/pruner/successive-halving.js';
import { resolvePrunerSettings, buildPruner, describePruner } from '../src/pruner/settings.js';
import { verdictRule, type Pruner } from '../src/pruner/types.js';
import type { TrialStatus } from '../src/store/store.js';
import { makeStudy, makeTrial } from './helpers/records.js';
import { expectGradtuneError } from './helpers/errors.js';

/** A study as a pruner sees it: trials report epochs, finish, and ask the pruner. */
class Scripted {
  readonly values = new EpochValuesIndex();
  private id = 0;
  private readonly statuses = new Map<number, TrialStatus>();
  constructor(
    private readonly pruner: Pruner,
    private readonly direction: 'min' | 'max' = 'min',
  ) {}

  /** Reports `value` at `epoch` for trial `number` and returns whether the pruner stops it. */
  report(number: number, epoch: number, value: number): boolean {
    if (!this.statuses.has(number)) this.statuses.set(number, 'running');
    this.values.addRows([{ id: ++this.id, number, attempt: 1, run: 0, epoch, value: Number.isNaN(value) ? null : value }]);
    const study = makeStudy({ objective: { metric: 'val_loss', direction: this.direction } });
    const trials = [...this.statuses].map(([n, status]) => makeTrial(n, {}, status));
    const verdict = this.pruner.prune({ study, trial: trials.find((t) => t.number === number)!, epoch, values: this.values, trials });
    return verdictRule(this.pruner, verdict as ReturnType<Pruner['prune']> & string) !== undefined;
  }

  finish(number: number, status: TrialStatus): void {
    this.statuses.set(number, status);
    this.values.updateTrial({ number, attempt: 1, status });
  }
}

interface Scenario {
  name: string;
  direction: 'min' | 'max';
  pruner: 'median' | 'asha';
  options: MedianPrunerOptions & SuccessiveHalvingOptions;
  log: Array<[number, number, number | 'NaN', boolean] | [number, 'pruned' | 'completed']>;
}

const reference = JSON.parse(readFileSync(new URL('./fixtures/optuna-pruners.json', import.meta.url), 'utf8')) as { optuna: string; scenarios: Scenario[] };

describe("pruners decide as Optuna's on the same per-epoch values", () => {
  for (const scenario of reference.scenarios) {
    it(scenario.name, () => {
      const pruner = scenario.pruner === 'median' ? medianPruner(scenario.options) : successiveHalvingPruner(scenario.options);
      const study = new Scripted(pruner, scenario.direction);
      const decisions: string[] = [];
      const expected: string[] = [];
      for (const event of scenario.log) {
        if (event.length === 2) {
          study.finish(event[0], event[1]);
          continue;
        }
        const [number, epoch, value, pruned] = event;
        const ours = study.report(number, epoch, value === 'NaN' ? NaN : value);
        decisions.push(`trial ${number} epoch ${epoch}: ${ours}`);
        expected.push(`trial ${number} epoch ${epoch}: ${pruned}`);
      }
      expect(decisions).toEqual(expected);
      // The scenario prunes some trials and lets others run: not a vacuous agreement.
      expect(expected.some((d) => d.endsWith('true'))).toBe(true);
      expect(expected.some((d) => d.endsWith('false'))).toBe(true);
    });
  }
});

describe("median pruner, on Optuna's own test cases (tests/pruners_tests/test_median.py)", () => {
  it('does not prune the first trial, prunes one worse than the median at the same epoch', () => {
    for (const [direction, value] of [
      ['min', 2],
      ['max', 0.5],
    ] as const) {
      const s = new Scripted(medianPruner({ startupTrials: 0, warmupEpochs: 0 }), direction);
      expect(s.report(0, 1, 1)).toBe(false);
      s.finish(0, 'completed');
      expect(s.report(1, 1, value)).toBe(true);
    }
  });

  it('prunes a trial whose every value is NaN, and not when the median itself is NaN', () => {
    const s = new Scripted(medianPruner({ startupTrials: 0, warmupEpochs: 0 }));
    expect(s.report(0, 1, NaN)).toBe(false); // no completed trial yet
    s.finish(0, 'completed');
    expect(s.report(1, 1, NaN)).toBe(true);
    s.finish(1, 'completed');
    expect(s.report(2, 1, 1)).toBe(false);
  });

  it('waits for the start-up trials', () => {
    const s = new Scripted(medianPruner({ startupTrials: 2, warmupEpochs: 0 }));
    s.report(0, 1, 1);
    s.finish(0, 'completed');
    expect(s.report(1, 1, 2)).toBe(false);
    s.finish(1, 'completed');
    expect(s.report(2, 1, 3)).toBe(true);
  });

  it('does not prune during the warm-up epochs', () => {
    const s = new Scripted(medianPruner({ startupTrials: 0, warmupEpochs: 2 }));
    s.report(0, 1, 1);
    s.report(0, 2, 1);
    s.finish(0, 'completed');
    expect(s.report(1, 1, 2)).toBe(false);
    expect(s.report(1, 2, 2)).toBe(true);
  });

  it.each([
    // Optuna's (n_warmup_steps, interval_steps, expected prune steps) with reports every step, shifted to epochs from 1.
    [0, 1, [1, 2, 3, 4, 5, 6]],
    [1, 1, [1, 2, 3, 4, 5, 6]],
    [2, 1, [2, 3, 4, 5, 6]],
    [2, 2, [2, 4, 6]],
    [1, 3, [1, 4]],
  ])('with warm-up %i and interval %i checks only at the first epoch of each interval', (warmupEpochs, intervalEpochs, expectedEpochs) => {
    const s = new Scripted(medianPruner({ startupTrials: 0, warmupEpochs, intervalEpochs }));
    for (let e = 1; e <= 6; e++) s.report(0, e, 0);
    s.finish(0, 'completed');
    const pruned: number[] = [];
    // A trial that is never stopped (each check is asked afresh): where would it be pruned?
    for (let e = 1; e <= 6; e++) if (s.report(1, e, 2)) pruned.push(e);
    expect(pruned).toEqual(expectedEpochs);
  });

  it('needs minTrials completed trials at the epoch', () => {
    const s = new Scripted(medianPruner({ startupTrials: 2, warmupEpochs: 0, intervalEpochs: 1, minTrials: 2 }));
    s.report(0, 1, 4);
    s.report(0, 2, 2);
    s.finish(0, 'completed');
    s.report(1, 1, 3);
    s.finish(1, 'completed');
    s.report(2, 1, 4);
    expect(s.report(2, 2, 3)).toBe(false);
    s.finish(2, 'completed');
    s.report(3, 1, 4);
    expect(s.report(3, 2, 3)).toBe(true);
  });

  it('compares the best value so far, and says why', () => {
    const pruner = medianPruner({ startupTrials: 2 });
    const values = new EpochValuesIndex();
    const rows = [
      [0, 1, 0.5],
      [0, 2, 0.8],
      [1, 1, 0.7],
      [1, 2, 0.9],
      [2, 1, 0.6],
      [2, 2, 0.1],
    ];
    values.addRows(rows.map(([number, epoch, value], i) => ({ id: i + 1, number, attempt: 1, run: 0, epoch, value })));
    values.updateTrial({ number: 0, attempt: 1, status: 'completed' });
    values.updateTrial({ number: 1, attempt: 1, status: 'completed' });
    const study = makeStudy();
    const ctx = { study, trial: makeTrial(2, {}, 'running'), epoch: 2, values, trials: [] };
    // Best so far 0.6 (epoch 1) against the median 0.85 at epoch 2.
    expect(pruner.prune(ctx)).toBe('median: best val_accuracy 0.6000 is below the median 0.8500 of 2 completed trials at epoch 2');
  });

  it("interpolates the median as numpy's percentile does", () => {
    expect(percentileOf([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentileOf([1, 2, 10], 50)).toBe(2);
    expect(percentileOf([5], 50)).toBe(5);
    expect(percentileOf([], 50)).toBeNaN();
  });
});

describe("successive-halving pruner, on Optuna's own test cases (tests/pruners_tests/test_successive_halving.py)", () => {
  const sh = (o: SuccessiveHalvingOptions) => successiveHalvingPruner(o);

  it('lets the first trial through and prunes a worse second one', () => {
    for (const [direction, value] of [
      ['min', 2],
      ['max', 0.5],
    ] as const) {
      const s = new Scripted(sh({ minEpochs: 1, factor: 2 }), direction);
      expect(s.report(0, 1, 1)).toBe(false);
      expect(s.report(1, 1, value)).toBe(true);
    }
  });

  it('checks each rung against every trial that reached it (the rung check case)', () => {
    const s = new Scripted(sh({ minEpochs: 1, factor: 2 }));
    // Seven trials 0.1..0.7 report every epoch to 7; each is judged as it goes.
    const prunedAt = (number: number, value: number) => {
      for (let e = 1; e <= 7; e++) if (s.report(number, e, value)) return e;
      return null;
    };
    expect(prunedAt(0, 0.1)).toBeNull();
    for (let i = 1; i < 7; i++) expect(prunedAt(i, 0.1 * (i + 1))).toBe(1);
    // Seventh from the bottom: pruned at rung 0 (epoch 1).
    expect(prunedAt(7, 0.75)).toBe(1);
    // Third from the bottom: passes rung 0, pruned at rung 1 (epoch 2).
    expect(prunedAt(8, 0.25)).toBe(2);
    // The lowest: passes rungs 0, 1 and 2 (epochs 1, 2, 4).
    expect(prunedAt(9, 0.05)).toBeNull();
  });

  it('never prunes the first trial', () => {
    const s = new Scripted(sh({ minEpochs: 1, factor: 2 }));
    for (let e = 1; e <= 10; e++) expect(s.report(0, e, 1)).toBe(false);
  });

  it('prunes a NaN at a rung, not between rungs', () => {
    const s = new Scripted(sh({ minEpochs: 2, factor: 2 }));
    expect(s.report(0, 1, NaN)).toBe(false);
    expect(s.report(0, 2, NaN)).toBe(true);
  });

  it('places the rungs at minEpochs * factor^(k + minEarlyStoppingRate)', () => {
    // Trial 0 is better at every epoch; trial 1, asked at every epoch and never stopped,
    // is judged worse exactly at the rungs.
    const rungsOf = (o: SuccessiveHalvingOptions) => {
      const s = new Scripted(sh(o));
      for (let e = 1; e <= 30; e++) s.report(0, e, 0);
      const at: number[] = [];
      for (let e = 1; e <= 30; e++) if (s.report(1, e, 1)) at.push(e);
      return at;
    };
    expect(rungsOf({ minEpochs: 1, factor: 2 })).toEqual([1, 2, 4, 8, 16]);
    expect(rungsOf({ minEpochs: 2, factor: 2 })).toEqual([2, 4, 8, 16]);
    expect(rungsOf({ minEpochs: 1, factor: 2, minEarlyStoppingRate: 1 })).toEqual([2, 4, 8, 16]);
    expect(rungsOf({ minEpochs: 3, factor: 3 })).toEqual([3, 9, 27]);
  });

  it('prunes while no more than bootstrapCount trials reached the rung', () => {
    const s = new Scripted(sh({ minEpochs: 1, factor: 2, bootstrapCount: 1 }));
    expect(s.report(0, 1, 1)).toBe(true);
    expect(s.report(1, 1, 1)).toBe(false);
  });

  it('says why', () => {
    const s = new Scripted(sh({ minEpochs: 1, factor: 3 }), 'max');
    for (let i = 0; i < 6; i++) s.report(i, 1, 0.5 + i / 10);
    const values = s.values;
    values.addRows([{ id: 100, number: 9, attempt: 1, run: 0, epoch: 1, value: 0.55 }]);
    const verdict = sh({ minEpochs: 1, factor: 3 }).prune({ study: makeStudy(), trial: makeTrial(9, {}, 'running'), epoch: 1, values, trials: [] });
    expect(verdict).toBe('asha: val_accuracy 0.5500 at epoch 1 (rung 0) is not among the best 2 of the 7 trials that reached it');
  });
});

describe('pruner settings', () => {
  it('stores the built-ins with their defaults, and checks their options', () => {
    expect(resolvePrunerSettings({})).toBeUndefined();
    expect(resolvePrunerSettings({ pruner: 'median' })).toEqual({ name: 'median', startupTrials: 5, warmupEpochs: 0, intervalEpochs: 1, minTrials: 1 });
    expect(resolvePrunerSettings({ pruner: 'asha', successiveHalving: { factor: 4 } })).toEqual({ name: 'asha', minEpochs: 1, factor: 4, minEarlyStoppingRate: 0, bootstrapCount: 0 });
    expectGradtuneError(() => resolvePrunerSettings({ pruner: 'median', median: { intervalEpochs: 0 } }), /--pruner-interval-epochs must be a whole number >= 1, got 0/);
    expectGradtuneError(() => resolvePrunerSettings({ pruner: 'asha', median: { startupTrials: 3 } }), /apply to --pruner median, not --pruner asha/);
    expectGradtuneError(() => resolvePrunerSettings({ pruner: 'median', successiveHalving: { minEpochs: 3 } }), /apply to --pruner asha, not --pruner median/);
    expectGradtuneError(() => resolvePrunerSettings({ pruner: 'bogus' as never }), /unknown pruner "bogus": use one of none, median, asha/);
    expect(describePruner(resolvePrunerSettings({ pruner: 'asha' }))).toBe('asha (rungs at 1×3^k epochs)');
  });

  it("stores a pruner of the user's by its name, and wants it given again", () => {
    const mine: Pruner = { name: 'floor', prune: ({ epoch }) => epoch > 2 && 'past epoch 2' };
    const settings = resolvePrunerSettings({ pruner: mine });
    expect(settings).toEqual({ name: 'floor', custom: true });
    expect(buildPruner(settings, mine, 's')).toBe(mine);
    expectGradtuneError(() => buildPruner(settings, undefined, 's'), /study "s" prunes with "floor", a pruner defined in code; continue it through the API with the same pruner/);
    expectGradtuneError(() => resolvePrunerSettings({ pruner: { name: 'median', prune: () => false } }), /taken by a built-in pruner/);
    expect(verdictRule(mine, true)).toBe('floor');
    expect(verdictRule(mine, 'why')).toBe('why');
    expect(verdictRule(mine, false)).toBeUndefined();
    expect(verdictRule(mine, null)).toBeUndefined();
  });
});
