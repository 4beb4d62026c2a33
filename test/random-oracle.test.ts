import { describe, expect, it } from 'vitest';
import { GradtuneError } from '../src/errors.js';
import type { Decision } from '../src/oracle/oracle.js';
import { randomOracle } from '../src/oracle/random.js';
import { defineSearchSpace } from '../src/space/define.js';
import { BUILTIN_SPACES, loadSpace } from '../src/space/load.js';
import { paramsKey } from '../src/space/params.js';
import type { Params, TrialConfig } from '../src/space/types.js';
import type { StudyRecord, TrialRecord, TrialStatus } from '../src/store/store.js';
import { makeStudy, makeTrial, runParams } from './helpers/records.js';

const CONFIG: TrialConfig = {
  model: { kind: 'mlp', hidden: [] },
  training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 },
};

const trial = makeTrial;
const study = (seed: number): StudyRecord => makeStudy({ space: 'mlp', seed });



/** Asks `count` times, appending each trial with the status `statusOf(n)` gives. */
function ask(oracle: ReturnType<typeof randomOracle>, seed: number, count: number, statusOf: (n: number) => TrialStatus = () => 'completed') {
  const trials: TrialRecord[] = [];
  for (let n = 0; n < count; n++) trials.push(trial(n, runParams(oracle.next(study(seed), trials)), statusOf(n)));
  return trials;
}

describe('randomOracle', async () => {
  const mlp = await loadSpace({ builtin: 'mlp' });

  it('gives the same params for trials 0..9 from the same seed, whatever the statuses', () => {
    const oracle = randomOracle(mlp, { maxTrials: 100 });
    const a = ask(oracle, 42, 10).map((t) => t.params);
    const statuses: TrialStatus[] = ['running', 'failed', 'rejected', 'pruned', 'completed'];
    const b = ask(oracle, 42, 10, (n) => statuses[n % statuses.length]).map((t) => t.params);
    expect(b).toEqual(a);
    // A fresh oracle (another process) agrees: nothing is kept between calls.
    expect(ask(randomOracle(mlp, { maxTrials: 100 }), 42, 10).map((t) => t.params)).toEqual(a);
  });

  it('does not depend on the order the history is listed in (completion order)', () => {
    const oracle = randomOracle(mlp, { maxTrials: 100 });
    const history = ask(oracle, 7, 9);
    const shuffled = [history[4], history[0], history[8], history[2], history[6], history[1], history[7], history[3], history[5]];
    expect(oracle.next(study(7), shuffled)).toEqual(oracle.next(study(7), history));
  });

  it('gives different params for different seeds', () => {
    const oracle = randomOracle(mlp, { maxTrials: 100 });
    const a = ask(oracle, 1, 10).map((t) => paramsKey(t.params));
    const b = ask(oracle, 2, 10).map((t) => paramsKey(t.params));
    expect(a.filter((key, i) => key === b[i])).toHaveLength(0);
    expect(new Set(a).size).toBe(10);
  });

  it('redraws duplicates and reports an exhausted space', () => {
    const tiny = defineSearchSpace({
      name: 'tiny',
      description: 'three configurations',
      build(hp) {
        hp.choice('c', ['a', 'b', 'c']);
        return CONFIG;
      },
    });
    const oracle = randomOracle(tiny, { maxTrials: 10 });
    const trials = ask(oracle, 3, 3);
    expect(new Set(trials.map((t) => t.params.c))).toEqual(new Set(['a', 'b', 'c']));
    const done = oracle.next(study(3), trials);
    expect(done.kind).toBe('done');
    expect(done.kind === 'done' && done.reason).toMatch(/^the search space is exhausted: /);
  });

  it('stops at maxTrials, not counting stale trials', () => {
    const oracle = randomOracle(mlp, { maxTrials: 3 });
    const trials = ask(oracle, 5, 3, (n) => (n === 1 ? 'stale' : 'completed'));
    // Two counted trials: one more may run, and it may not repeat the stale one.
    const fourth = runParams(oracle.next(study(5), trials));
    expect(trials.map((t) => paramsKey(t.params))).not.toContain(paramsKey(fourth));
    trials.push(trial(3, fourth, 'failed'));
    expect(oracle.next(study(5), trials)).toEqual({ kind: 'done', reason: 'reached --max-trials 3' });
  });

  it('counts stale trials as tried when looking for duplicates', () => {
    const one = defineSearchSpace({
      name: 'one',
      description: 'a single configuration',
      build(hp) {
        hp.fixed('x', 1);
        return CONFIG;
      },
    });
    const oracle = randomOracle(one, { maxTrials: 5, maxCollisions: 3 });
    const stale = [trial(0, runParams(oracle.next(study(0), [])), 'stale')];
    const decision = oracle.next(study(0), stale);
    expect(decision.kind).toBe('done');
    expect(decision.kind === 'done' && decision.reason).toMatch(/exhausted: 3 draws in a row/);
  });

  it('rejects invalid settings', () => {
    expect(() => randomOracle(mlp, { maxTrials: 0 })).toThrow(GradtuneError);
    expect(() => randomOracle(mlp, { maxTrials: 1.5 })).toThrow(/--max-trials must be a whole number >= 1/);
    expect(() => randomOracle(mlp, { maxTrials: 5, maxCollisions: 0 })).toThrow(GradtuneError);
  });

  it.each(BUILTIN_SPACES)('draws valid, distinct configurations from %s', async (name) => {
    const space = await loadSpace({ builtin: name });
    const trials = ask(randomOracle(space, { maxTrials: 30 }), 11, 30);
    expect(new Set(trials.map((t) => paramsKey(t.params))).size).toBe(30);
    for (const t of trials) expect(() => space.configFor(t.params)).not.toThrow();
  });
});
