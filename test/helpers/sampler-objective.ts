// A cheap synthetic objective for sampler tests and benchmarks: a known function of a
// space with a log-scale float, an int, a categorical and a conditional parameter, so
// a sampler's quality is measured in microseconds instead of training runs.
import { defineSearchSpace } from '../../src/space/define.js';
import { randomOracle } from '../../src/oracle/random.js';
import type { Sampler } from '../../src/sampler/types.js';
import type { Params, TrialConfig } from '../../src/space/types.js';
import type { TrialRecord } from '../../src/store/store.js';
import { makeStudy, makeTrial } from './records.js';

const CONFIG: TrialConfig = { model: { kind: 'mlp', hidden: [] }, training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 32 } };

/** lr (log float), units (int), act (choice), use_dropout (boolean) → dropout (conditional float). */
export const objectiveSpace = defineSearchSpace({
  name: 'synthetic',
  description: 'a known function of five parameters, one of them conditional',
  build(hp) {
    hp.float('lr', 1e-5, 1e-1, { sampling: 'log' });
    hp.int('units', 1, 64);
    hp.choice('act', ['relu', 'tanh', 'sigmoid', 'elu']);
    if (hp.boolean('use_dropout')) hp.float('dropout', 0, 0.5);
    return CONFIG;
  },
});

const ACTIVATION_PENALTY: Record<string, number> = { tanh: 0, relu: 0.3, elu: 0.2, sigmoid: 0.6 };

/**
 * The loss to minimise; 0 exactly at lr = 10^-2.5, units = 23, act = tanh, dropout on at
 * 0.2, so the best loss found is the regret. Without dropout the loss is 0.3 higher.
 */
export function objectiveLoss(p: Params): number {
  const lr = Math.log10(p.lr as number) + 2.5;
  const units = ((p.units as number) - 23) / 32;
  const dropout = p.use_dropout ? (((p.dropout as number) - 0.2) / 0.25) ** 2 : 0.3;
  return (lr * lr) / 4 + units * units + ACTIVATION_PENALTY[p.act as string] + dropout;
}

/**
 * Runs random search with `sampler` for `trials` sequential trials on the objective and
 * returns the best loss. `direction: 'max'` reports the negated loss as the score, to
 * check samplers read the direction.
 */
export function searchRegret(sampler: Sampler, seed: number, trials: number, direction: 'min' | 'max' = 'min'): number {
  const oracle = randomOracle(objectiveSpace, { maxTrials: trials, sampler });
  const study = makeStudy({ seed, objective: { metric: direction === 'min' ? 'val_loss' : 'val_accuracy', direction } });
  const history: TrialRecord[] = [];
  let best = Infinity;
  for (let n = 0; n < trials; n++) {
    const d = oracle.next(study, history);
    if (d.kind !== 'run') throw new Error(`the oracle stopped at trial ${n}: ${d.kind}`);
    const loss = objectiveLoss(d.params);
    best = Math.min(best, loss);
    history.push(makeTrial(n, d.params, 'completed', { score: direction === 'min' ? loss : -loss }));
  }
  return best;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
}
