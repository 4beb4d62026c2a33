// K-fold cross-validation on a dataset's training rows (--folds K): every training row is
// in exactly one fold, folds are stratified by class for classification and drawn from
// the seed, so fold f is the same rows in every trial, every worker and every process.
// The study's validation split is not touched. The scaling stays the training split's
// (fitted once on all training rows), as the model of every fold sees the same features.
import seedrandom from 'seedrandom';
import { GradtuneError } from '../errors.js';
import type { Dataset } from './types.js';

/** The fold (0..k-1) of each training row. */
export function foldOf(ds: Dataset, k: number, seed: number): Int32Array {
  if (!Number.isInteger(k) || k < 2) throw new GradtuneError(`--folds must be a whole number >= 2, got ${k}`);
  if (ds.nTrain < 2 * k) {
    throw new GradtuneError(`--folds ${k} needs at least ${2 * k} training rows (2 per fold); the data has ${ds.nTrain}: use fewer folds`);
  }
  const rng = seedrandom(`${seed}:folds:${k}`);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < ds.nTrain; i++) {
    const key = ds.task === 'classification' ? labelOf(ds, i) : 0;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const fold = new Int32Array(ds.nTrain);
  // Deal each class's rows round-robin in a shuffled order, carrying on from where the
  // previous class stopped, so folds differ in size by at most one row.
  let next = 0;
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = groups.get(key)!;
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    for (const r of rows) fold[r] = next++ % k;
  }
  return fold;
}

function labelOf(ds: Dataset, row: number): number {
  let best = 0;
  for (let c = 1; c < ds.nOutputs; c++) if (ds.yTrain[row * ds.nOutputs + c] > ds.yTrain[row * ds.nOutputs + best]) best = c;
  return best;
}

/** The dataset of fold f: trains on the other folds' rows, validates on fold f's. */
export function foldDataset(ds: Dataset, folds: Int32Array, f: number): Dataset {
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < ds.nTrain; i++) (folds[i] === f ? val : train).push(i);
  const take = (source: Float32Array, width: number, rows: number[]) => {
    const out = new Float32Array(rows.length * width);
    rows.forEach((r, i) => out.set(source.subarray(r * width, (r + 1) * width), i * width));
    return out;
  };
  return {
    ...ds,
    nTrain: train.length,
    nVal: val.length,
    xTrain: take(ds.xTrain, ds.nFeatures, train),
    yTrain: take(ds.yTrain, ds.nOutputs, train),
    xVal: take(ds.xTrain, ds.nFeatures, val),
    yVal: take(ds.yTrain, ds.nOutputs, val),
  };
}
