// The feature columns of a table, each read as numbers or as categories. What a column
// is, is decided on every row of the file (a schema, not a statistic: a word that only
// appears in the validation rows must not turn into a crash later); what it is worth —
// medians, categories, means — is fitted on the training rows only (src/data/encode.ts).
import { GradtuneError } from '../errors.js';
import type { CsvTable } from './csv.js';
import { isMissing } from './missing.js';
import { FLOAT32_MAX, isNonFiniteNumber, parseNumber } from './number.js';
import type { ColumnSelection } from './select.js';
import type { MissingPolicy } from './types.js';

/** One feature column, parsed. Missing cells are NaN (numeric) or undefined (categorical). */
export type RawColumn =
  | { name: string; index: number; kind: 'numeric'; values: Float64Array; missing: number }
  | { name: string; index: number; kind: 'categorical'; values: (string | undefined)[]; missing: number };

/** `label` ("data file x.csv") starts every error message; `lines` are the rows' lines in the file. */
export function readFeatureColumns(table: CsvTable, selection: ColumnSelection, missing: MissingPolicy, label: string): RawColumn[] {
  return selection.features.map((c) => readColumn(table, c, selection.categorical.has(table.header[c]), missing, label));
}

function readColumn(table: CsvTable, c: number, categorical: boolean, policy: MissingPolicy, label: string): RawColumn {
  const { header, rows, lines } = table;
  const name = header[c];
  const at = (r: number) => `${label} line ${lines[r]}: column "${name}"`;
  let numbers = 0;
  let texts = 0;
  let missing = 0;
  let firstText = -1;
  let firstNonFinite = -1;
  // Parsed on the way: most columns are numeric, and the numbers are what they need.
  const values = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const cell = rows[r][c];
    const number = parseNumber(cell);
    values[r] = number ?? Number.NaN;
    if (number !== undefined) {
      numbers++;
    } else if (isMissing(cell)) {
      if (policy === 'error') {
        throw new GradtuneError(`${at(r)} is missing (${JSON.stringify(cell)}) and --missing error was given; fill that cell, or leave --missing error out to have missing values imputed`);
      }
      missing++;
    } else if (isNonFiniteNumber(cell)) {
      numbers++;
      if (firstNonFinite < 0) firstNonFinite = r;
    } else {
      texts++;
      if (firstText < 0) firstText = r;
    }
  }
  if (missing === rows.length) {
    throw new GradtuneError(`${label}: column "${name}" has no value in any row (every cell is empty or NA); leave it out with --ignore ${name}`);
  }

  if (categorical || texts > 0) {
    // Mostly numbers with a few words: a numeric column with bad cells far more often than
    // a column of categories. Read as categories it would lose its order and magnitude.
    if (!categorical && numbers > texts) {
      const others = texts > 1 ? ` (and ${texts - 1} other non-numeric cell${texts > 2 ? 's' : ''})` : '';
      throw new GradtuneError(
        `${at(firstText)} has non-numeric value "${rows[firstText][c]}"${others} among ${numbers} numbers; ` +
          `fix or empty the cell (empty cells are imputed), or read the column as categories with --categorical ${name}`,
      );
    }
    return { name, index: c, kind: 'categorical', values: rows.map((row) => (isMissing(row[c]) ? undefined : row[c])), missing };
  }

  if (firstNonFinite >= 0) {
    throw new GradtuneError(`${at(firstNonFinite)} has the value "${rows[firstNonFinite][c]}", which is not a finite number; replace it, or empty the cell to have it imputed`);
  }
  for (let r = 0; r < rows.length; r++) {
    if (Math.abs(values[r]) > FLOAT32_MAX) throw tooLarge(at(r), rows[r][c]);
  }
  return { name, index: c, kind: 'numeric', values, missing };
}

/** A value float32 cannot hold: almost always a sentinel (DBL_MAX for "unknown") or corrupt data. */
export function tooLarge(where: string, cell: string | number): GradtuneError {
  return new GradtuneError(
    `${where} is ${cell}, beyond the ±3.4e38 that float32 (what tfjs computes in) can hold; ` +
      `if it marks a missing value, empty the cell; otherwise rescale the column (divide it by a power of ten)`,
  );
}
