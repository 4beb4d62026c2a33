// Predictions of an exported model: rows in, the stored preprocessing applied, and the
// model's outputs given their meaning (a class label and its probabilities, or a value).
import type * as TF from '@tensorflow/tfjs';
import { stringify } from 'csv-stringify/sync';
import { tf } from '../train/tf.js';
import { featureMatrix, type PredictInput } from './features.js';
import type { Preprocessing } from './preprocessing.js';

export interface ClassPrediction {
  /** The most probable class (the first of equals). */
  label: string;
  /** Every class's probability, by label, in the model's output order. */
  probabilities: Record<string, number>;
}

export interface ValuePrediction {
  /** The predicted target value (regression). */
  value: number;
}

export type Prediction = ClassPrediction | ValuePrediction;

/**
 * Rows large enough to keep per-call overhead low, small enough that a big CSV never
 * builds one giant activation tensor. A search evaluates its validation split in one
 * call; splits of up to this many rows are therefore evaluated exactly as it did.
 */
const BATCH = 4096;

/** The model's raw outputs (probabilities or values), row-major, for the rows. */
export function predictOutputs(model: TF.LayersModel, pre: Preprocessing, input: PredictInput): { outputs: Float32Array; rows: number; units: number } {
  const { x, rows } = featureMatrix(input, pre);
  const units = pre.task === 'classification' ? pre.classes!.length : 1;
  const outputs = new Float32Array(rows * units);
  for (let start = 0; start < rows; start += BATCH) {
    const n = Math.min(BATCH, rows - start);
    const batch = tf.tidy(() => {
      const xs = tf.tensor2d(x.subarray(start * pre.features.length, (start + n) * pre.features.length), [n, pre.features.length]);
      return model.predict(xs) as TF.Tensor;
    });
    outputs.set(batch.dataSync(), start * units);
    batch.dispose();
  }
  return { outputs, rows, units };
}

export function predictRows(model: TF.LayersModel, pre: Preprocessing, input: PredictInput): Prediction[] {
  const { outputs, rows, units } = predictOutputs(model, pre, input);
  const out: Prediction[] = [];
  for (let r = 0; r < rows; r++) {
    const row = outputs.subarray(r * units, (r + 1) * units);
    if (pre.task === 'regression') {
      out.push({ value: row[0] });
      continue;
    }
    let best = 0;
    for (let c = 1; c < units; c++) if (row[c] > row[best]) best = c;
    const probabilities: Record<string, number> = {};
    pre.classes!.forEach((label, c) => (probabilities[label] = row[c]));
    out.push({ label: pre.classes![best], probabilities });
  }
  return out;
}

/** The header of a predictions CSV: the target (label or value), then one probability column per class. */
export function predictionColumns(pre: Preprocessing): string[] {
  return pre.task === 'classification' ? [pre.target, ...pre.classes!.map((c) => `probability_${c}`)] : [pre.target];
}

/** Predictions as CSV text, one row per input row, in input order. */
export function predictionsCsv(pre: Preprocessing, predictions: readonly Prediction[]): string {
  const rows = predictions.map((p) =>
    'value' in p ? [float32String(p.value)] : [p.label, ...pre.classes!.map((c) => float32String(p.probabilities[c]))],
  );
  return stringify([predictionColumns(pre), ...rows]);
}

/**
 * The shortest decimal that reads back as the same float32: the model computes in
 * float32, so 0.97345674 says all there is, where the float64 spelling of the same value
 * (0.9734567403793335) adds digits that mean nothing.
 */
export function float32String(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const f = Math.fround(x);
  for (let digits = 1; digits <= 9; digits++) {
    const s = Number(f.toPrecision(digits));
    if (Math.fround(s) === f) return String(s);
  }
  return String(f);
}
