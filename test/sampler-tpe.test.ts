// TPE: better than random search on a known objective, a pure function of seed and
// history, learning from rejected trials, spreading parallel asks, modelling each
// conditional parameter only from the trials where it was active, and modelling the
// right Hyperband budget.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { GradtuneError } from '../src/errors.js';
import { decomposeGroups, distinctNameSets } from '../src/sampler/group.js';
import { modelBudget } from '../src/sampler/history.js';
import { randomSampler } from '../src/sampler/random.js';
import { observationColumns, modelledParam, splitTrials } from '../src/sampler/tpe-model.js';
import { tpeSampler } from '../src/sampler/tpe.js';
import type { Sampler, TrialSummary } from '../src/sampler/types.js';
import { defineSearchSpace, sampleParams } from '../src/space/define.js';
import { randomDecider } from '../src/space/sample.js';
import type { Params, TrialConfig } from '../src/space/types.js';
import { median, objectiveSpace, searchRegret } from './helpers/sampler-objective.js';

const CONFIG: TrialConfig = { model: { kind: 'mlp', hidden: [] }, training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 } };

/** Two floats on [0, 1]. */
const plane = defineSearchSpace({
  name: 'plane',
  description: 'x and y',
  build(hp) {
    hp.float('x', 0, 1);
    hp.float('y', 0, 1);
    return CONFIG;
  },
});

function summary(number: number, params: Params, status: TrialSummary['status'], score: number | null, over: Partial<TrialSummary> = {}): TrialSummary {
  return { number, status, params, score, epochsRun: 1, toEpoch: null, parent: null, ...over };
}

/** `count` random configurations of `space`, scored by `score` (completed), numbered from `from`. */
function randomHistory(space: typeof plane, count: number, seed: string, score: (p: Params) => number, from = 0): TrialSummary[] {
  const rng = seedrandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const params = sampleParams(space, randomDecider(rng));
    return summary(from + i, params, 'completed', score(params));
  });
}

function suggest(sampler: Sampler, space: typeof plane, trials: readonly TrialSummary[], seed: string, direction: 'min' | 'max' = 'max'): Params {
  return sampler.sample({ space, direction, rng: seedrandom(seed), trials });
}

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('TPE sampler', () => {
  const randomRegrets = SEEDS.map((seed) => searchRegret(randomSampler(), seed, 40));

  it.each([
    ['independent', { multivariate: false }],
    ['multivariate', {}],
  ] as const)('%s: beats random search at 40 trials over 20 seeds (median regret at most 0.75x, and better on 15 seeds or more)', (_, opts) => {
    const regrets = SEEDS.map((seed) => searchRegret(tpeSampler(opts), seed, 40));
    expect(median(regrets)).toBeLessThanOrEqual(0.75 * median(randomRegrets));
    expect(regrets.filter((r, i) => r < randomRegrets[i]).length).toBeGreaterThanOrEqual(15);
    // The objective's direction is read: maximising the negated loss finds the same points.
    expect(SEEDS.slice(0, 3).map((seed) => searchRegret(tpeSampler(opts), seed, 40, 'max'))).toEqual(regrets.slice(0, 3));
  });

  it('draws exactly what random search draws until nStartupTrials trials have finished', () => {
    const trials = randomHistory(objectiveSpace, 9, 'start', () => 1);
    trials.push(summary(9, trials[0].params, 'running', null), summary(10, trials[1].params, 'stale', null));
    for (const seed of ['a', 'b', 'c']) {
      expect(suggest(tpeSampler(), objectiveSpace, trials, seed)).toEqual(suggest(randomSampler(), objectiveSpace, trials, seed));
    }
    // The tenth finished trial (a failed one counts) starts the model.
    trials.push(summary(11, trials[2].params, 'failed', null));
    expect(suggest(tpeSampler(), objectiveSpace, trials, 'a')).not.toEqual(suggest(randomSampler(), objectiveSpace, trials, 'a'));
  });

  it.each([
    ['independent', { multivariate: false }],
    ['multivariate', {}],
  ] as const)('%s: same seed and same history give the same suggestion, whatever order the history is listed in', (_, opts) => {
    const trials = randomHistory(objectiveSpace, 30, 'same', (p) => -(p.units as number));
    trials.push(summary(30, trials[3].params, 'running', null), summary(31, trials[4].params, 'rejected', null));
    const shuffled = [...trials].sort((a, b) => ((a.number * 7919) % 31) - ((b.number * 7919) % 31));
    const a = suggest(tpeSampler(opts), objectiveSpace, trials, 's1');
    // Another sampler object (another process) and another listing order agree.
    expect(suggest(tpeSampler(opts), objectiveSpace, shuffled, 's1')).toEqual(a);
    expect(suggest(tpeSampler(opts), objectiveSpace, trials, 's2')).not.toEqual(a);
  });

  it('learns from rejected trials: it avoids where they were, which it cannot do if they are left out', () => {
    // Every trial with x < 0.3 was rejected (vanishing gradients); among the completed
    // ones, all at x >= 0.3, the smaller x the better.
    const line = defineSearchSpace({
      name: 'line',
      description: 'x',
      build(hp) {
        hp.float('x', 0, 1);
        return CONFIG;
      },
    });
    const rng = seedrandom('rejected');
    const completed = Array.from({ length: 30 }, (_, i) => {
      const x = 0.3 + 0.7 * rng();
      return summary(i, { x }, 'completed', -x);
    });
    const rejected = Array.from({ length: 20 }, (_, i) => summary(30 + i, { x: 0.3 * rng() }, 'rejected', null));
    const share = (trials: TrialSummary[]) => {
      const xs = Array.from({ length: 40 }, (_, i) => suggest(tpeSampler(), line, trials, `r${i}`).x as number);
      return xs.filter((x) => x < 0.3).length / xs.length;
    };
    // Without them, TPE heads below 0.3, where the scores point.
    expect(share(completed)).toBeGreaterThan(0.5);
    expect(share([...completed, ...rejected])).toBeLessThan(0.05);
    // Failed trials are bad observations too; the good side takes only completed (then pruned) trials.
    const split = splitTrials([...completed, ...rejected, summary(99, { x: 0.5, y: 0.5 }, 'failed', null)], [], 'max');
    expect(split.below.every((t) => t.status === 'completed')).toBe(true);
    expect(split.above.filter((t) => t.status !== 'completed')).toHaveLength(21);
  });

  it.each([
    ['independent', { multivariate: false }],
    ['multivariate', {}],
  ] as const)('%s: spreads parallel asks with the constant liar (running trials count as bad)', (_, opts) => {
    // Eight workers ask one after another while the others' trials still run.
    const spreadOf = (sampler: Sampler, seed: number) => {
      const trials = randomHistory(plane, 30, `liar${seed}`, (p) => -(((p.x as number) - 0.7) ** 2) - ((p.y as number) - 0.3) ** 2);
      const points: Params[] = [];
      for (let w = 0; w < 8; w++) {
        const p = suggest(sampler, plane, trials, `${seed}:${w}`);
        points.push(p);
        trials.push(summary(trials.length, p, 'running', null));
      }
      let total = 0;
      for (let i = 0; i < 8; i++) for (let j = 0; j < i; j++) total += Math.hypot((points[i].x as number) - (points[j].x as number), (points[i].y as number) - (points[j].y as number));
      return total / 28;
    };
    const seeds = SEEDS.slice(0, 10);
    const lying = median(seeds.map((s) => spreadOf(tpeSampler(opts), s)));
    const honest = median(seeds.map((s) => spreadOf(tpeSampler({ ...opts, constantLiar: false }), s)));
    expect(lying).toBeGreaterThan(2 * honest);
  });

  it('validates its options', () => {
    expect(() => tpeSampler({ nStartupTrials: 0 })).toThrow(GradtuneError);
    expect(() => tpeSampler({ nEiCandidates: 2.5 })).toThrow(/nEiCandidates must be a whole number >= 1/);
    expect(() => tpeSampler({ priorWeight: -1 })).toThrow(/priorWeight must be a number > 0/);
    expect(() => tpeSampler({ multivariate: false, group: true })).toThrow(/group needs multivariate: true/);
  });
});

describe('TPE with conditional parameters', () => {
  it("decomposes the parameters into Optuna's groups", () => {
    // Optuna's own sequence (tests/search_space_tests/test_group_decomposed.py).
    const steps: [string[], string[][]][] = [
      [[], []],
      [['x'], [['x']]],
      [['x'], [['x']]],
      [['y', 'z'], [['x'], ['y', 'z']]],
      [['y', 'z', 'u', 'v'], [['x'], ['y', 'z'], ['u', 'v']]],
      [['u'], [['x'], ['y', 'z'], ['u'], ['v']]],
      [['y', 'w'], [['x'], ['y'], ['z'], ['u'], ['v'], ['w']]],
      [['y', 'w', 't'], [['x'], ['y'], ['z'], ['u'], ['v'], ['w'], ['t']]],
    ];
    steps.forEach((_, i) => {
      expect(decomposeGroups(steps.slice(0, i + 1).map(([names]) => names)), `after step ${i}`).toEqual(steps[i][1]);
    });
  });

  it('lists each set of parameter names once, in order of first appearance', () => {
    const sets = distinctNameSets([{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 1 }, { a: 1, b: 2 }, { b: 1, a: 2 }, { a: 5 }]);
    expect(sets).toEqual([['a', 'b'], ['a'], ['b', 'a']]);
    expect(decomposeGroups(sets)).toEqual([['a'], ['b']]);
  });

  it('takes the observations of a group only from trials where all of it was active', () => {
    const x = modelledParam({ kind: 'float', name: 'x', min: 0, max: 1, sampling: 'linear' });
    const y = modelledParam({ kind: 'float', name: 'y', min: 0, max: 1, sampling: 'linear' });
    const trials = [summary(0, { x: 0.1, y: 0.2 }, 'completed', 1), summary(1, { x: 0.3 }, 'completed', 1), summary(2, { x: 0.5, y: 0.6 }, 'completed', 1)];
    expect(observationColumns([x, y], trials).map((c) => Array.from(c))).toEqual([
      [0.1, 0.5],
      [0.2, 0.6],
    ]);
    expect(Array.from(observationColumns([x], trials)[0])).toEqual([0.1, 0.3, 0.5]);
  });

  it.each([
    ['independent', { multivariate: false }],
    ['multivariate', {}],
  ] as const)('%s: never models a parameter from the trials where it was inactive', (_, opts) => {
    // `rate` exists only when `tuned` is true, and defaults to its minimum 0. The best
    // trials all had tuned = false; the tuned ones (all bad) had rate in [0, 0.5]. Had the
    // inactive trials been modelled with rate at its default, the good side would pull
    // rate towards 0; modelled only where active, rate has no good observation, so TPE
    // moves away from the bad ones' rates, above 0.5.
    let reachAlways = false;
    const space = defineSearchSpace({
      name: 'conditional',
      description: 'rate only when tuned',
      build(hp) {
        const tuned = hp.boolean('tuned');
        if (tuned || reachAlways) hp.float('rate', 0, 1);
        return CONFIG;
      },
    });
    const rng = seedrandom('cond');
    const trials: TrialSummary[] = [];
    for (let n = 0; n < 40; n++) {
      trials.push(n % 2 === 0 ? summary(n, { tuned: false }, 'completed', 1 + rng()) : summary(n, { tuned: true, rate: 0.5 * rng() }, 'completed', rng()));
    }
    reachAlways = true; // the build now reaches `rate` in every suggestion
    const rates = Array.from({ length: 40 }, (_, i) => suggest(tpeSampler(opts), space, trials, `c${i}`).rate as number);
    expect(rates.filter((r) => r > 0.5).length / rates.length).toBeGreaterThan(0.8);
  });
});

describe('TPE inside Hyperband (BOHB)', () => {
  it('picks the highest budget at which enough trials have finished', () => {
    const at = (n: number, toEpoch: number | null, status: TrialSummary['status'] = 'completed') => summary(n, { x: 0.5, y: 0.5 }, status, status === 'completed' ? 1 : null, { toEpoch });
    const trials = [
      ...Array.from({ length: 12 }, (_, i) => at(i, 1)),
      ...Array.from({ length: 9 }, (_, i) => at(12 + i, 3, i === 0 ? 'rejected' : 'completed')),
      ...Array.from({ length: 4 }, (_, i) => at(21 + i, 9)),
      at(25, 3, 'running'),
      at(26, 3, 'stale'),
    ];
    expect(modelBudget(trials, 10)).toBe(1);
    expect(modelBudget(trials, 9)).toBe(3); // the rejected one counts; running and stale do not
    expect(modelBudget(trials, 4)).toBe(9);
    expect(modelBudget(trials, 13)).toBeUndefined();
    // The whole budget (toEpoch null) ranks above every number.
    expect(modelBudget([...trials, ...Array.from({ length: 4 }, (_, i) => at(30 + i, null))], 4)).toBe(Infinity);
  });

  it('models the scores of that budget: where budget 1 and budget 3 disagree, it follows budget 3 once it has 10 results', () => {
    // Budget 1 rewards x near 0.2; budget 3 (longer training) rewards x near 0.8.
    const lowBudget = randomHistory(plane, 30, 'b1', (p) => -Math.abs((p.x as number) - 0.2)).map((t) => ({ ...t, toEpoch: 1 }));
    const highBudget = (count: number) => randomHistory(plane, count, 'b3', (p) => -Math.abs((p.x as number) - 0.8), 100).map((t) => ({ ...t, toEpoch: 3 }));
    const meanX = (trials: TrialSummary[]) => {
      const xs = Array.from({ length: 30 }, (_, i) => suggest(tpeSampler(), plane, trials, `h${i}`).x as number);
      return xs.reduce((a, b) => a + b) / xs.length;
    };
    expect(meanX([...lowBudget, ...highBudget(6)])).toBeLessThan(0.4);
    expect(meanX([...lowBudget, ...highBudget(12)])).toBeGreaterThan(0.6);
  });
});
