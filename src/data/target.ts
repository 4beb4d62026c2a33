import { GradtuneError } from '../errors.js';
import { parseNumber } from './number.js';
import type { Task } from './types.js';

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
      /** The target value, per row, unscaled. */
      values: Float64Array;
    };

export function inferTask(targets: string[]): Task {
  const numbers = targets.map(parseNumber);
  if (numbers.some((v) => v === undefined)) return 'classification';
  const distinct = new Set(numbers as number[]);
  const integral = [...distinct].every(Number.isInteger);
  return integral && distinct.size <= MAX_INFERRED_CLASSES ? 'classification' : 'regression';
}

interface TargetColumn {
  targetName: string;
  targets: string[];
}

/** `lines` and `label` ("data file x.csv", "dataset iris") only serve error messages. */
export function encodeTarget(column: TargetColumn, task: Task, lines: number[], label: string): EncodedTarget {
  return task === 'regression' ? encodeRegression(column, lines, label) : encodeClasses(column, label);
}

function encodeRegression({ targetName, targets }: TargetColumn, lines: number[], label: string): EncodedTarget {
  const values = new Float64Array(targets.length);
  targets.forEach((cell, r) => {
    const value = parseNumber(cell);
    if (value === undefined) {
      throw new GradtuneError(
        `${label} line ${lines[r]}: target "${targetName}" has non-numeric value "${cell}", ` +
          `so the task cannot be regression; use classification or choose a numeric target`,
      );
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
