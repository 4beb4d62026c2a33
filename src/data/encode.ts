// From input columns to model features: fitted on the training rows (median and most
// frequent value for imputation, the categories worth a column of their own), then applied
// cell by cell. `encodeCell` is the one implementation: loadDataset encodes the search's
// rows with it, and `gradtune predict` / loadExported encode new rows with it, so a row
// enters an exported model exactly as it entered training.
import { GradtuneError } from '../errors.js';
import type { RawColumn } from './columns.js';
import { tooLarge } from './columns.js';
import { isMissing, type Cell } from './missing.js';
import { FLOAT32_MAX, isNonFiniteNumber, parseNumber } from './number.js';
import type { ColumnEncoding, MissingPolicy } from './types.js';

/** Feature-name suffixes of the extra columns; parentheses because a category cannot be missing or "other" itself. */
export const OTHER = '(other)';
export const MISSING = '(missing)';

/** Fits a column's encoding on the training rows. `label` names the file in errors. */
export function fitColumn(column: RawColumn, train: readonly number[], maxCategories: number, label: string): ColumnEncoding {
  const noValue = () =>
    new GradtuneError(`${label}: column "${column.name}" has no value in the training split (its values are all in validation rows); leave it out with --ignore ${column.name}, or use another --seed or --val-split`);
  let trainMissing = false;
  if (column.kind === 'numeric') {
    const values = new Float64Array(train.length);
    let n = 0;
    for (const r of train) {
      const v = column.values[r];
      if (Number.isNaN(v)) trainMissing = true;
      else values[n++] = v;
    }
    if (n === 0) throw noValue();
    return { name: column.name, kind: 'numeric', fill: median(values.subarray(0, n)), indicator: trainMissing };
  }
  const perCode = new Float64Array(column.texts.length);
  for (const r of train) {
    const code = column.codes[r];
    if (code < 0) trainMissing = true;
    else perCode[code]++;
  }
  const counts = column.texts.map((text, code) => [text, perCode[code]] as const).filter(([, n]) => n > 0);
  if (counts.length === 0) throw noValue();
  // Most frequent first; ties in code-unit order (not the locale's), so the encoding is a function of the data alone.
  const ranked = counts.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([v]) => v);
  return {
    name: column.name,
    kind: 'categorical',
    categories: ranked.slice(0, maxCategories),
    other: ranked.length > maxCategories,
    fill: ranked[0],
    indicator: trainMissing,
  };
}

function median(values: Float64Array): number {
  const sorted = values.sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** How many features a column becomes. */
export function encodedWidth(column: ColumnEncoding): number {
  const extra = Number(column.indicator);
  return column.kind === 'numeric' ? 1 + extra : column.categories.length + Number(column.other) + extra;
}

/** The features' names: `age`, `age=(missing)`, `color=red`, `color=(other)`, ... */
export function encodedNames(columns: readonly ColumnEncoding[]): string[] {
  return columns.flatMap((c) => {
    const names = c.kind === 'numeric' ? [c.name] : [...c.categories.map((v) => `${c.name}=${v}`), ...(c.other ? [`${c.name}=${OTHER}`] : [])];
    return c.indicator ? [...names, `${c.name}=${MISSING}`] : names;
  });
}

/** Per feature: a 0/1 indicator (a category, "other", "missing"), which is left unstandardised. */
export function binaryFeatures(columns: readonly ColumnEncoding[]): boolean[] {
  return columns.flatMap((c) => {
    const width = encodedWidth(c);
    return Array.from({ length: width }, (_, i) => c.kind === 'categorical' || i > 0);
  });
}

/** What the error messages of encodeCell say about where the cell is and what to do about a missing one. */
export interface CellContext {
  /** "data file new.csv line 5: column "age"" */
  where: () => string;
  missing: MissingPolicy;
  /** Why a missing value is an error and what to do, for the `missing: 'error'` policy. */
  missingHint: string;
}

const categoryIndex = new WeakMap<ColumnEncoding, Map<string, number>>();

/**
 * Writes one cell's features into `out` from `at` (encodedWidth(column) values). A category
 * never seen in training goes to the column's "other" feature when it has one; otherwise
 * (the training rows had no more categories than were kept) all its features stay 0,
 * as scikit-learn's OneHotEncoder(handle_unknown="ignore") does.
 */
export function encodeCell(column: ColumnEncoding, cell: Cell, out: Float64Array, at: number, ctx: CellContext): void {
  const absent = isMissing(cell);
  if (absent && ctx.missing === 'error') {
    throw new GradtuneError(`${ctx.where()} is missing (${JSON.stringify(cell ?? null)}) ${ctx.missingHint}`);
  }
  if (column.kind === 'numeric') {
    out[at] = absent ? column.fill : numberOf(cell, ctx);
    if (column.indicator) out[at + 1] = absent ? 1 : 0;
    return;
  }
  const width = encodedWidth(column);
  out.fill(0, at, at + width);
  const k = column.categories.length;
  if (column.indicator && absent) out[at + width - 1] = 1;
  const value = absent ? column.fill : textOf(cell, ctx);
  let index = categoryIndex.get(column);
  if (!index) {
    index = new Map(column.categories.map((c, i) => [c, i]));
    categoryIndex.set(column, index);
  }
  const i = index.get(value);
  if (i !== undefined) out[at + i] = 1;
  else if (column.other) out[at + k] = 1;
}

function numberOf(cell: Cell, ctx: CellContext): number {
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) throw new GradtuneError(`${ctx.where()} is ${cell}; features must be finite numbers (null marks a missing value)`);
    if (Math.abs(cell) > FLOAT32_MAX) throw tooLarge(ctx.where(), cell);
    return cell;
  }
  if (typeof cell !== 'string') throw new GradtuneError(`${ctx.where()} is ${typeof cell}; give a number, a string holding one, or null for a missing value`);
  const value = parseNumber(cell);
  if (value === undefined) {
    if (isNonFiniteNumber(cell)) throw new GradtuneError(`${ctx.where()} has the value "${cell}", which is not a finite number; replace it, or leave the cell empty to have it imputed`);
    throw new GradtuneError(`${ctx.where()} has non-numeric value "${cell}"; the model reads this column as numbers`);
  }
  if (Math.abs(value) > FLOAT32_MAX) throw tooLarge(ctx.where(), cell);
  return value;
}

function textOf(cell: Cell, ctx: CellContext): string {
  if (typeof cell === 'string') return cell.trim();
  if (typeof cell === 'number' && Number.isFinite(cell)) return String(cell);
  throw new GradtuneError(`${ctx.where()} is ${typeof cell === 'number' ? cell : typeof cell}; the model reads this column as categories: give its value as a string`);
}
