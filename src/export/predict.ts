// Predictions of an exported model: rows in, the stored preprocessing applied, and the
// model's outputs given their meaning (a class label and its probabilities, or a value).
import type * as TF from '@tensorflow/tfjs';
import { stringify } from 'csv-stringify/sync';
import { tf } from '../train/tf.js';
import { featureMatrix, passthroughColumns, passthroughValues, type PredictInput } from './features.js';
import type { Preprocessing } from './preprocessing.js';

/** What to predict besides the model's outputs. */
export interface PredictOptions {
  /** Input columns to copy into each prediction, besides the export's own passthrough (--id) columns; the input must have them. */
  passthrough?: readonly string[];
}

interface Carried {
  /** The input's passthrough columns (the export's --id column first), by name; absent when there are none. */
  passthrough?: Record<string, string | number | null>;
}

export interface ClassPrediction extends Carried {
  /** The most probable class (the first of equals). */
  label: string;
  /** Every class's probability, by label, in the model's output order. */
  probabilities: Record<string, number>;
}

export interface ValuePrediction extends Carried {
  /** The predicted target value (regression), in the target's own units. */
  value: number;
}

export type Prediction = ClassPrediction | ValuePrediction;

/**
 * Rows large enough to keep per-call overhead low, small enough that a big CSV never
 * builds one giant activation tensor. A search evaluates its validation split in one
 * call; splits of up to this many rows are therefore evaluated exactly as it did.
 */
const BATCH = 4096;

/**
 * The model's raw outputs (probabilities, or for regression the standardised value when
 * `model` is the network without its rescale layer), row-major, for the rows.
 */
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

/**
 * Predictions of `model` — for regression the network *before* the export's rescale layer
 * (see loadExported): its standardised output is brought back to the target's units here,
 * in float64, so a target like 1e12 + small changes keeps its digits.
 */
export function predictRows(model: TF.LayersModel, pre: Preprocessing, input: PredictInput, opts: PredictOptions = {}): Prediction[] {
  const carried = passthroughColumns(input, pre, opts.passthrough);
  const { outputs, rows, units } = predictOutputs(model, pre, input);
  const values = carried.length > 0 ? passthroughValues(input, carried) : undefined;
  const out: Prediction[] = [];
  for (let r = 0; r < rows; r++) {
    const row = outputs.subarray(r * units, (r + 1) * units);
    const passthrough = values ? { passthrough: values[r] } : {};
    if (pre.task === 'regression') {
      const t = pre.targetScaling;
      out.push({ value: t ? row[0] * t.std + t.mean : row[0], ...passthrough });
      continue;
    }
    let best = 0;
    for (let c = 1; c < units; c++) if (row[c] > row[best]) best = c;
    const probabilities: Record<string, number> = {};
    pre.classes!.forEach((label, c) => (probabilities[label] = row[c]));
    out.push({ label: pre.classes![best], probabilities, ...passthrough });
  }
  return out;
}

/** The header of a predictions CSV: the target (label or value), then one probability column per class. */
export function predictionColumns(pre: Preprocessing): string[] {
  return pre.task === 'classification' ? [pre.target, ...pre.classes!.map((c) => `probability_${c}`)] : [pre.target];
}

/**
 * Predictions as CSV text, one row per input row, in input order: the passthrough columns
 * (`passthrough`, as passthroughColumns gives them for the input), then the predictions.
 */
export function predictionsCsv(pre: Preprocessing, predictions: readonly Prediction[], passthrough: readonly string[] = []): string {
  const rows = predictions.map((p) => [
    ...passthrough.map((c) => cellText(p.passthrough?.[c] ?? null)),
    ...('value' in p ? [valueString(p.value, pre)] : [p.label, ...pre.classes!.map((c) => float32String(p.probabilities[c]))]),
  ]);
  return stringify([[...passthrough, ...predictionColumns(pre)], ...rows]);
}

function cellText(value: string | number | null): string {
  return value === null ? '' : String(value);
}

/**
 * A regression value as the shortest decimal within the model's own precision: the
 * network's float32 output, brought to the target's units, is good to half a float32 step
 * of that output times the target's std. (An export without target scaling: float32.)
 */
export function valueString(value: number, pre: Preprocessing): string {
  const t = pre.targetScaling;
  if (!t || !Number.isFinite(value)) return float32String(value);
  const z = Math.fround((value - t.mean) / t.std);
  const tolerance = halfStep32(z) * t.std;
  for (let digits = 1; digits <= 17; digits++) {
    const s = Number(value.toPrecision(digits));
    if (Math.abs(s - value) <= tolerance) return String(s);
  }
  return String(value);
}

/** Half the distance from a float32 to the next one away from zero (the smallest normal's for 0 and subnormals). */
function halfStep32(z: number): number {
  const magnitude = Math.max(Math.abs(z), 2 ** -126);
  return 2 ** (Math.floor(Math.log2(magnitude)) - 24);
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
