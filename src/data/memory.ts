// Data given in code, as Keras users give it: `tuner.search(x, y, { validationData })`.
// x is a matrix of numbers (rows × features) in one of three forms, y the targets; both
// are checked, fingerprinted (a hash of the values, so a study resumed with other arrays
// is caught as it is for a changed file) and preprocessed by the code that preprocesses
// a CSV file's numeric columns (src/data/prepare.ts). This module never imports tfjs: a
// tensor is read through its own dataSync()/arraySync().
import { createHash, type Hash } from 'node:crypto';
import { GradtuneError } from '../errors.js';
import { ColumnCells } from './column-cells.js';
import { numericColumn, type RawColumn, type RowPlace } from './columns.js';
import { prepareDataset } from './prepare.js';
import { checkValSplit, splitRows, type Split } from './split.js';
import { checkTargetPresent, encodeTarget, inferTask, targetNeedsTexts, type EncodedTarget, type TargetColumn } from './target.js';
import type { Dataset, Task } from './types.js';

/** A tf.Tensor, as far as reading it goes (duck-typed: data/ never imports tfjs). */
export interface TensorLike {
  shape: number[];
  dtype?: string;
  dataSync(): ArrayLike<number> | unknown;
  arraySync?(): unknown;
}

/** A row-major matrix of numbers and its shape, e.g. `{ values: Float32Array, shape: [rows, cols] }`. */
export interface ShapedArray {
  values: ArrayLike<number>;
  shape: readonly number[];
}

/** Features: `number[][]`, `{ values, shape: [rows, cols] }` (a Float32Array, Float64Array or number[]), or a tf.Tensor2D. */
export type FeatureMatrix = readonly (readonly number[])[] | ShapedArray | TensorLike;

/**
 * Targets: class labels (numbers or strings), numbers (regression), or one-hot rows
 * (`number[][]`, a shape `[rows, classes]`, or a tf.Tensor2D).
 */
export type Targets = ArrayLike<number | string> | readonly (readonly number[])[] | ShapedArray | TensorLike;

export interface MemoryOptions {
  /** Fraction of x's rows held out for validation, when `validationData` is not given. */
  valSplit: number;
  /** Seeds that split (stratified by class). */
  seed: number;
  task?: Task;
  /** The validation rows, given: `[xVal, yVal]`. */
  validationData?: readonly [FeatureMatrix, Targets];
  /** The features' names (default x0, x1, ...): exports and predictions name their input columns so. */
  featureNames?: string[];
}

/** The name a dataset of arrays goes by (studies are named `<space>-arrays` by default). */
export const MEMORY_DATASET_NAME = 'arrays';

/** Checks and preprocesses arrays given in code; the result is a Dataset like a CSV file's, its arrays in shared memory. */
export function loadMemoryDataset(x: FeatureMatrix, y: Targets, opts: MemoryOptions): Dataset {
  if (opts.validationData !== undefined && (!Array.isArray(opts.validationData) || opts.validationData.length !== 2)) {
    throw new GradtuneError('validationData must be a pair [xVal, yVal], as in Keras');
  }
  const given = opts.validationData !== undefined;
  if (!given) checkValSplit(opts.valSplit);
  const train = readMatrix(x, 'x');
  const val = given ? readMatrix(opts.validationData![0], 'validationData x') : undefined;
  if (val && val.cols !== train.cols) {
    throw new GradtuneError(`validationData x has ${val.cols} columns but x has ${train.cols}; the validation rows need the same features`);
  }
  const nTrain = train.rows;
  const rows = nTrain + (val?.rows ?? 0);
  const names = featureNames(opts.featureNames, train.cols);
  const inTrain = (r: number) => r < nTrain;
  const place: RowPlace = (r) => (inTrain(r) ? `x[${r}]` : `validationData x[${r - nTrain}]`);
  const targetPlace: RowPlace = (r) => (inTrain(r) ? `y[${r}]` : `validationData y[${r - nTrain}]`);

  const hash = createHash('sha256').update('gradtune-memory-1');
  // Per column, the training rows and then the validation rows.
  const columns = names.map(() => new Float64Array(rows));
  fillColumns(train, columns, 0, hash);
  if (val) fillColumns(val, columns, nTrain, hash);
  columns.forEach((values, c) => {
    for (let r = 0; r < rows; r++) {
      if (Number.isNaN(values[r])) {
        throw new GradtuneError(`${place(r)}[${c}] is NaN: in-memory features must be complete numbers; fill or drop the missing values first (gradtune imputes missing values only in CSV files)`);
      }
    }
  });
  const raw: RawColumn[] = columns.map((values, c) => numericColumn(names[c], c, values, 'x', (r) => place(r)));

  const trainTargets = readTargets(y, 'y', nTrain);
  const valTargets = given ? readTargets(opts.validationData![1], 'validationData y', val!.rows) : undefined;
  const { encoded: target, column: targetColumn } = encodeTargets(trainTargets, valTargets, opts.task, targetPlace, hash);

  const strata = target.task === 'classification' ? { labels: target.labels, nClasses: target.classes.length } : undefined;
  const split: Split = given
    ? { train: Array.from({ length: nTrain }, (_, i) => i), val: Array.from({ length: rows - nTrain }, (_, i) => nTrain + i) }
    : splitRows(rows, opts.valSplit, opts.seed, strata);
  hash.update(
    JSON.stringify({
      features: names,
      task: target.task,
      ...(given ? { validation: 'given' } : { valSplit: opts.valSplit, seed: opts.seed }),
    }),
  );

  return prepareDataset({
    name: MEMORY_DATASET_NAME,
    label: 'x',
    rows,
    place,
    columns: raw,
    shown: (c, r) => String(columns[c][r]),
    target,
    targetColumn,
    split,
    maxCategories: 1,
    missing: 'error',
    passthrough: [],
    fingerprint: hash.digest('hex'),
  });
}

interface Matrix {
  rows: number;
  cols: number;
  /** Row r, column c. */
  at(r: number, c: number): unknown;
}

function isTensor(value: unknown): value is TensorLike {
  return typeof value === 'object' && value !== null && typeof (value as TensorLike).dataSync === 'function' && Array.isArray((value as TensorLike).shape);
}

function isShaped(value: unknown): value is ShapedArray {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'values' in value && 'shape' in value;
}

const FORMS = 'number[][], { values: Float32Array | Float64Array | number[], shape: [rows, cols] }, or a tf.Tensor2D';

function readMatrix(x: unknown, name: string): Matrix {
  if (isTensor(x) || isShaped(x)) {
    const shape = x.shape;
    if (shape.length !== 2) throw new GradtuneError(`${name} has shape [${shape.join(', ')}]; features are a matrix [rows, columns]: ${FORMS}`);
    const values = isTensor(x) ? x.dataSync() : x.values;
    return flatMatrix(values, shape[0], shape[1], name);
  }
  if (Array.isArray(x)) {
    if (x.length === 0) throw new GradtuneError(`${name} has no rows`);
    const isRow = (row: unknown) => Array.isArray(row) || (ArrayBuffer.isView(row) && !(row instanceof DataView));
    const cols = isRow(x[0]) ? (x[0] as ArrayLike<unknown>).length : -1;
    if (cols < 1) throw new GradtuneError(`${name}[0] is ${isRow(x[0]) ? 'an empty row' : describe(x[0])}, not a row of numbers; give ${FORMS}`);
    x.forEach((row, r) => {
      if (!isRow(row)) throw new GradtuneError(`${name}[${r}] is ${describe(row)}, not a row of numbers`);
      if ((row as ArrayLike<unknown>).length !== cols) throw new GradtuneError(`${name}[${r}] has ${(row as ArrayLike<unknown>).length} values but ${name}[0] has ${cols}; every row needs one value per feature`);
    });
    return { rows: x.length, cols, at: (r, c) => (x[r] as ArrayLike<unknown>)[c] };
  }
  if (ArrayBuffer.isView(x)) throw new GradtuneError(`${name} is a flat typed array: give its shape too, as { values, shape: [rows, cols] }`);
  throw new GradtuneError(`${name} is ${describe(x)}; give ${FORMS}`);
}

function flatMatrix(values: unknown, rows: number, cols: number, name: string): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) throw new GradtuneError(`${name} has shape [${rows}, ${cols}]; it needs at least one row and one column`);
  const flat = values as ArrayLike<unknown>;
  if (typeof flat !== 'object' || flat === null || typeof flat.length !== 'number') throw new GradtuneError(`${name}.values is ${describe(values)}, not an array of numbers`);
  if (flat.length !== rows * cols) throw new GradtuneError(`${name} has ${flat.length} values but its shape [${rows}, ${cols}] needs ${rows * cols}`);
  return { rows, cols, at: (r, c) => flat[r * cols + c] };
}

/** Writes the matrix into the per-column arrays from row `offset`, hashing each row as float64. */
function fillColumns(m: Matrix, columns: Float64Array[], offset: number, hash: Hash): void {
  const row = new Float64Array(m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      const v = m.at(r, c);
      if (typeof v !== 'number') throw new GradtuneError(`${offset === 0 ? 'x' : 'validationData x'}[${r}][${c}] is ${describe(v)}; features must be numbers`);
      row[c] = v;
      columns[c][offset + r] = v;
    }
    hash.update(new Uint8Array(row.buffer));
  }
}

function featureNames(given: string[] | undefined, cols: number): string[] {
  if (given === undefined) return Array.from({ length: cols }, (_, c) => `x${c}`);
  if (!Array.isArray(given) || given.length !== cols || !given.every((n) => typeof n === 'string' && n !== '') || new Set(given).size !== cols) {
    throw new GradtuneError(`featureNames must be ${cols} distinct non-empty names, one per column of x`);
  }
  return [...given];
}

/** Targets as given: labels or numbers, one per row; or one-hot rows (classes are their columns). */
type ReadTargets = { kind: 'cells'; cells: (number | string)[] } | { kind: 'one-hot'; labels: Int32Array; classes: number };

function readTargets(y: unknown, name: string, rows: number): ReadTargets {
  let read: ReadTargets;
  if (isTensor(y) || isShaped(y)) {
    const shape = y.shape;
    const values = isTensor(y) ? (y.dtype === 'string' ? (y.arraySync?.() as unknown[]).flat() : y.dataSync()) : y.values;
    if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) read = { kind: 'cells', cells: Array.from(values as ArrayLike<number | string>) };
    else if (shape.length === 2) read = oneHot(flatMatrix(values, shape[0], shape[1], name), name);
    else throw new GradtuneError(`${name} has shape [${shape.join(', ')}]; give one label or value per row, or one-hot rows [rows, classes]`);
  } else if (Array.isArray(y) && y.length > 0 && Array.isArray(y[0])) {
    const m = readMatrix(y, name);
    read = m.cols === 1 ? { kind: 'cells', cells: Array.from({ length: m.rows }, (_, r) => m.at(r, 0) as number) } : oneHot(m, name);
  } else if (Array.isArray(y) || (ArrayBuffer.isView(y) && !(y instanceof DataView))) {
    read = { kind: 'cells', cells: Array.from(y as ArrayLike<number | string>) };
  } else {
    throw new GradtuneError(`${name} is ${describe(y)}; give class labels or numbers (an array, a typed array, a tf.Tensor1D), or one-hot rows`);
  }
  const n = read.kind === 'cells' ? read.cells.length : read.labels.length;
  if (n !== rows) throw new GradtuneError(`${name} has ${n} rows but ${name === 'y' ? 'x' : 'validationData x'} has ${rows}; give one target per row`);
  if (read.kind === 'cells') {
    read.cells.forEach((v, r) => {
      if (typeof v !== 'number' && typeof v !== 'string') throw new GradtuneError(`${name}[${r}] is ${describe(v)}; a target is a class label (number or string) or a number`);
    });
  }
  return read;
}

function oneHot(m: Matrix, name: string): ReadTargets {
  const labels = new Int32Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let one = -1;
    for (let c = 0; c < m.cols; c++) {
      const v = m.at(r, c);
      if (v === 1 && one < 0) one = c;
      else if (v !== 0) {
        throw new GradtuneError(`${name}[${r}] is not a one-hot row (${m.cols} columns, a single 1 and 0s elsewhere); give class labels, or one-hot rows (gradtune predicts one target)`);
      }
    }
    if (one < 0) throw new GradtuneError(`${name}[${r}] is all zeros; a one-hot row has a single 1`);
    labels[r] = one;
  }
  return { kind: 'one-hot', labels, classes: m.cols };
}

/** The targets of the training and validation rows, one column as a file's target is: the same task inference and checks. */
function encodeTargets(train: ReadTargets, val: ReadTargets | undefined, task: Task | undefined, place: RowPlace, hash: Hash): { encoded: EncodedTarget; column: TargetColumn } {
  const targetName = 'y';
  if (train.kind === 'one-hot' || val?.kind === 'one-hot') {
    if (train.kind !== 'one-hot' || val?.kind === 'cells') throw new GradtuneError('y and validationData y must both be one-hot rows or both labels');
    if (val && val.kind === 'one-hot' && val.classes !== train.classes) {
      throw new GradtuneError(`validationData y has ${val.classes} one-hot columns but y has ${train.classes}`);
    }
    if (task === 'regression') throw new GradtuneError('one-hot y means classification, not task "regression"');
    const labels = val?.kind === 'one-hot' ? Int32Array.from([...train.labels, ...val.labels]) : train.labels;
    hash.update(`one-hot:${train.classes}:`).update(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
    const classes = Array.from({ length: train.classes }, (_, c) => String(c));
    const cells = new ColumnCells(targetName, 0, true);
    for (const l of labels) cells.add(String(l));
    return { encoded: { task: 'classification', classes, labels }, column: { targetName, cells: cells.finish(), place } };
  }
  const all = [...train.cells, ...(val?.kind === 'cells' ? val.cells : [])];
  // As a file's cells: a label given as text stays text ("1" and 1 are the same class, as in a file).
  const texts = all.map((v) => (typeof v === 'number' ? String(v) : v));
  for (const text of texts) hash.update(text).update('\u0000');
  const read = (keepAll: boolean) => {
    const cells = new ColumnCells(targetName, 0, keepAll);
    for (const text of texts) cells.add(text);
    return cells.finish();
  };
  let column: TargetColumn = { targetName, cells: read(false), place };
  checkTargetPresent(column);
  const chosen = task ?? inferTask(column);
  // Labels that mix words and many spellings of numbers: every label's text is needed.
  if (column.cells.lost && targetNeedsTexts(column.cells, chosen)) column = { ...column, cells: read(true) };
  return { encoded: encodeTarget(column, chosen, undefined, 'y'), column };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '...' : v)}`;
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'Object'})`;
  return `${typeof v} ${String(v)}`;
}
