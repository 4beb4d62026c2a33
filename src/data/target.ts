import { GradtuneError } from '../errors.js';
import { isMissing } from './missing.js';
import { FLOAT32_MAX, isNonFiniteNumber, parseNumber } from './number.js';
import type { Task, TargetScaling } from './types.js';

/**
 * A numeric target with at most this many distinct integer values is read as class labels
 * (digit 0–9, a 0/1 flag, a 1–5 rating); anything else numeric is a quantity to regress.
 */
export const MAX_INFERRED_CLASSES = 20;

/** The target column turned into what training needs. */
export type EncodedTarget =
  | {
      task: 'classification';
      /** Labels in one-hot order. */
      classes: string[];
      /** Index into `classes`, per row. */
      labels: Int32Array;
    }
  | {
      task: 'regression';
      /** The target value, per row, in its own units. */
      values: Float64Array;
    };

export interface TargetColumn {
  targetName: string;
  /** The target cells as text, one per row. */
  targets: string[];
}

/**
 * Every row needs a target. An empty cell is missing; so is an NA spelling (NA, NaN, null,
 * ...) in a column of numbers. In a column of words those are labels like any other (a
 * class may be called "NA" or "None").
 */
export function checkTargetPresent({ targetName, targets }: TargetColumn, lines: number[], label: string): void {
  const numeric = targets.every((t) => isMissing(t) || parseNumber(t) !== undefined || isNonFiniteNumber(t));
  const absent = targets.map((t, r) => (t.trim() === '' || (numeric && isMissing(t)) ? r : -1)).filter((r) => r >= 0);
  if (absent.length === 0) return;
  const first = absent[0];
  const more = absent.length > 1 ? ` (and ${absent.length - 1} more row${absent.length > 2 ? 's' : ''})` : '';
  const shown = targets[first].trim() === '' ? 'empty' : `missing ("${targets[first]}")`;
  throw new GradtuneError(`${label} line ${lines[first]}: target column "${targetName}" is ${shown}${more}; every row needs a target value: drop the rows without one`);
}

export function inferTask(targets: string[]): Task {
  const numbers = targets.map(parseNumber);
  // "inf" still makes a numeric target: regression then names the cell.
  if (numbers.some((v, i) => v === undefined && !isNonFiniteNumber(targets[i]))) return 'classification';
  const distinct = new Set(numbers.filter((v): v is number => v !== undefined));
  const integral = [...distinct].every(Number.isInteger);
  return integral && distinct.size <= MAX_INFERRED_CLASSES && !numbers.includes(undefined) ? 'classification' : 'regression';
}

/** `lines` and `label` ("data file x.csv", "dataset iris") only serve error messages. */
export function encodeTarget(column: TargetColumn, task: Task, lines: number[], label: string): EncodedTarget {
  return task === 'regression' ? encodeRegression(column, lines, label) : encodeClasses(column, label);
}

function encodeRegression({ targetName, targets }: TargetColumn, lines: number[], label: string): EncodedTarget {
  const values = new Float64Array(targets.length);
  targets.forEach((cell, r) => {
    const value = parseNumber(cell);
    const where = `${label} line ${lines[r]}: target "${targetName}"`;
    if (value === undefined) {
      if (isNonFiniteNumber(cell)) throw new GradtuneError(`${where} is "${cell}", not a finite number; every target value must be finite: fix or drop that row`);
      throw new GradtuneError(`${where} has non-numeric value "${cell}", so the task cannot be regression; use classification or choose a numeric target`);
    }
    if (Math.abs(value) > FLOAT32_MAX) {
      throw new GradtuneError(`${where} is ${cell}, beyond the ±3.4e38 that float32 (what tfjs computes in) can hold; rescale the target (divide it by a power of ten) and search again`);
    }
    values[r] = value;
  });
  return { task: 'regression', values };
}

function encodeClasses({ targetName, targets }: TargetColumn, label: string): EncodedTarget {
  const numbers = targets.map(parseNumber);
  const numeric = numbers.every((v) => v !== undefined);
  // Numeric labels are keyed by value so "1" and "1.0" are one class, and sort as numbers
  // (2 before 10); text labels sort by code unit, which does not depend on the locale.
  const keys = numeric ? (numbers as number[]).map(String) : targets;
  const classes = [...new Set(keys)].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  if (classes.length < 2) {
    throw new GradtuneError(
      `${label}: target "${targetName}" has a single value ("${classes[0]}"), nothing to classify; ` +
        `choose another target column`,
    );
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  return { task: 'classification', classes, labels: Int32Array.from(keys, (k) => index.get(k)!) };
}

/**
 * The regression target's standardisation, fitted on the training rows. Training on
 * (y - mean) / std makes the search independent of the target's units: the same data with
 * the target shifted by 100 or multiplied by 1000 trains the same networks.
 */
export function fitTargetScaling(values: Float64Array, train: readonly number[], targetName: string, label: string): TargetScaling {
  const n = train.length;
  let mean = 0;
  for (const r of train) mean += values[r] / n;
  let variance = 0;
  for (const r of train) variance += (values[r] - mean) ** 2 / n;
  const first = values[train[0]];
  if (train.every((r) => values[r] === first) || !(variance > 0)) {
    throw new GradtuneError(`${label}: target "${targetName}" has the same value (${first}) in every training row; there is nothing to regress: choose another target column`);
  }
  return { mean, std: Math.sqrt(variance) };
}

/**
 * A standardised target far enough out that its squared error overflows float32 (a
 * validation row 1e20 standard deviations from the training rows) would turn every
 * trial's val_loss into Infinity: a data problem, named as one.
 */
export function checkScaledTarget(values: Float64Array, scaling: TargetScaling, { targetName, targets }: TargetColumn, lines: number[], label: string): void {
  const limit = Math.sqrt(FLOAT32_MAX / values.length) / 16;
  for (let r = 0; r < values.length; r++) {
    const z = Math.abs(values[r] - scaling.mean) / scaling.std;
    if (z > limit) {
      throw new GradtuneError(
        `${label} line ${lines[r]}: target "${targetName}" is ${targets[r].trim()}, ${z.toPrecision(2)} standard deviations from the training rows' mean; ` +
          `its squared error would overflow float32: check that value, or regress a transformed target (its logarithm)`,
      );
    }
  }
}
