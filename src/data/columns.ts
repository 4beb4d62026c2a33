// The feature columns of a table, each read as numbers or as categories. What a column
// is, is decided on every row of the file (a schema, not a statistic: a word that only
// appears in the validation rows must not turn into a crash later); what it is worth —
// medians, categories, means — is fitted on the training rows only (src/data/encode.ts).
import { GradtuneError } from '../errors.js';
import { cellText, shownText, type CellColumn } from './column-cells.js';
import { isMissing } from './missing.js';
import { FLOAT32_MAX } from './number.js';
import type { MissingPolicy } from './types.js';

/**
 * One feature column, parsed. Missing cells are NaN (numeric) or code -1 (categorical:
 * otherwise an index into `texts`, the column's distinct values, trimmed as in the file).
 */
export type RawColumn =
  | { name: string; index: number; kind: 'numeric'; values: Float64Array; missing: number }
  | { name: string; index: number; kind: 'categorical'; codes: Int32Array; texts: string[]; missing: number };

/** Where row r is, for messages: "data file x.csv line 7". */
export type RowPlace = (row: number) => string;

/** A column that would be read as categories, so every cell's text is needed. */
export function becomesCategorical(cells: CellColumn, categorical: boolean): boolean {
  return categorical || (cells.words > 0 && cells.numbers <= cells.words);
}

/**
 * The column as numbers or categories, with every check of its cells. `label` ("data
 * file x.csv") starts the messages that name no line. A categorical column needs every
 * cell's text (`cells.lost` false): the loader reads them again when it is not.
 */
export function readFeatureColumn(cells: CellColumn, categorical: boolean, policy: MissingPolicy, label: string, place: RowPlace): RawColumn {
  const { name, index, rows } = cells;
  const at = (r: number) => `${place(r)}: column "${name}"`;
  if (policy === 'error' && cells.firstMissing >= 0) {
    const r = cells.firstMissing;
    throw new GradtuneError(`${at(r)} is missing (${JSON.stringify(shownText(cells, r))}) and --missing error was given; fill that cell, or leave --missing error out to have missing values imputed`);
  }
  if (cells.missing === rows) {
    throw new GradtuneError(`${label}: column "${name}" has no value in any row (every cell is empty or NA); leave it out with --ignore ${name}`);
  }

  if (categorical || cells.words > 0) {
    // Mostly numbers with a few words: a numeric column with bad cells far more often than
    // a column of categories. Read as categories it would lose its order and magnitude.
    if (!categorical && cells.numbers > cells.words) {
      const words = cells.words;
      const others = words > 1 ? ` (and ${words - 1} other non-numeric cell${words > 2 ? 's' : ''})` : '';
      throw new GradtuneError(
        `${at(cells.firstWord)} has non-numeric value "${shownText(cells, cells.firstWord)}"${others} among ${cells.numbers} numbers; ` +
          `fix or empty the cell (empty cells are imputed), or read the column as categories with --categorical ${name}`,
      );
    }
    return categoricalColumn(cells);
  }

  if (cells.firstNonFinite >= 0) {
    throw new GradtuneError(`${at(cells.firstNonFinite)} has the value "${shownText(cells, cells.firstNonFinite)}", which is not a finite number; replace it, or empty the cell to have it imputed`);
  }
  if (cells.firstTooLarge >= 0) throw tooLarge(at(cells.firstTooLarge), shownText(cells, cells.firstTooLarge));
  return { name, index, kind: 'numeric', values: cells.values, missing: cells.missing };
}

/** Categories: the distinct texts of the cells that are not missing, coded per row. */
function categoricalColumn(cells: CellColumn): RawColumn {
  const codes = new Int32Array(cells.rows);
  const texts: string[] = [];
  const lookup = new Map<string, number>();
  for (let r = 0; r < cells.rows; r++) {
    const text = cellText(cells, r);
    if (text === undefined) throw new Error(`column "${cells.name}" row ${r}: its text was not kept (the loader reads it again first)`);
    if (isMissing(text)) {
      codes[r] = -1;
      continue;
    }
    let code = lookup.get(text);
    if (code === undefined) {
      code = texts.length;
      texts.push(text);
      lookup.set(text, code);
    }
    codes[r] = code;
  }
  return { name: cells.name, index: cells.index, kind: 'categorical', codes, texts, missing: cells.missing };
}

/** A numeric column from numbers given in code (NaN: missing), checked as a file's would be. */
export function numericColumn(name: string, index: number, values: Float64Array, label: string, place: RowPlace): RawColumn {
  let missing = 0;
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    if (Number.isNaN(v)) missing++;
    else if (!Number.isFinite(v)) throw new GradtuneError(`${place(r)}: column "${name}" is ${v}; features must be finite numbers`);
    else if (Math.abs(v) > FLOAT32_MAX) throw tooLarge(`${place(r)}: column "${name}"`, v);
  }
  if (missing === values.length) throw new GradtuneError(`${label}: column "${name}" has no value in any row`);
  return { name, index, kind: 'numeric', values, missing };
}

/** A value float32 cannot hold: almost always a sentinel (DBL_MAX for "unknown") or corrupt data. */
export function tooLarge(where: string, cell: string | number): GradtuneError {
  return new GradtuneError(
    `${where} is ${cell}, beyond the ±3.4e38 that float32 (what tfjs computes in) can hold; ` +
      `if it marks a missing value, empty the cell; otherwise rescale the column (divide it by a power of ten)`,
  );
}
