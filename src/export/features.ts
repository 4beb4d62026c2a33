// Turns user rows into the model's input: the exported feature columns picked by name
// (in any order; other columns ignored), parsed and standardised exactly as training
// standardised them (float64 arithmetic, then float32, as src/data/scale.ts does), so a
// validation row predicted here enters the model with the bits it had during the search.
import { GradtuneError } from '../errors.js';
import { parseNumber } from '../data/number.js';
import type { Preprocessing } from './preprocessing.js';

/** One row by column name: numbers, or strings holding numbers (as CSV cells do). */
export type FeatureRecord = Readonly<Record<string, number | string>>;

/** Rows of cells under a header, as a CSV reader gives them. */
export interface FeatureTable {
  columns: readonly string[];
  rows: readonly (readonly (number | string)[])[];
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
  const nFeatures = pre.features.length;
  const nRows = table ? table.rows.length : records!.length;
  const x = new Float32Array(nRows * nFeatures);

  // A table is checked once, by its header; records one by one (each may lack a key).
  let indices: number[] | undefined;
  if (table) {
    const seen = new Set<string>();
    for (const c of table.columns) {
      if (seen.has(c) && pre.features.includes(c)) throw new GradtuneError(`${source}: column "${c}" appears twice; keep one`);
      seen.add(c);
    }
    const missing = pre.features.filter((f) => !seen.has(f));
    if (missing.length > 0) throw missingColumns(source, missing, pre);
    indices = pre.features.map((f) => table.columns.indexOf(f));
  }

  for (let r = 0; r < nRows; r++) {
    let cells: readonly unknown[];
    if (table) {
      const row = table.rows[r];
      cells = indices!.map((i) => row[i]);
    } else {
      const record = records![r];
      if (typeof record !== 'object' || record === null) {
        throw new GradtuneError(`${source} ${label(r)} is ${record === null ? 'null' : typeof record}, not an object of feature values by column name`);
      }
      const missing = pre.features.filter((f) => !Object.hasOwn(record, f) || record[f] === undefined);
      if (missing.length > 0) throw missingColumns(`${source} ${label(r)}`, missing, pre);
      cells = pre.features.map((f) => record[f]);
    }
    for (let f = 0; f < nFeatures; f++) {
      const value = numberOf(cells[f], () => `${source} ${label(r)}: column "${pre.features[f]}"`);
      x[r * nFeatures + f] = (value - pre.scaling.mean[f]) / pre.scaling.std[f];
    }
  }
  return { x, rows: nRows };
}

function missingColumns(where: string, missing: string[], pre: Preprocessing): GradtuneError {
  const s = missing.length === 1 ? '' : 's';
  return new GradtuneError(
    `${where} lacks the feature column${s} ${missing.map((m) => `"${m}"`).join(', ')}; the model reads ${pre.features.length} columns ` +
      `(${abbreviate(pre.features)}), in any order, and ignores others`,
  );
}

/** Up to 12 names, then a count: a 64-pixel header would drown the message. */
function abbreviate(names: readonly string[]): string {
  return names.length <= 12 ? names.join(', ') : `${names.slice(0, 12).join(', ')}, ... ${names.length - 12} more`;
}

function numberOf(cell: unknown, where: () => string): number {
  if (typeof cell === 'number') {
    if (Number.isFinite(cell)) return cell;
    throw new GradtuneError(`${where()} is ${cell}; features must be finite numbers`);
  }
  if (typeof cell === 'string') {
    if (cell.trim() === '') throw new GradtuneError(`${where()} is empty; missing values are not supported, fill or drop that row`);
    const value = parseNumber(cell);
    if (value !== undefined) return value;
    throw new GradtuneError(`${where()} has non-numeric value "${cell}"; the model's features must be numbers`);
  }
  throw new GradtuneError(`${where()} is ${cell === null ? 'null' : typeof cell}; features must be numbers`);
}
