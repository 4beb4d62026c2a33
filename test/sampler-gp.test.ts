// GP Bayesian optimisation: the regressor against an independent numpy reference, the
// unit-cube encoding, and the sampler: better than random search, Keras Tuner's start-up,
// a pure function of seed and history, learning from rejected trials, spreading
// parallel asks, and a capped history.
import { readFileSync } from 'node:fs';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { GradtuneError } from '../src/errors.js';
import { GaussianProcess, normalise } from '../src/sampler/gaussian-process.js';
import { capped, gpSampler } from '../src/sampler/gp.js';
import { encodingFor } from '../src/sampler/gp-encoding.js';
import { declaredParams } from '../src/sampler/history.js';
import { randomSampler } from '../src/sampler/random.js';
import type { Sampler, TrialSummary } from '../src/sampler/types.js';
import { defineSearchSpace, sampleParams } from '../src/space/define.js';
import { randomDecider } from '../src/space/sample.js';
import type { Params, TrialConfig } from '../src/space/types.js';
import { median, objectiveSpace, searchRegret } from './helpers/sampler-objective.js';

const CONFIG: TrialConfig = { model: { kind: 'mlp', hidden: [] }, training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 } };

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

function randomHistory(space: typeof plane, count: number, seed: string, score: (p: Params) => number): TrialSummary[] {
  const rng = seedrandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const params = sampleParams(space, randomDecider(rng));
    return summary(i, params, 'completed', score(params));
  });
}

function suggest(sampler: Sampler, space: typeof plane, trials: readonly TrialSummary[], seed: string): Params {
  return sampler.sample({ space, direction: 'max', rng: seedrandom(seed), trials });
}

interface GpCase {
  name: string;
  x: number[][];
  y: number[];
  alpha: number;
  queries: number[][];
  lengthScale: number;
  mean: number[];
  std: number[];
}

const reference: GpCase[] = JSON.parse(readFileSync(new URL('./fixtures/gp-reference.json', import.meta.url), 'utf8'));

describe('Gaussian process', () => {
  it.each(reference.map((c) => [c.name, c] as const))('fits the length scale and predicts as the numpy reference: %s', (_, c) => {
    const width = c.x[0].length;
    const x = Float64Array.from(c.x.flat());
    const { y } = normalise(Float64Array.from(c.y));
    const fitted = GaussianProcess.fit(x, y, width, c.alpha);
    expect(Math.abs(Math.log(fitted.lengthScale / c.lengthScale))).toBeLessThan(0.02);
    // At the reference's length scale, predictions agree to rounding.
    const exact = GaussianProcess.withLengthScale(x, y, width, c.alpha, c.lengthScale);
    const scratch = new Float64Array(c.y.length);
    c.queries.forEach((q, i) => {
      const p = exact.predict(Float64Array.from(q), 0, scratch);
      expect(p.mean).toBeCloseTo(c.mean[i], 6);
      expect(p.std).toBeCloseTo(c.std[i], 6);
      const f = fitted.predict(Float64Array.from(q), 0, scratch);
      expect(Math.abs(f.mean - c.mean[i])).toBeLessThan(0.05);
    });
  });
});

describe('unit-cube encoding', () => {
  const space = defineSearchSpace({
    name: 'encoded',
    description: 'one of each',
    build(hp) {
      hp.float('lr', 1e-4, 1e-1, { sampling: 'log', default: 1e-3 });
      hp.choice('act', ['relu', 'tanh', 'elu'], { default: 'tanh' });
      if (hp.boolean('drop')) hp.float('rate', 0, 0.5, { default: 0.25 });
      hp.fixed('seed', 7);
      return CONFIG;
    },
  });

  it('puts log-scale parameters in log space, choices one-hot, inactive parameters at their default, fixed ones nowhere', () => {
    const trials = [summary(0, { lr: 1e-2, act: 'elu', drop: true, rate: 0.5, seed: 7 }, 'completed', 1)];
    const encoding = encodingFor(declaredParams(space, trials));
    expect(encoding.names).toEqual(['act', 'drop', 'lr', 'rate']);
    expect(encoding.width).toBe(6);
    const out = new Float64Array(6);
    encoding.encode({ lr: 1e-2, act: 'elu', drop: true, rate: 0.5, seed: 7 }, out, 0);
    expect(Array.from(out.slice(0, 4))).toEqual([0, 0, 1, 1]);
    expect(out[4]).toBeCloseTo(2 / 3, 12); // 1e-2 is two thirds of the way from 1e-4 to 1e-1 in log space
    expect(out[5]).toBe(1);
    encoding.encode({ lr: 1e-4, act: 'relu', drop: false, seed: 7 }, out, 0);
    expect(Array.from(out)).toEqual([1, 0, 0, 0, 0, 0.5]); // rate inactive: its default 0.25
  });
});

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('GP sampler', () => {
  it('beats random search at 30 trials over 20 seeds (median regret at most half, and better on 15 seeds or more)', () => {
    const randomRegrets = SEEDS.map((seed) => searchRegret(randomSampler(), seed, 30));
    const regrets = SEEDS.map((seed) => searchRegret(gpSampler(), seed, 30));
    expect(median(regrets)).toBeLessThanOrEqual(0.5 * median(randomRegrets));
    expect(regrets.filter((r, i) => r < randomRegrets[i]).length).toBeGreaterThanOrEqual(15);
    // The objective's direction is read: maximising the negated loss finds the same points.
    expect(SEEDS.slice(0, 2).map((seed) => searchRegret(gpSampler(), seed, 30, 'max'))).toEqual(regrets.slice(0, 2));
  });

  it("draws at random until 3 x the parameters have finished, Keras Tuner's default", () => {
    // The objective's space has 5 parameters once a trial has reached the conditional one.
    const rng = seedrandom('init');
    const trials: TrialSummary[] = [];
    while (trials.length < 14) {
      const params = sampleParams(objectiveSpace, randomDecider(rng));
      if (trials.length === 0 && !params.use_dropout) continue;
      trials.push(summary(trials.length, params, 'completed', rng()));
    }
    for (const seed of ['a', 'b']) expect(suggest(gpSampler(), objectiveSpace, trials, seed)).toEqual(suggest(randomSampler(), objectiveSpace, trials, seed));
    trials.push(summary(14, trials[3].params, 'rejected', null));
    expect(suggest(gpSampler(), objectiveSpace, trials, 'a')).not.toEqual(suggest(randomSampler(), objectiveSpace, trials, 'a'));
    expect(suggest(gpSampler({ numInitialPoints: 20 }), objectiveSpace, trials, 'a')).toEqual(suggest(randomSampler(), objectiveSpace, trials, 'a'));
  });

  it('gives the same suggestion for the same seed and history, whatever order the history is listed in', () => {
    const trials = randomHistory(objectiveSpace, 30, 'same', (p) => -(p.units as number));
    trials.push(summary(30, trials[3].params, 'running', null));
    const shuffled = [...trials].reverse();
    const a = suggest(gpSampler(), objectiveSpace, trials, 's1');
    expect(suggest(gpSampler(), objectiveSpace, shuffled, 's1')).toEqual(a);
    expect(suggest(gpSampler(), objectiveSpace, trials, 's2')).not.toEqual(a);
  });

  it('learns from rejected trials: it avoids where they were, which it cannot do if they are left out', () => {
    const rng = seedrandom('rejected');
    const completed = Array.from({ length: 20 }, (_, i) => {
      const y = rng();
      return summary(i, { x: 0.3 + 0.7 * rng(), y }, 'completed', y);
    });
    const rejected = Array.from({ length: 15 }, (_, i) => summary(20 + i, { x: 0.3 * rng(), y: rng() }, 'rejected', null));
    const share = (trials: TrialSummary[]) => {
      const xs = Array.from({ length: 20 }, (_, i) => suggest(gpSampler(), plane, trials, `r${i}`).x as number);
      return xs.filter((x) => x < 0.3).length / xs.length;
    };
    expect(share(completed)).toBeGreaterThan(0.25);
    expect(share([...completed, ...rejected])).toBeLessThan(0.1);
  });

  it('spreads parallel asks: running trials count at the pessimistic estimate of the model', () => {
    const trials = randomHistory(plane, 20, 'liar', (p) => -(((p.x as number) - 0.7) ** 2) - ((p.y as number) - 0.3) ** 2);
    const points: Params[] = [];
    for (let w = 0; w < 6; w++) {
      const p = suggest(gpSampler(), plane, trials, `w${w}`);
      points.push(p);
      trials.push(summary(trials.length, p, 'running', null));
    }
    let closest = Infinity;
    for (let i = 0; i < points.length; i++) {
      for (let j = 0; j < i; j++) closest = Math.min(closest, Math.hypot((points[i].x as number) - (points[j].x as number), (points[i].y as number) - (points[j].y as number)));
    }
    expect(closest).toBeGreaterThan(0.02);
    // Without the running trials, the same asks land on (nearly) one point.
    const alone = Array.from({ length: 6 }, (_, w) => suggest(gpSampler(), plane, trials.slice(0, 20), `w${w}`));
    const spread = Math.max(...alone.map((p) => Math.hypot((p.x as number) - (alone[0].x as number), (p.y as number) - (alone[0].y as number))));
    expect(spread).toBeLessThan(closest);
  });

  it('caps the history at the best half plus trials spread over the rest', () => {
    const trials = Array.from({ length: 50 }, (_, i) => summary(i, { x: i / 50 }, i % 10 === 9 ? 'failed' : 'completed', i % 10 === 9 ? null : i));
    const loss = (t: TrialSummary) => (t.score === null ? null : -t.score);
    // The five best (scores 48 down to 44), then five spread evenly over the other 45
    // in trial order (failed trial 9 among them).
    expect(capped(trials, 10, loss).map((t) => t.number)).toEqual([0, 9, 18, 27, 36, 44, 45, 46, 47, 48]);
    expect(capped(trials.slice(0, 8), 10, loss)).toHaveLength(8);
  });

  it('validates its options', () => {
    expect(() => gpSampler({ alpha: 0 })).toThrow(GradtuneError);
    expect(() => gpSampler({ beta: -1 })).toThrow(/beta must be a number >= 0/);
    expect(() => gpSampler({ maxObservations: 1 })).toThrow(/maxObservations must be a whole number >= 2/);
    expect(() => gpSampler({ numInitialPoints: 0 })).toThrow(/numInitialPoints must be a whole number >= 1/);
  });
});
