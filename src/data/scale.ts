import type { Scaling } from './types.js';

/**
 * The furthest a standardised feature may lie from the training rows' mean, in their
 * standard deviations. Training rows lie within sqrt(rows) by construction; a value beyond
 * this (a validation row, or a row to predict) would push the network's activations and
 * squared errors past float32, and every trial would look "exploding". A data problem.
 */
export const MAX_STANDARDISED = 1e15;

/**
 * Per-feature mean and (population) standard deviation of the given rows. Fitted on the
 * training rows only, so nothing about the validation rows leaks into training. 0/1
 * features (`binary`: categories, missing indicators) keep mean 0 and std 1: they are
 * already on a unit scale, and standardising a rare category would blow it up.
 */
export function fitScaling(features: Float64Array, nFeatures: number, rows: readonly number[], binary?: readonly boolean[]): Scaling {
  const mean: number[] = [];
  const std: number[] = [];
  for (let f = 0; f < nFeatures; f++) {
    if (binary?.[f]) {
      mean.push(0);
      std.push(1);
      continue;
    }
    const values = rows.map((r) => features[r * nFeatures + f]);
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    const s = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length);
    // A constant feature (e.g. a border pixel that is always blank) gets std 1, which leaves
    // it at 0 rather than NaN. Tested by value, not by s === 0: float rounding in the mean
    // can leave a constant column with a tiny non-zero s that would blow it up.
    const constant = values.every((v) => v === values[0]);
    mean.push(constant ? values[0] : m);
    std.push(constant || s === 0 ? 1 : s);
  }
  return { mean, std };
}

/** The given rows, standardised with `scaling`, as a row-major Float32Array. */
export function scaleRows(features: Float64Array, nFeatures: number, rows: readonly number[], scaling: Scaling): Float32Array {
  const out = new Float32Array(rows.length * nFeatures);
  rows.forEach((r, i) => {
    for (let f = 0; f < nFeatures; f++) {
      out[i * nFeatures + f] = (features[r * nFeatures + f] - scaling.mean[f]) / scaling.std[f];
    }
  });
  return out;
}

/** Words for a feature value beyond MAX_STANDARDISED, for error messages. */
export function farFrom(value: number, scaling: Scaling, f: number): string {
  const z = Math.abs(value - scaling.mean[f]) / scaling.std[f];
  return `${z.toPrecision(2)} standard deviations from the training rows' mean (${scaling.mean[f]}), too far out for float32 arithmetic`;
}
