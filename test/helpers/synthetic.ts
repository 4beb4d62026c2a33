import seedrandom from 'seedrandom';
import type { Dataset } from '../../src/data/types.js';

/**
 * A tiny two-class dataset made in memory: class = sign of x0 + x1, so a small MLP
 * can learn it quickly. Used where the data module is not what is under test.
 */
export function separableDataset(nTrain = 200, nVal = 50, seed = 1): Dataset {
  const rng = seedrandom(String(seed));
  const make = (n: number) => {
    const x = new Float32Array(n * 2);
    const y = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const a = rng() * 2 - 1;
      const b = rng() * 2 - 1;
      x[i * 2] = a;
      x[i * 2 + 1] = b;
      y[i * 2 + (a + b > 0 ? 1 : 0)] = 1;
    }
    return { x, y };
  };
  const train = make(nTrain);
  const val = make(nVal);
  return {
    name: 'separable',
    task: 'classification',
    featureNames: ['a', 'b'],
    targetName: 'label',
    classes: ['neg', 'pos'],
    nFeatures: 2,
    nOutputs: 2,
    nTrain,
    nVal,
    xTrain: train.x,
    yTrain: train.y,
    xVal: val.x,
    yVal: val.y,
    scaling: { mean: [0, 0], std: [1, 1] },
    fingerprint: 'synthetic',
    rows: nTrain + nVal,
  };
}
