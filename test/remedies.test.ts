// Remedies come from the space itself: each is a change of one of the trial's parameters
// to a value its space allows from this configuration, checked by rebuilding the
// configuration, never a parameter the space lacks or a value it cannot take.
import { beforeAll, describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { loadSpace } from '../src/space/load.js';
import { buildConfig, type SearchSpace } from '../src/space/define.js';
import { fixedDecider, randomDecider } from '../src/space/sample.js';
import { checkValue } from '../src/space/validate.js';
import { remediesFor, withRemedies } from '../src/remedy/find-remedies.js';
import { applyRemedy } from '../src/remedy/apply.js';
import { describeRemedy } from '../src/remedy/describe.js';
import { aspectsOf } from '../src/remedy/aspects.js';
import { CURES } from '../src/remedy/cures.js';
import { FINDING_KINDS, type Remedy } from '../src/train/diagnostics-types.js';
import type { MlpModel, Params } from '../src/space/types.js';
import { fixture } from './helpers/cli.js';

let deepSigmoid: SearchSpace;
let mlp: SearchSpace;
let fixedSigmoid: SearchSpace;

beforeAll(async () => {
  deepSigmoid = await loadSpace({ builtin: 'deep-sigmoid' });
  mlp = await loadSpace({ builtin: 'mlp' });
  fixedSigmoid = await loadSpace({ path: fixture('fixed-sigmoid-space.ts') });
});

const SICK: Params = { layers: 8, units: 32, activation: 'sigmoid', initializer: 'randomNormal', init_stddev: 0.01, stabilizer: 'none', optimizer: 'sgd', learning_rate: 2, epochs: 10, patience: 3, residual: false };

const mlpModel = (space: SearchSpace, params: Params) => space.configFor(params).model as MlpModel;

describe('remedies from the space', () => {
  it('for a vanishing deep sigmoid stack: ReLU, Glorot, batch norm, fewer layers, residual, in that order', () => {
    const remedies = remediesFor('vanishing', deepSigmoid, SICK);
    expect(remedies.map((r) => r.cure)).toEqual(['ReLU-family activation', 'He or Glorot initialisation', 'batch normalisation', 'fewer layers', 'residual connections']);
    expect(remedies.map(describeRemedy)).toEqual([
      'ReLU-family activation: activation: sigmoid → relu',
      'He or Glorot initialisation: initializer: randomNormal → glorotUniform (init_stddev no longer applies)',
      'batch normalisation: stabilizer: none → batchNorm',
      'fewer layers: layers: 8 → 4',
      'residual connections: residual: false → true',
    ]);
    // Each one, applied and rebuilt, has its cure and changes nothing else.
    const [relu, init, bn, fewer, residual] = remedies.map((r) => mlpModel(deepSigmoid, applyRemedy(SICK, r)));
    expect(relu.hidden.every((l) => l.activation === 'relu')).toBe(true);
    expect(init.hidden.every((l) => l.initializer === 'glorotUniform' && l.activation === 'sigmoid')).toBe(true);
    expect(bn.hidden.every((l) => l.batchNorm)).toBe(true);
    expect(fewer.hidden).toHaveLength(4);
    expect(residual.residual).toBe(true);
    for (const r of remedies) expect(r.sideEffects).toEqual([]);
  });

  it('proposes no activation change in a space without an activation choice', () => {
    const params = { initializer: 'randomNormal', batch_norm: false, learning_rate: 0.1, epochs: 3 };
    const remedies = remediesFor('vanishing', fixedSigmoid, params);
    expect(remedies.map((r) => r.cure)).toEqual(['He or Glorot initialisation', 'batch normalisation']);
    expect(remediesFor('saturation', fixedSigmoid, params).map((r) => r.cure)).not.toContain('ReLU-family activation');
  });

  it('proposes only values the space can reach: no lower learning rate at the bottom of its range', () => {
    // 0.1 can be halved within 0.05..0.1; 0.06 cannot.
    const fromTop = remediesFor('exploding', fixedSigmoid, { initializer: 'glorotUniform', batch_norm: true, learning_rate: 0.1, epochs: 3 });
    expect(fromTop.map(describeRemedy)).toEqual(['a lower learning rate: learning_rate: 0.1 → 0.05']);
    const nearBottom = remediesFor('exploding', fixedSigmoid, { initializer: 'glorotUniform', batch_norm: true, learning_rate: 0.06, epochs: 3 });
    expect(nearBottom).toEqual([]);
    // No clipping parameter in this space: no clipping remedy, whatever the finding.
    for (const kind of FINDING_KINDS) {
      expect(remediesFor(kind, fixedSigmoid, { initializer: 'randomNormal', batch_norm: false, learning_rate: 0.1, epochs: 3 }).map((r) => r.cure)).not.toContain('gradient clipping');
    }
  });

  it('sets the parameters a change makes reachable to their defaults, and says what else it changes', () => {
    const params = mlp.buildWith(fixedDecider({ clip: 'none', layers: 3, activation: 'relu', learning_rate: 0.05 })).params;
    const [clip] = remediesFor('exploding', mlp, params);
    expect(clip.cure).toBe('gradient clipping');
    expect(clip.changes).toEqual([
      { param: 'clip', from: 'none', to: 'norm' },
      { param: 'clip_value', from: null, to: 1 },
    ]);
    expect(mlp.configFor(applyRemedy(params, clip)).training.clip).toEqual({ kind: 'norm', value: 1 });
    // deep-sigmoid clips only instead of batch norm: the remedy says so.
    const [withBn] = remediesFor('exploding', deepSigmoid, { ...SICK, stabilizer: 'batchNorm' });
    expect(withBn).toMatchObject({ cure: 'gradient clipping', sideEffects: ['batch norm on → off'] });
    expect(withBn.changes).toEqual([
      { param: 'stabilizer', from: 'batchNorm', to: 'clipNorm' },
      { param: 'clip_norm', from: null, to: 1 },
    ]);
  });

  it('on random configurations of the built-in spaces, every remedy is a valid configuration that has its cure', () => {
    for (const space of [mlp, deepSigmoid]) {
      for (let i = 0; i < 15; i++) {
        const built = space.buildWith(randomDecider(seedrandom(`remedies:${space.name}:${i}`)));
        const findings = FINDING_KINDS.map((kind) => ({ kind, summary: '', epochs: { from: 1, to: 1 }, layers: [], figures: {}, thresholds: {}, rejects: false }));
        for (const f of withRemedies(findings, space, built.params)) {
          for (const r of f.remedies as Remedy[]) {
            const repaired = applyRemedy(built.params, r);
            // Rebuilding from the repaired params reaches exactly them: every value is one the space declares.
            const rebuilt = buildConfig(space, fixedDecider(repaired));
            expect(rebuilt.params, `${space.name} #${i} ${f.kind}: ${describeRemedy(r)}`).toEqual(repaired);
            for (const spec of rebuilt.specs) checkValue(spec, repaired[spec.name]);
            // Only the remedy's parameters differ from the trial's.
            const changed = Object.keys({ ...built.params, ...repaired }).filter((k) => built.params[k] !== repaired[k]);
            expect(changed.sort()).toEqual([...r.changes.map((c) => c.param), ...r.drops].sort());
            const cure = CURES[f.kind].find((c) => c.name === r.cure)!;
            expect(cure.achieved(aspectsOf(built.config), aspectsOf(rebuilt.config))).toBe(true);
          }
        }
      }
    }
  });
});
