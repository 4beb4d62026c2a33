// From parsed columns and a target to a Dataset: encode (imputation, categories), fit the
// standardisation on the training rows, standardise every row, check that nothing lands
// where float32 arithmetic breaks. The one implementation behind a CSV file
// (src/data/load.ts) and arrays given in code (src/data/memory.ts), so both are
// preprocessed the same way. The arrays it returns live in SharedArrayBuffers: the pool's
// worker threads read them where they are, without a copy each.
import { GradtuneError } from '../errors.js';
import type { RawColumn, RowPlace } from './columns.js';
import { encodedNames, encodedWidth, fitColumn } from './encode.js';
import { farFrom, MAX_STANDARDISED } from './scale.js';
import type { Split } from './split.js';
import { checkScaledTarget, fitTargetScaling, type EncodedTarget, type TargetColumn } from './target.js';
import type { ColumnEncoding, Dataset, MissingPolicy, Scaling, TargetScaling, Task } from './types.js';
import { constantColumnWarning, idColumnWarnings, tinyValidationWarnings } from './warnings.js';

export interface PrepareInput {
  name: string;
  /** Starts the messages that name no row: "data file x.csv", "dataset iris", "x". */
  label: string;
  rows: number;
  place: RowPlace;
  /** The feature columns, in order. */
  columns: RawColumn[];
  /** A feature cell as the input spelled it, for messages. */
  shown: (column: number, row: number) => string;
  target: EncodedTarget;
  targetColumn: TargetColumn;
  split: Split;
  maxCategories: number;
  missing: MissingPolicy;
  passthrough: string[];
  /** The warnings a CLI user gets (they name flags): for a file, not for arrays. */
  warnings?: { valSplit: number };
  fingerprint: string;
}

/** A Float32Array in shared memory: posted to a worker thread, it is shared, not copied. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

export function prepareDataset(input: PrepareInput): Dataset {
  const { columns: raw, target, split, label } = input;
  const { train, val } = split;
  const columns = raw.map((c) => fitColumn(c, train, input.maxCategories, label));
  const featureNames = encodedNames(columns);
  const nFeatures = featureNames.length;
  const widths = columns.map(encodedWidth);
  const starts = widths.map((_, c) => widths.slice(0, c).reduce((a, b) => a + b, 0));
  const maps = columns.map((column, c) => (column.kind === 'categorical' ? categoryMap(column, raw[c]) : undefined));
  const encodeRow = rowEncoder(raw, columns, maps, starts, nFeatures);

  const scaling = fitScaling(raw, columns, starts, nFeatures, train);
  checkScaling(scaling, columns, starts, widths, label);

  const task: Task = target.task;
  const nOutputs = target.task === 'classification' ? target.classes.length : 1;
  const targetScaling = target.task === 'regression' ? fitTargetScaling(target.values, train, input.targetColumn.targetName, label) : undefined;
  if (target.task === 'regression') checkScaledTarget(target.values, targetScaling!, input.targetColumn);

  const warnings = input.warnings
    ? [
        ...tinyValidationWarnings({
          nVal: val.length,
          rows: input.rows,
          valSplit: input.warnings.valSplit,
          ...(target.task === 'classification' ? { classes: target.classes, valLabels: val.map((r) => target.labels[r]) } : {}),
        }),
        ...idColumnWarnings(raw, input.rows),
        ...constantColumnWarning(constantColumns(raw, columns, maps, train)),
      ]
    : [];

  const standardise = (subset: readonly number[]) => standardiseRows(subset, encodeRow, scaling, nFeatures, { input, columns, starts, widths });
  return {
    name: input.name,
    task,
    featureNames,
    targetName: input.targetColumn.targetName,
    ...(target.task === 'classification' ? { classes: target.classes } : {}),
    nFeatures,
    nOutputs,
    nTrain: train.length,
    nVal: val.length,
    xTrain: standardise(train),
    yTrain: targetRows(target, train, nOutputs, targetScaling),
    xVal: standardise(val),
    yVal: targetRows(target, val, nOutputs, targetScaling),
    scaling,
    columns,
    missing: input.missing,
    ...(targetScaling ? { targetScaling } : {}),
    passthrough: input.passthrough,
    warnings,
    fingerprint: input.fingerprint,
    rows: input.rows,
  };
}

/**
 * Per raw category code of a categorical column: the feature it sets (an index among the
 * column's features), or -1 (a category of validation rows only, without an "other"
 * feature: all zeros, as encodeCell does at prediction time).
 */
function categoryMap(column: Extract<ColumnEncoding, { kind: 'categorical' }>, raw: RawColumn): Int32Array {
  const texts = raw.kind === 'categorical' ? raw.texts : [];
  const index = new Map(column.categories.map((c, i) => [c, i]));
  const k = column.categories.length;
  return Int32Array.from(texts, (text) => index.get(text) ?? (column.other ? k : -1));
}

type RowEncoder = (row: number, out: Float64Array) => void;

/** Writes a row's features (unstandardised, float64) into `out`: what encodeCell gives for its cells. */
function rowEncoder(raw: RawColumn[], columns: ColumnEncoding[], maps: (Int32Array | undefined)[], starts: number[], nFeatures: number): RowEncoder {
  return (row, out) => {
    out.fill(0, 0, nFeatures);
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c];
      const source = raw[c];
      const at = starts[c];
      if (column.kind === 'numeric' && source.kind === 'numeric') {
        const v = source.values[row];
        const absent = Number.isNaN(v);
        out[at] = absent ? column.fill : v;
        if (column.indicator) out[at + 1] = absent ? 1 : 0;
      } else if (column.kind === 'categorical' && source.kind === 'categorical') {
        const code = source.codes[row];
        if (code < 0) {
          // Missing: the most frequent category, which is always kept.
          out[at + column.categories.indexOf(column.fill)] = 1;
          if (column.indicator) out[at + encodedWidth(column) - 1] = 1;
        } else {
          const f = maps[c]![code];
          if (f >= 0) out[at + f] = 1;
        }
      }
    }
  };
}

/**
 * Per-feature mean and (population) standard deviation of the training rows, as
 * src/data/scale.ts fitScaling computes them on the encoded rows. 0/1 features
 * (categories, missing indicators) keep mean 0 and std 1.
 */
function fitScaling(raw: RawColumn[], columns: ColumnEncoding[], starts: number[], nFeatures: number, train: readonly number[]): Scaling {
  const mean = new Array<number>(nFeatures).fill(0);
  const std = new Array<number>(nFeatures).fill(1);
  columns.forEach((column, c) => {
    const source = raw[c];
    if (column.kind !== 'numeric' || source.kind !== 'numeric') return;
    const value = (r: number) => (Number.isNaN(source.values[r]) ? column.fill : source.values[r]);
    let sum = 0;
    for (const r of train) sum += value(r);
    const m = sum / train.length;
    let squares = 0;
    for (const r of train) squares += (value(r) - m) ** 2;
    const s = Math.sqrt(squares / train.length);
    // A constant feature (e.g. a border pixel that is always blank) gets std 1, which leaves
    // it at 0 rather than NaN. Tested by value, not by s === 0: float rounding in the mean
    // can leave a constant column with a tiny non-zero s that would blow it up.
    const first = value(train[0]);
    const constant = train.every((r) => value(r) === first);
    mean[starts[c]] = constant ? first : m;
    std[starts[c]] = constant || s === 0 ? 1 : s;
  });
  return { mean, std };
}

/** Cannot fail for values within float32's range; kept so a statistic is never silently NaN or zero. */
function checkScaling(scaling: Scaling, columns: ColumnEncoding[], starts: number[], widths: number[], label: string): void {
  columns.forEach((column, c) => {
    for (let f = starts[c]; f < starts[c] + widths[c]; f++) {
      const m = scaling.mean[f];
      const s = scaling.std[f];
      if (!(Number.isFinite(m) && Number.isFinite(s) && s > 0)) {
        throw new GradtuneError(`${label}: column "${column.name}" cannot be standardised (mean ${m}, standard deviation ${s}); check its values, or leave it out with --ignore ${column.name}`);
      }
    }
  });
}

/**
 * The rows, standardised, as float32 in shared memory. A value can be representable and
 * still land absurdly far out once standardised (far outside a near-constant training
 * column): named here rather than fed to the model to overflow it.
 */
function standardiseRows(
  subset: readonly number[],
  encodeRow: RowEncoder,
  scaling: Scaling,
  nFeatures: number,
  ctx: { input: PrepareInput; columns: ColumnEncoding[]; starts: number[]; widths: number[] },
): Float32Array {
  const out = sharedFloat32(subset.length * nFeatures);
  const encoded = new Float64Array(nFeatures);
  const { mean, std } = scaling;
  subset.forEach((r, i) => {
    encodeRow(r, encoded);
    const base = i * nFeatures;
    for (let f = 0; f < nFeatures; f++) {
      const x = (encoded[f] - mean[f]) / std[f];
      out[base + f] = x;
      if (!(Math.abs(x) <= MAX_STANDARDISED)) throw farOut(ctx, r, f, encoded[f], scaling);
    }
  });
  return out;
}

function farOut(ctx: { input: PrepareInput; columns: ColumnEncoding[]; starts: number[]; widths: number[] }, row: number, f: number, value: number, scaling: Scaling): GradtuneError {
  const c = ctx.starts.findIndex((start, i) => f >= start && f < start + ctx.widths[i]);
  const column = ctx.columns[c];
  return new GradtuneError(
    `${ctx.input.place(row)}: column "${column.name}" is ${ctx.input.shown(c, row)}, ${farFrom(value, scaling, f)}; check that value, or leave the column out with --ignore ${column.name}`,
  );
}

/** Input columns whose every feature is the same in all training rows. */
function constantColumns(raw: RawColumn[], columns: ColumnEncoding[], maps: (Int32Array | undefined)[], train: readonly number[]): string[] {
  const out: string[] = [];
  columns.forEach((column, c) => {
    const source = raw[c];
    if (column.kind === 'numeric' && source.kind === 'numeric') {
      const value = (r: number) => (Number.isNaN(source.values[r]) ? column.fill : source.values[r]);
      const flag = (r: number) => column.indicator && Number.isNaN(source.values[r]);
      const first = train[0];
      if (train.every((r) => value(r) === value(first) && flag(r) === flag(first))) out.push(column.name);
      return;
    }
    if (column.kind === 'categorical' && source.kind === 'categorical') {
      const fillFeature = column.categories.indexOf(column.fill);
      // What a row's features are, as one number: equal keys, equal features.
      const key = (r: number) => {
        const code = source.codes[r];
        const feature = code < 0 ? fillFeature : maps[c]![code];
        return feature * 2 + (code < 0 && column.indicator ? 1 : 0);
      };
      const first = key(train[0]);
      if (train.every((r) => key(r) === first)) out.push(column.name);
    }
  });
  return out;
}

/** One-hot rows for classification; for regression the standardised target. In shared memory. */
function targetRows(target: EncodedTarget, rows: readonly number[], nOutputs: number, scaling: TargetScaling | undefined): Float32Array {
  const out = sharedFloat32(rows.length * nOutputs);
  rows.forEach((r, i) => {
    if (target.task === 'classification') out[i * nOutputs + target.labels[r]] = 1;
    else out[i] = (target.values[r] - scaling!.mean) / scaling!.std;
  });
  return out;
}
