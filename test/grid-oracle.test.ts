// Grid search: which combinations, in which order, and resuming from any history.
import { describe, expect, it } from 'vitest';
import type { Decision } from '../src/oracle/oracle.js';
import { gridOracle, planGrid } from '../src/oracle/grid.js';
import { defineSearchSpace } from '../src/space/define.js';
import { gridCombinations, gridSize } from '../src/space/grid.js';
import { loadSpace } from '../src/space/load.js';
import { paramsKey } from '../src/space/params.js';
import type { HyperParametersApi, Params, TrialConfig } from '../src/space/types.js';
import type { StudyRecord, TrialRecord, TrialStatus } from '../src/store/store.js';
import { expectGradtuneError } from './helpers/errors.js';
import { makeStudy, makeTrial, runParams } from './helpers/records.js';

const CONFIG: TrialConfig = {
  model: { kind: 'mlp', hidden: [] },
  training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 },
};

/** A space whose build declares parameters with `declare` and returns a fixed config. */
function space(declare: (hp: HyperParametersApi) => void, name = 'test') {
  return defineSearchSpace({
    name,
    description: 'a test space',
    build(hp) {
      declare(hp);
      return CONFIG;
    },
  });
}

const trial = makeTrial;
const STUDY: StudyRecord = makeStudy({ name: 'grid', algorithm: 'grid' });



/** Every combination, in grid order. */
function all(s: ReturnType<typeof space>, gridPoints?: number): Params[] {
  return [...gridCombinations(s, { gridPoints })].map((c) => c.params);
}

/** Asks until done, completing each trial at once; returns the trials and the final decision. */
function runToEnd(oracle: ReturnType<typeof gridOracle>, history: TrialRecord[] = []) {
  const trials = [...history];
  for (;;) {
    const d = oracle.next(STUDY, trials);
    if (d.kind !== 'run') return { trials, end: d };
    trials.push(trial(trials.length, d.params));
  }
}

describe('grid order', () => {
  it('starts with every default, then each parameter in sorted order, the last declared changing fastest', () => {
    const s = space((hp) => {
      hp.int('a', 0, 4, { step: 2, default: 2 });
      hp.choice('c', ['x', 'y', 'z'], { default: 'y' });
      hp.boolean('b');
    });
    const a = (v: number) => [v, v, v, v, v, v];
    expect(all(s)).toEqual(
      [...a(2), ...a(0), ...a(4)].map((value, i) => ({
        a: value,
        // choices: the default, then the others in declared order
        c: ['y', 'x', 'z'][Math.floor(i / 2) % 3],
        b: i % 2 === 1,
      })),
    );
  });

  it('enumerates ints by step (log sampling does not change the set) and keeps an off-grid default first', () => {
    expect(all(space((hp) => hp.int('n', 1, 5, { sampling: 'log' }))).map((p) => p.n)).toEqual([1, 2, 3, 4, 5]);
    expect(all(space((hp) => hp.int('n', 0, 10, { step: 3, default: 6 }))).map((p) => p.n)).toEqual([6, 0, 3, 9]);
    expect(all(space((hp) => hp.int('n', 0, 6, { step: 2, default: 3 }))).map((p) => p.n)).toEqual([3, 0, 2, 4, 6]);
  });

  it('enumerates floats by step, rounded as written', () => {
    expect(all(space((hp) => hp.float('f', 0, 0.3, { step: 0.1, default: 0.2 }))).map((p) => p.f)).toEqual([0.2, 0, 0.1, 0.3]);
    // A log float with a step: the step's values (sampling only weighs them for random search).
    expect(all(space((hp) => hp.float('f', 0.01, 0.05, { step: 0.02, sampling: 'log' }))).map((p) => p.f)).toEqual([0.01, 0.03, 0.05]);
  });

  it('discretises a float without a step into --grid-points points in its sampling scale, min and max included', () => {
    const lr = space((hp) => hp.float('lr', 1e-4, 1e-1, { sampling: 'log', default: 1e-3 }));
    expect(all(lr, 4).map((p) => p.lr)).toEqual([0.001, 0.0001, 0.01, 0.1]);
    // Default off the points: tried first, then the points.
    expect(all(lr, 2).map((p) => p.lr)).toEqual([0.001, 0.0001, 0.1]);
    const linear = space((hp) => hp.float('x', 0, 1));
    expect(all(linear, 5).map((p) => p.x)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const momentum = space((hp) => hp.float('m', 0.9, 0.999, { sampling: 'reverseLog', default: 0.999 }));
    const m = all(momentum, 3).map((p) => p.m as number);
    expect(m[0]).toBe(0.999);
    expect(m.slice(1)).toHaveLength(2);
    expect(m[1]).toBe(0.9);
    // reverseLog is dense near max: the middle point lies above the arithmetic midpoint.
    expect(m[2]).toBeGreaterThan(0.9495);
    expect(m[2]).toBeLessThan(0.999);
  });

  it('refuses a float without a step unless --grid-points is given, naming both fixes', () => {
    const s = space((hp) => {
      hp.int('layers', 1, 3);
      hp.float('dropout', 0, 0.5);
    });
    expectGradtuneError(
      () => gridOracle(s).next(STUDY, []),
      'parameter "dropout"',
      "hp.float('dropout', 0, 0.5, { step })",
      '--grid-points N',
    );
    expectGradtuneError(() => planGrid(s), 'parameter "dropout"');
    expect(planGrid(s, { gridPoints: 2 }).size).toEqual({ count: 6, exact: true });
  });

  it('gives booleans their default first and fixed parameters one value', () => {
    const s = space((hp) => {
      hp.boolean('on', { default: true });
      hp.fixed('epochs', 20);
      hp.boolean('off');
    });
    expect(all(s)).toEqual([
      { on: true, epochs: 20, off: false },
      { on: true, epochs: 20, off: true },
      { on: false, epochs: 20, off: false },
      { on: false, epochs: 20, off: true },
    ]);
  });

  it('visits only the active parameters of conditional configurations', () => {
    // units_i exists only for i <= layers: 2 + 2^2 + 2^3 combinations, times 2 activations.
    const s = space((hp) => {
      const layers = hp.int('layers', 1, 3);
      for (let i = 1; i <= layers; i++) hp.choice(`units_${i}`, [8, 16]);
      hp.choice('activation', ['relu', 'tanh']);
    });
    const combos = all(s);
    expect(combos).toHaveLength((2 + 4 + 8) * 2);
    expect(new Set(combos.map(paramsKey)).size).toBe(combos.length);
    for (const p of combos) {
      const layers = p.layers as number;
      expect(Object.keys(p).sort()).toEqual(['activation', 'layers', ...Array.from({ length: layers }, (_, i) => `units_${i + 1}`)].sort());
    }
    expect(combos.slice(0, 6)).toEqual([
      { layers: 1, units_1: 8, activation: 'relu' },
      { layers: 1, units_1: 8, activation: 'tanh' },
      { layers: 1, units_1: 16, activation: 'relu' },
      { layers: 1, units_1: 16, activation: 'tanh' },
      { layers: 2, units_1: 8, units_2: 8, activation: 'relu' },
      { layers: 2, units_1: 8, units_2: 8, activation: 'tanh' },
    ]);
    expect(combos.at(-1)).toEqual({ layers: 3, units_1: 16, units_2: 16, units_3: 16, activation: 'tanh' });
    expect(gridSize(s)).toEqual({ count: 28, exact: true });
  });

  it('ends a combination at the parameters reached when the build throws a plain Error', () => {
    const s = space((hp) => {
      if (hp.choice('variant', ['ok', 'broken']) === 'broken') throw new Error('cannot build');
      hp.choice('units', [4, 8]);
    });
    expect(all(s)).toEqual([{ variant: 'ok', units: 4 }, { variant: 'ok', units: 8 }, { variant: 'broken' }]);
  });

  it('refuses a build that reaches different parameters for the same values', () => {
    let builds = 0;
    const s = space((hp) => {
      builds++;
      hp.choice('c', builds === 1 ? ['a', 'b', 'c'] : ['a']);
    });
    expectGradtuneError(() => all(s), 'search space "test"', 'parameter "c"', 'grid search needs a build that depends only on hp');
  });

  it('counts up to a limit, and a grid over it needs --max-trials', () => {
    const s = space((hp) => {
      hp.int('a', 1, 100);
      hp.int('b', 1, 100);
    });
    expect(gridSize(s)).toEqual({ count: 10_000, exact: true });
    expect(gridSize(s, { limit: 500 })).toEqual({ count: 500, exact: false });
    expectGradtuneError(() => planGrid(s, { limit: 500 }), 'has more than 500 combinations', '--max-trials N', 'larger steps');
    expect(planGrid(s, { limit: 500, maxTrials: 800 })).toEqual({ size: { count: 500, exact: false }, trials: 800 });
    expect(planGrid(s, { maxTrials: 20 })).toEqual({ size: { count: 10_000, exact: true }, trials: 20 });
    expect(planGrid(s)).toEqual({ size: { count: 10_000, exact: true }, trials: 10_000 });
  });

  it('enumerates the built-in quick space with --grid-points 3', async () => {
    const quick = await loadSpace({ builtin: 'quick' });
    const combos = [...gridCombinations(quick, { gridPoints: 3 })].map((c) => c.params);
    // layers 1: 2 activations × 3 units_1 × 2 optimizers × 3 learning rates × 2 batch sizes; layers 2: × 3 units_2.
    expect(combos).toHaveLength(72 + 216);
    expect(combos[0]).toEqual({ layers: 1, activation: 'relu', units_1: 16, optimizer: 'adam', learning_rate: 0.01, batch_size: 16, epochs: 20, patience: 5 });
    expect(combos.slice(0, 6).map((p) => [p.learning_rate, p.batch_size])).toEqual([
      [0.01, 16],
      [0.01, 32],
      [0.001, 16],
      [0.001, 32],
      [0.1, 16],
      [0.1, 32],
    ]);
    expect(new Set(combos.map(paramsKey)).size).toBe(combos.length);
    for (const p of combos) expect(() => quick.configFor(p)).not.toThrow();
  });
});

describe('gridOracle', () => {
  const s = space((hp) => {
    const layers = hp.int('layers', 1, 2);
    hp.choice('units_1', [8, 16, 32]);
    if (layers === 2) hp.choice('units_2', [8, 16]);
    hp.boolean('batch_norm');
  });
  const grid = all(s);

  it('runs every combination once, in grid order, then says the grid is complete', () => {
    expect(grid).toHaveLength(3 * 2 + 3 * 2 * 2);
    const { trials, end } = runToEnd(gridOracle(s));
    expect(trials.map((t) => t.params)).toEqual(grid);
    expect(end).toEqual({ kind: 'done', reason: 'the grid is complete: 18 combinations' });
  });

  it('resumes after the first k combinations, whatever their completion order and status', () => {
    const k = 7;
    const statuses: TrialStatus[] = ['completed', 'failed', 'rejected', 'running', 'pruned'];
    const history = grid.slice(0, k).map((p, n) => trial(n, p, statuses[n % statuses.length]));
    const shuffled = [history[5], history[2], history[6], history[0], history[3], history[1], history[4]];
    const oracle = gridOracle(s);
    expect(runParams(oracle.next(STUDY, shuffled))).toEqual(grid[k]);
    // A fresh oracle (another process) agrees: nothing is kept between calls.
    expect(runParams(gridOracle(s).next(STUDY, history))).toEqual(grid[k]);
    const { trials, end } = runToEnd(oracle, shuffled);
    expect(trials.map((t) => paramsKey(t.params)).sort()).toEqual(grid.map(paramsKey).sort());
    expect(trials.slice(k).map((t) => t.params)).toEqual(grid.slice(k));
    expect(end.kind).toBe('done');
  });

  it('fills a gap left by trials that ran out of order (several processes)', () => {
    const history = [trial(0, grid[0]), trial(1, grid[2]), trial(2, grid[3])];
    expect(runParams(gridOracle(s).next(STUDY, history))).toEqual(grid[1]);
    const { trials } = runToEnd(gridOracle(s), history);
    expect(trials).toHaveLength(grid.length);
    expect(new Set(trials.map((t) => paramsKey(t.params))).size).toBe(grid.length);
  });

  it('stops at --max-trials, not counting stale trials, and never repeats one', () => {
    const oracle = gridOracle(s, { maxTrials: 3 });
    const history = [trial(0, grid[0]), trial(1, grid[1], 'stale'), trial(2, grid[2], 'failed')];
    // Two trials count; the next one skips the stale combination rather than repeating it.
    expect(runParams(oracle.next(STUDY, history))).toEqual(grid[3]);
    history.push(trial(3, grid[3]));
    expect(oracle.next(STUDY, history)).toEqual({ kind: 'done', reason: 'reached --max-trials 3' });
    // A larger cap continues where the smaller one stopped.
    expect(runParams(gridOracle(s, { maxTrials: 10 }).next(STUDY, history))).toEqual(grid[4]);
  });

  it('rejects invalid settings', () => {
    expectGradtuneError(() => gridOracle(s, { maxTrials: 0 }), '--max-trials must be a whole number >= 1, got 0');
    expectGradtuneError(() => gridOracle(s, { gridPoints: 1 }), '--grid-points must be a whole number >= 2', 'got 1');
    expectGradtuneError(() => gridOracle(s, { gridPoints: 2.5 }), '--grid-points must be a whole number >= 2');
    expectGradtuneError(() => planGrid(s, { gridPoints: 0 }), '--grid-points must be a whole number >= 2', 'got 0');
  });
});
