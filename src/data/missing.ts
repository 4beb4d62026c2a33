// Which cells of a feature column mean "no value". The spellings are those pandas'
// read_csv treats as missing by default (what most exported data uses: R writes NA, SQL
// tools NULL, numpy nan), plus "?" (the UCI repository's convention). Compared exactly,
// after csv-parse has trimmed the cell. A target cell is missing only when empty: a
// class may well be called "NA" (North America) or "None".
export const NA_VALUES: readonly string[] = [
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
  '?',
];

const NA = new Set(NA_VALUES);

/** A cell as a CSV or a caller gives it: text, a number, or nothing. */
export type Cell = string | number | null | undefined;

/** True for an empty cell, an NA spelling, or null/undefined. NaN is not missing: it is an error (a computation gone wrong). */
export function isMissing(cell: Cell): boolean {
  if (cell === null || cell === undefined) return true;
  return typeof cell === 'string' && NA.has(cell.trim());
}
