// A sampler and an oracle of the user's own, in code (issue 17): the Tuner takes either.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Tuner, sampleParams, randomDecider, type Sampler, type Oracle } from '../src/index.js';
import { tempDir } from './helpers/cli.js';

/** The README's example: stay near the best trial so far. */
const nearBest: Sampler = {
  name: 'near-best',
  sample({ space, direction, rng, trials }) {
    const done = trials.filter((t) => t.status === 'completed' && t.score !== null);
    const random = randomDecider(rng);
    if (done.length < 2) return sampleParams(space, random);
    const sign = direction === 'max' ? 1 : -1;
    const best = done.reduce((a, b) => (sign * b.score! > sign * a.score! ? b : a));
    return sampleParams(space, (spec, dflt) => (spec.name in best.params && rng() < 0.7 ? best.params[spec.name] : random(spec, dflt)));
  },
};

describe('plug-ins in code', () => {
  it('a sampler of the user\'s own draws the configurations; the study remembers its name', { timeout: 120_000 }, async () => {
    const storage = join(tempDir(), 'p.db');
    let calls = 0;
    const counting: Sampler = { name: 'near-best', sample: (ctx) => (calls++, nearBest.sample(ctx)) };
    const results = await new Tuner({ space: 'quick', data: 'iris', algorithm: 'random', maxTrials: 4, maxEpochs: 2, workers: 1, storage, sampler: counting }).search();
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(results.study.settings.sampler).toEqual({ name: 'custom:near-best' });
    // Continuing it needs the same sampler, in code.
    await expect(new Tuner({ study: 'quick-iris', storage, maxTrials: 5 }).search()).rejects.toThrow(/sampler "near-best", defined in code; continue it through the API with the same sampler/);
    const more = await new Tuner({ study: 'quick-iris', storage, maxTrials: 5, sampler: nearBest }).search();
    expect(more.trials).toHaveLength(5);
  });

  it('a sampler of the user\'s that never returns is ended by sampleTimeout, with a built-in space too', { timeout: 120_000 }, async () => {
    const storage = join(tempDir(), 'loop.db');
    const stuck: Sampler = {
      name: 'stuck',
      sample() {
        for (;;) {
          // A sampler that never ends: the search must not hang on it.
        }
      },
    };
    const search = new Tuner({ space: 'quick', data: 'iris', algorithm: 'random', maxTrials: 2, maxEpochs: 1, workers: 1, storage, sampler: stuck, sampleTimeout: 1 }).search();
    await expect(search).rejects.toThrow(/drawing the next configuration from search space quick took longer than 1 s/);
  });

  it('an oracle of the user\'s own decides the trials', { timeout: 120_000 }, async () => {
    const storage = join(tempDir(), 'o.db');
    const plan = [{ learning_rate: 0.1 }, { learning_rate: 0.01 }, { learning_rate: 0.001 }];
    const oracle: Oracle & { name: string } = {
      name: 'three-rates',
      next(_study, trials) {
        if (trials.length >= plan.length) return { kind: 'done', reason: 'tried the three learning rates' };
        return { kind: 'run', params: { layers: 1, activation: 'relu', units_1: 16, optimizer: 'adam', batch_size: 16, epochs: 20, patience: 5, ...plan[trials.length] } };
      },
    };
    const results = await new Tuner({ space: 'quick', data: 'iris', maxEpochs: 2, workers: 1, storage, oracle }).search();
    expect(results.study.algorithm).toBe('custom:three-rates');
    expect(results.stopReason).toBe('tried the three learning rates');
    expect(results.trials.map((t) => t.params.learning_rate)).toEqual([0.1, 0.01, 0.001]);
  });
});
