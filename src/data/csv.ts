// A whole CSV file as text cells (`gradtune predict` reads its input this way): the
// streaming reader of csv-stream.ts, keeping every row.
import { readCsvSync } from './csv-stream.js';
import type { TextEncoding } from './types.js';

/** A CSV file as text cells, checked for shape but not yet for meaning. */
export interface CsvTable {
  /** Column names from the header row. */
  header: string[];
  /** Data rows, header excluded; each has exactly `header.length` cells. */
  rows: string[][];
  /** 1-based line of the file where each data row starts, so errors point at the file. */
  lines: number[];
}

/**
 * Reads a comma-separated file with a header row; `.gz` files are decompressed first, then
 * decoded as `encoding` (invalid UTF-8 is an error naming its line, never U+FFFD).
 * Every problem is a GradtuneError naming the file (and line) and the fix.
 */
export function readCsvFile(path: string, encoding: TextEncoding = 'utf8'): CsvTable {
  const table: CsvTable = { header: [], rows: [], lines: [] };
  readCsvSync(path, encoding, {
    header: (names) => (table.header = names),
    row: (cells, line) => {
      table.rows.push(cells);
      table.lines.push(line);
    },
  });
  return table;
}
