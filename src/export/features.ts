// Turns user rows into the model's input: the exported input columns picked by name (in
// any order; other columns ignored), each encoded by src/data/encode.ts — the code that
// encoded the search's rows — then standardised exactly as training standardised them
// (float64 arithmetic, then float32, as src/data/scale.ts does), so a validation row
// predicted here enters the model with the bits it had during the search.
import { GradtuneError } from '../errors.js';
import { encodeCell, encodedWidth } from '../data/encode.js';
import type { Cell } from '../data/missing.js';
import { abbreviate } from '../data/select.js';
import { farFrom, MAX_STANDARDISED } from '../data/scale.js';
import type { Preprocessing } from './preprocessing.js';

/** One row by column name: numbers, strings (as CSV cells are), or null for a missing value. */
export type FeatureRecord = Readonly<Record<string, number | string | null>>;

/** Rows of cells under a header, as a CSV reader gives them. */
export interface FeatureTable {
  columns: readonly string[];
  rows: readonly (readonly (number | string | null)[])[];
  /** Where the rows come from, to start error messages ("data file new.csv"). Default "input". */
  source?: string;
  /** How to name row i in errors (a CSV's "line 5"). Default "row i+1". */
  rowLabel?: (index: number) => string;
}

/** Rows to predict: records by column name, or a table with a header. */
export type PredictInput = readonly FeatureRecord[] | FeatureTable;

export function isFeatureTable(input: PredictInput): input is FeatureTable {
  return !Array.isArray(input);
}

/** The rows as a standardised, row-major Float32Array of `rows × features.length`. */
export function featureMatrix(input: PredictInput, pre: Preprocessing): { x: Float32Array; rows: number } {
  const table = isFeatureTable(input) ? input : undefined;
  const records = table ? undefined : (input as readonly FeatureRecord[]);
  const source = table?.source ?? 'input';
  const label = table?.rowLabel ?? ((i: number) => `row ${i + 1}`);
  const inputs = pre.columns.map((c) => c.name);
  const nFeatures = pre.features.length;
  const nRows = table ? table.rows.length : records!.length;
  const widths = pre.columns.map(encodedWidth);
  const missingHint =
    pre.missing === 'error' ? 'and this model does not impute (its study was searched with --missing error, or it was exported before imputation existed): fill that cell or drop the row' : '';
  const encoded = new Float64Array(nFeatures);
  const x = new Float32Array(nRows * nFeatures);

  // A table is checked once, by its header; records one by one (each may lack a key).
  const indices = table ? tableIndices(table, inputs, source, pre) : undefined;
  for (let r = 0; r < nRows; r++) {
    let cells: readonly Cell[];
    if (table) {
      const row = table.rows[r];
      cells = indices!.map((i) => row[i]);
    } else {
      const record = records![r];
      if (typeof record !== 'object' || record === null) {
        throw new GradtuneError(`${source} ${label(r)} is ${record === null ? 'null' : typeof record}, not an object of feature values by column name`);
      }
      const missing = inputs.filter((f) => !Object.hasOwn(record, f) || record[f] === undefined);
      if (missing.length > 0) throw missingColumns(`${source} ${label(r)}`, missing, inputs);
      cells = inputs.map((f) => record[f]);
    }
    let at = 0;
    pre.columns.forEach((column, c) => {
      encodeCell(column, cells[c], encoded, at, { where: () => `${source} ${label(r)}: column "${column.name}"`, missing: pre.missing, missingHint });
      at += widths[c];
    });
    for (let f = 0; f < nFeatures; f++) {
      x[r * nFeatures + f] = (encoded[f] - pre.scaling.mean[f]) / pre.scaling.std[f];
      if (!(Math.abs(x[r * nFeatures + f]) <= MAX_STANDARDISED)) {
        throw new GradtuneError(`${source} ${label(r)}: feature "${pre.features[f]}" is ${encoded[f]}, ${farFrom(encoded[f], pre.scaling, f)}; check that value`);
      }
    }
  }
  return { x, rows: nRows };
}

function tableIndices(table: FeatureTable, inputs: string[], source: string, pre: Preprocessing): number[] {
  const seen = new Set<string>();
  for (const c of table.columns) {
    if (seen.has(c) && (inputs.includes(c) || pre.passthrough.includes(c))) throw new GradtuneError(`${source}: column "${c}" appears twice; keep one`);
    seen.add(c);
  }
  const missing = inputs.filter((f) => !seen.has(f));
  if (missing.length > 0) throw missingColumns(source, missing, inputs);
  return inputs.map((f) => table.columns.indexOf(f));
}

function missingColumns(where: string, missing: string[], inputs: string[]): GradtuneError {
  const s = missing.length === 1 ? '' : 's';
  return new GradtuneError(
    `${where} lacks the feature column${s} ${missing.map((m) => `"${m}"`).join(', ')}; the model reads ${inputs.length} column${inputs.length === 1 ? '' : 's'} ` +
      `(${abbreviate(inputs)}), in any order, and ignores others`,
  );
}

/**
 * The columns copied from the input into predictions: the export's passthrough columns
 * (its --id first) that the input has, then `extra` ones, which the input must have.
 * An export's id column the input lacks is left out (the rows are still in input order).
 */
export function passthroughColumns(input: PredictInput, pre: Preprocessing, extra: readonly string[] = []): string[] {
  const has = isFeatureTable(input)
    ? (c: string) => input.columns.includes(c)
    : (c: string) => (input as readonly FeatureRecord[]).some((r) => typeof r === 'object' && r !== null && Object.hasOwn(r, c));
  const source = isFeatureTable(input) ? (input.source ?? 'input') : 'input';
  const absent = extra.filter((c) => !has(c));
  if (absent.length > 0) {
    const columns = isFeatureTable(input) ? `; its columns are: ${abbreviate(input.columns)}` : '';
    throw new GradtuneError(`${source} has no column ${absent.map((c) => `"${c}"`).join(', ')} to pass through${columns}`);
  }
  const target = pre.task === 'classification' ? [pre.target, ...pre.classes!.map((c) => `probability_${c}`)] : [pre.target];
  const clash = extra.find((c) => target.includes(c));
  if (clash !== undefined) throw new GradtuneError(`column "${clash}" cannot be passed through: the predictions have a column of that name`);
  return [...new Set([...pre.passthrough.filter(has), ...extra])];
}

/** Each row's passthrough values, by column; null where a record lacks one. */
export function passthroughValues(input: PredictInput, columns: readonly string[]): Array<Record<string, string | number | null>> {
  if (isFeatureTable(input)) {
    const at = columns.map((c) => input.columns.indexOf(c));
    return input.rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[at[i]] ?? null])));
  }
  return (input as readonly FeatureRecord[]).map((record) => Object.fromEntries(columns.map((c) => [c, record?.[c] ?? null])));
}
