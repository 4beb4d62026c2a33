import { GradtuneError } from '../errors.js';
import { cellText, ColumnCells, shownText, type CellColumn } from './column-cells.js';
import type { RowPlace } from './columns.js';
import { FLOAT32_MAX, isNonFiniteNumber } from './number.js';
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

/** The target column: its cells, and where each row is in the input (for messages). */
export interface TargetColumn {
  targetName: string;
  cells: CellColumn;
  /** "data file x.csv line 7", "y row 6". */
  place: RowPlace;
}

/** A target given as text cells (a test, or the rows of a file read whole); `lines` are the rows' lines in `label`. */
export function textTarget(targetName: string, targets: readonly string[], lines: readonly number[], label: string): TargetColumn {
  const cells = new ColumnCells(targetName, 0, true);
  for (const t of targets) cells.add(t);
  return { targetName, cells: cells.finish(), place: (r) => `${label} line ${lines[r]}` };
}

/**
 * Every row needs a target. An empty cell is missing; so is an NA spelling (NA, NaN, null,
 * ...) in a column of numbers. In a column of words those are labels like any other (a
 * class may be called "NA" or "None").
 */
export function checkTargetPresent({ targetName, cells, place }: TargetColumn): void {
  const numeric = cells.words === 0;
  let first = -1;
  let count = 0;
  if (numeric) {
    first = cells.firstMissing;
    count = cells.missing;
  } else {
    // Words among the labels: only an empty cell is missing.
    const empty = cells.texts.indexOf('');
    for (let r = 0; empty >= 0 && cells.codes && r < cells.rows; r++) {
      if (cells.codes[r] !== empty) continue;
      if (first < 0) first = r;
      count++;
    }
  }
  if (count === 0) return;
  const more = count > 1 ? ` (and ${count - 1} more row${count > 2 ? 's' : ''})` : '';
  const text = shownText(cells, first);
  const shown = text.trim() === '' ? 'empty' : `missing ("${text}")`;
  throw new GradtuneError(`${place(first)}: target column "${targetName}" is ${shown}${more}; every row needs a target value: drop the rows without one`);
}

/** Words: classification; numbers: classification when few distinct integers, else regression. */
export function inferTask(target: TargetColumn | readonly string[]): Task {
  const cells = 'cells' in target ? target.cells : textTarget('target', target, [], '').cells;
  // "inf" still makes a numeric target: regression then names the cell.
  if (cells.words > 0) return 'classification';
  const distinct = new Set<number>();
  let integral = true;
  for (let r = 0; r < cells.rows; r++) {
    const v = cells.values[r];
    if (Number.isNaN(v)) continue;
    if (!distinct.has(v)) {
      distinct.add(v);
      if (!Number.isInteger(v)) integral = false;
      // Past the class limit the answer is known: regression.
      if (distinct.size > MAX_INFERRED_CLASSES) return 'regression';
    }
  }
  const allNumbers = cells.numbers === cells.rows && cells.firstNonFinite < 0;
  return integral && allNumbers ? 'classification' : 'regression';
}

/** The target as training needs it. A classification target with words needs every cell's text (`cells.lost` false). */
export function encodeTarget(column: TargetColumn | { targetName: string; targets: readonly string[] }, task: Task, lines?: readonly number[], label?: string): EncodedTarget {
  const target = 'cells' in column ? column : textTarget(column.targetName, column.targets, lines ?? [], label ?? 'input');
  return task === 'regression' ? encodeRegression(target) : encodeClasses(target, label ?? labelOf(target));
}

/** What names the input in messages without a line: the part of a row's place before " line"/" row". */
function labelOf(target: TargetColumn): string {
  return target.place(0).replace(/ (line|row) \S+$/, '');
}

function encodeRegression({ targetName, cells, place }: TargetColumn): EncodedTarget {
  const values = new Float64Array(cells.rows);
  for (let r = 0; r < cells.rows; r++) {
    const value = cells.values[r];
    const where = `${place(r)}: target "${targetName}"`;
    if (Number.isNaN(value)) {
      const cell = shownText(cells, r);
      if (isNonFiniteNumber(cell)) throw new GradtuneError(`${where} is "${cell}", not a finite number; every target value must be finite: fix or drop that row`);
      throw new GradtuneError(`${where} has non-numeric value "${cell}", so the task cannot be regression; use classification or choose a numeric target`);
    }
    if (Math.abs(value) > FLOAT32_MAX) {
      throw new GradtuneError(`${where} is ${shownText(cells, r)}, beyond the ±3.4e38 that float32 (what tfjs computes in) can hold; rescale the target (divide it by a power of ten) and search again`);
    }
    values[r] = value;
  }
  return { task: 'regression', values };
}

function encodeClasses({ targetName, cells }: TargetColumn, label: string): EncodedTarget {
  const numeric = cells.numbers === cells.rows && cells.firstNonFinite < 0;
  // Numeric labels are keyed by value so "1" and "1.0" are one class, and sort as numbers
  // (2 before 10); text labels sort by code unit, which does not depend on the locale.
  const keyOf = numeric
    ? (r: number) => String(cells.values[r])
    : (r: number) => {
        const text = cellText(cells, r);
        if (text === undefined) throw new Error(`target "${targetName}" row ${r}: its text was not kept (the loader reads it again first)`);
        return text;
      };
  const index = new Map<string, number>();
  const firstCodes = new Int32Array(cells.rows);
  for (let r = 0; r < cells.rows; r++) {
    const key = keyOf(r);
    let code = index.get(key);
    if (code === undefined) {
      code = index.size;
      index.set(key, code);
    }
    firstCodes[r] = code;
  }
  const seen = [...index.keys()];
  const classes = [...seen].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  if (classes.length < 2) {
    throw new GradtuneError(
      `${label}: target "${targetName}" has a single value ("${classes[0]}"), nothing to classify; ` +
        `choose another target column`,
    );
  }
  const order = new Map(classes.map((c, i) => [c, i]));
  const remap = Int32Array.from(seen, (key) => order.get(key)!);
  return { task: 'classification', classes, labels: firstCodes.map((c) => remap[c]) };
}

/** Whether encoding the target as `task` needs every cell's text. */
export function targetNeedsTexts(cells: CellColumn, task: Task): boolean {
  return task === 'classification' && !(cells.numbers === cells.rows && cells.firstNonFinite < 0);
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
export function checkScaledTarget(values: Float64Array, scaling: TargetScaling, { targetName, cells, place }: TargetColumn): void {
  const limit = Math.sqrt(FLOAT32_MAX / values.length) / 16;
  for (let r = 0; r < values.length; r++) {
    const z = Math.abs(values[r] - scaling.mean) / scaling.std;
    if (z > limit) {
      throw new GradtuneError(
        `${place(r)}: target "${targetName}" is ${shownText(cells, r).trim()}, ${z.toPrecision(2)} standard deviations from the training rows' mean; ` +
          `its squared error would overflow float32: check that value, or regress a transformed target (its logarithm)`,
      );
    }
  }
}
