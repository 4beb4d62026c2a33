// Samplers inside the oracles: the default random sampler draws exactly what random search
// and Hyperband drew before samplers existed; TPE and GP run whole random searches and
// Hyperband schedules; a sampler of the user's plugs in, and its mistakes are named.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { GradtuneError } from '../src/errors.js';
import { hyperbandOracle } from '../src/oracle/hyperband.js';
import { hyperbandSchedule } from '../src/oracle/hyperband-schedule.js';
import type { SyncOracle as Oracle } from '../src/oracle/oracle.js';
import { randomOracle } from '../src/oracle/random.js';
import { buildWith } from '../src/sampler/build.js';
import { gpSampler } from '../src/sampler/gp.js';
import { randomSampler } from '../src/sampler/random.js';
import { tpeSampler } from '../src/sampler/tpe.js';
import type { Sampler } from '../src/sampler/types.js';
import { defineSearchSpace, sampleParams } from '../src/space/define.js';
import { loadSpace } from '../src/space/load.js';
import { paramsKey } from '../src/space/params.js';
import { randomDecider } from '../src/space/sample.js';
import type { Params, TrialConfig } from '../src/space/types.js';
import type { StudyRecord, TrialRecord } from '../src/store/store.js';
import { makeStudy, makeTrial, runParams, toySpace } from './helpers/records.js';
import { objectiveLoss, objectiveSpace } from './helpers/sampler-objective.js';

const CONFIG: TrialConfig = { model: { kind: 'mlp', hidden: [] }, training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 } };

/** Asks `count` trials in a row, each completed with `score(params)`. */
function runRandom(oracle: Oracle, study: StudyRecord, count: number, score: (p: Params) => number = () => 0.5): TrialRecord[] {
  const trials: TrialRecord[] = [];
  for (let n = 0; n < count; n++) {
    const params = runParams(oracle.next(study, trials));
    trials.push(makeTrial(n, params, 'completed', { score: score(params) }));
  }
  return trials;
}

describe('the random sampler in the oracles', () => {
  it('draws the sequence random search drew before samplers: (seed, trial number, attempt)', async () => {
    const mlp = await loadSpace({ builtin: 'mlp' });
    const study = makeStudy({ seed: 17 });
    const drawn = runRandom(randomOracle(mlp, { maxTrials: 25 }), study, 25).map((t) => t.params);
    const before = Array.from({ length: 25 }, (_, n) => sampleParams(mlp, randomDecider(seedrandom(`17:${n}:0`))));
    expect(drawn).toEqual(before);
  });

  it('redraws a repeated configuration with the next attempt, as before', () => {
    const tiny = defineSearchSpace({
      name: 'tiny',
      description: 'four configurations',
      build(hp) {
        hp.choice('c', ['a', 'b', 'c', 'd']);
        return CONFIG;
      },
    });
    const study = makeStudy({ seed: 3 });
    const drawn = runRandom(randomOracle(tiny, { maxTrials: 4 }), study, 4).map((t) => t.params.c);
    const before: unknown[] = [];
    for (let n = 0; n < 4; n++) {
      for (let attempt = 0; ; attempt++) {
        const c = sampleParams(tiny, randomDecider(seedrandom(`3:${n}:${attempt}`))).c;
        if (!before.includes(c)) {
          before.push(c);
          break;
        }
      }
    }
    expect(drawn).toEqual(before);
  });

  it("draws Hyperband's round-0 configurations from (seed, iteration, bracket, slot, attempt), as before", () => {
    const study = makeStudy({ seed: 5, maxEpochs: 9, algorithm: 'hyperband' });
    const oracle = hyperbandOracle(toySpace, { maxEpochs: 9, factor: 3 });
    const trials: TrialRecord[] = [];
    for (let n = 0; n < 6; n++) {
      const d = oracle.next(study, trials);
      if (d.kind !== 'run') throw new Error(d.kind);
      trials.push(makeTrial(n, d.params, 'running', { slot: d.slot ?? null, toEpoch: d.toEpoch ?? null }));
    }
    // The first bracket (2) starts with its round-0 slots 0, 1, 2, ...
    trials.forEach((t, index) => {
      expect(t.params).toEqual(sampleParams(toySpace, randomDecider(seedrandom(`5:hyperband:0:2:${index}:0`))));
    });
  });
});

describe('model-based samplers in random search', () => {
  it.each([
    ['tpe', () => tpeSampler()],
    ['tpe independent', () => tpeSampler({ multivariate: false })],
    ['gp', () => gpSampler()],
  ] as const)('%s: runs to --max-trials with distinct configurations, even when the space runs out', (_, make) => {
    // 12 configurations: a model sure of its optimum keeps proposing tried ones; random
    // draws take over after a few redraws, so every configuration is reached.
    const small = defineSearchSpace({
      name: 'small',
      description: 'twelve configurations',
      build(hp) {
        hp.int('n', 1, 4);
        hp.choice('c', ['a', 'b', 'c']);
        return CONFIG;
      },
    });
    const oracle = randomOracle(small, { maxTrials: 20, sampler: make() });
    const study = makeStudy({ seed: 9 });
    const trials = runRandom(oracle, study, 12, (p) => (p.n as number) + (p.c === 'a' ? 1 : 0));
    expect(new Set(trials.map((t) => paramsKey(t.params))).size).toBe(12);
    const done = oracle.next(study, trials);
    expect(done.kind === 'done' && done.reason).toMatch(/^the search space is exhausted/);
  });
});

describe('model-based samplers in Hyperband (BOHB-style)', () => {
  /** Runs the whole schedule with `workers` trials at a time; scores improve with epochs and x near 0.7. */
  function simulate(oracle: Oracle, study: StudyRecord, workers: number): TrialRecord[] {
    const trials: TrialRecord[] = [];
    const order = seedrandom('order');
    for (let guard = 0; guard < 10_000; guard++) {
      const running = trials.filter((t) => t.status === 'running');
      if (running.length < workers) {
        const d = oracle.next(study, trials);
        if (d.kind === 'run') {
          trials.push(makeTrial(trials.length, d.params, 'running', { parent: d.parent ?? null, fromEpoch: d.fromEpoch ?? null, toEpoch: d.toEpoch ?? null, slot: d.slot ?? null }));
          continue;
        }
        if (d.kind === 'done') return trials;
      }
      const t = running[Math.floor(order() * running.length)];
      t.status = 'completed';
      t.score = 1 - Math.abs((t.params.x as number) - 0.7) + 0.01 * (t.toEpoch ?? 0);
      t.epochsRun = t.toEpoch ?? 0;
    }
    throw new Error('the simulation did not end');
  }

  it.each([
    ['tpe', () => tpeSampler(), 10],
    ['gp', () => gpSampler(), 6],
  ] as const)('%s: runs the whole schedule with 3 workers, fresh configurations distinct, promotions of the best', (_, make, startUp) => {
    const schedule = hyperbandSchedule({ maxEpochs: 27, factor: 3 });
    const study = makeStudy({ seed: 4, maxEpochs: 27, algorithm: 'hyperband' });
    const trials = simulate(hyperbandOracle(toySpace, { maxEpochs: 27, factor: 3, sampler: make() }), study, 3);
    expect(trials).toHaveLength(schedule.totalTrials);
    const fresh = trials.filter((t) => t.parent === null);
    expect(new Set(fresh.map((t) => paramsKey(t.params))).size).toBe(fresh.length);
    for (const t of trials.filter((t) => t.parent !== null)) expect(t.params).toEqual(trials[t.parent!].params);
    // Until the start-up count of trials has finished (TPE: 10; GP: 3 x 2 parameters), the
    // draws are Hyperband's random ones (with 3 workers, 2 more draws come before that
    // result); then the model takes over.
    const random = simulate(hyperbandOracle(toySpace, { maxEpochs: 27, factor: 3 }), study, 3).filter((t) => t.parent === null);
    const early = startUp + 2;
    expect(fresh.slice(0, early).map((t) => t.params)).toEqual(random.slice(0, early).map((t) => t.params));
    const later = fresh.slice(early).filter((t, i) => paramsKey(t.params) !== paramsKey(random[early + i].params));
    expect(later.length).toBeGreaterThan(fresh.length / 2);
  });
});

describe("a sampler of the user's own", () => {
  /** The example of the Sampler doc comment (src/sampler/types.ts), as written there. */
  const nearBest: Sampler = {
    name: 'near-best',
    sample({ space, direction, rng, trials }) {
      const done = trials.filter((t) => t.status === 'completed' && t.score !== null);
      const random = randomDecider(rng);
      if (done.length < 5) return sampleParams(space, random);
      const sign = direction === 'max' ? 1 : -1;
      const best = done.reduce((a, b) => (sign * b.score! > sign * a.score! ? b : a));
      // Keep each of the best trial's values with probability 0.7, redraw the others.
      return sampleParams(space, (spec, dflt) => (spec.name in best.params && rng() < 0.7 ? best.params[spec.name] : random(spec, dflt)));
    },
  };

  it('plugs into random search and improves on random draws', () => {
    const study = makeStudy({ seed: 2, objective: { metric: 'val_loss', direction: 'min' } });
    const best = (sampler: Sampler) => Math.min(...runRandom(randomOracle(objectiveSpace, { maxTrials: 40, sampler }), study, 40, objectiveLoss).map((t) => t.score!));
    expect(best(nearBest)).toBeLessThan(best(randomSampler()));
  });

  it('has its mistakes named: a value outside the range, a missing parameter, no params at all', () => {
    const study = makeStudy({ seed: 1 });
    const ask = (sample: Sampler['sample']) => randomOracle(toySpace, { maxTrials: 5, sampler: { name: 'mine', sample } }).next(study, []);
    expect(() => ask(() => ({ x: 2, width: 8 }))).toThrow(GradtuneError);
    expect(() => ask(() => ({ x: 2, width: 8 }))).toThrow(/sampler "mine" proposed 2 for parameter "x", which is float 0\.\.1/);
    expect(() => ask(() => ({ x: 0.5 }))).toThrow(/sampler "mine" gave no value for parameter "width"/);
    expect(() => ask(() => undefined as unknown as Params)).toThrow(/sampler "mine" returned undefined instead of params/);
    // Extra names are dropped: the trial records what the build reached.
    expect(runParams(ask(() => ({ x: 0.5, width: 16, stray: 1 })))).toEqual({ x: 0.5, width: 16 });
  });
});

describe('errors inside a build', () => {
  it("leaves a plain error of the user's build to the worker, as random search does", () => {
    // The build throws for some values: the sampler still returns the params reached.
    const fragile = defineSearchSpace({
      name: 'fragile',
      description: 'throws when x > 0.5',
      build(hp) {
        if (hp.float('x', 0, 1) > 0.5) throw new Error('x too large for this model');
        hp.int('n', 1, 3);
        return CONFIG;
      },
    });
    const study = makeStudy({ seed: 6 });
    const trials = runRandom(randomOracle(fragile, { maxTrials: 30, sampler: tpeSampler() }), study, 25, (p) => (p.n === undefined ? 0 : 1));
    expect(trials.some((t) => !('n' in t.params))).toBe(true);
    expect(trials.filter((t) => t.number >= 10).every((t) => Object.keys(t.params).length > 0)).toBe(true);
  });

  it("does not mistake an error of a sampler's own decider for one of the build's", () => {
    expect(() =>
      buildWith(toySpace, () => {
        throw new TypeError('a bug in the sampler');
      }),
    ).toThrow(/a bug in the sampler/);
  });
});
