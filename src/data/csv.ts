import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { GradtuneError } from '../errors.js';
import { parseNumber } from './number.js';
import { decodeText } from './decode.js';
import type { TextEncoding } from './types.js';

/** A CSV file as text cells, checked for shape but not yet for meaning. */
export interface CsvTable {
  /** Column names from the header row. */
  header: string[];
  /** Data rows, header excluded; each has exactly `header.length` cells. */
  rows: string[][];
  /** 1-based line of the file where each data row starts, so errors point at the file. */
  lines: number[];
  /** The file's bytes as stored (still compressed for .gz): what the fingerprint hashes. */
  bytes: Buffer;
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Read a comma-separated file with a header row; `.gz` files are decompressed first, then
 * decoded as `encoding` (invalid UTF-8 is an error naming its line, never U+FFFD).
 * Every problem is a GradtuneError naming the file (and line) and the fix.
 */
export function readCsvFile(path: string, encoding: TextEncoding = 'utf8'): CsvTable {
  const bytes = readBytes(path);
  const text = decodeText(decompress(path, bytes), encoding, `data file ${path}`);
  if (text.trim() === '') {
    throw new GradtuneError(`data file ${path} is empty; it needs a header row and at least one data row`);
  }

  const records = parseRecords(path, text);
  const [first, ...data] = records;
  const header = first.record;
  checkHeader(path, header);
  if (data.length === 0) {
    throw new GradtuneError(`data file ${path} has a header row but no data rows; add the data below the header`);
  }

  const lines = data.map(startLine);
  data.forEach(({ record }, i) => {
    if (record.length !== header.length) {
      throw new GradtuneError(
        `data file ${path} line ${lines[i]}: ${record.length} columns but the header has ${header.length}; ` +
          `every row needs one value per column`,
      );
    }
  });
  return { header, rows: data.map((r) => r.record), lines, bytes };
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GradtuneError(`data file not found: ${path}; check the path given to --data`);
    if (code === 'EISDIR') throw new GradtuneError(`data file ${path} is a directory; pass a .csv or .csv.gz file`);
    throw new GradtuneError(`cannot read data file ${path} (${code ?? String(err)}); check its permissions`);
  }
}

function decompress(path: string, bytes: Buffer): Buffer {
  if (!path.endsWith('.gz')) return bytes;
  try {
    return gunzipSync(bytes);
  } catch {
    throw new GradtuneError(`data file ${path} is not valid gzip; decompress it or drop the .gz suffix`);
  }
}

function parseRecords(path: string, text: string): ParsedRecord[] {
  try {
    // Column counts are checked by us, not csv-parse, so the message can say which line.
    return parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as ParsedRecord[];
  } catch (err) {
    throw new GradtuneError(`data file ${path} is not valid CSV: ${(err as Error).message}`);
  }
}

function checkHeader(path: string, header: string[]): void {
  // A file that starts with data would otherwise lose its first row to column names.
  if (header.every((cell) => parseNumber(cell) !== undefined)) {
    throw new GradtuneError(
      `data file ${path} has no header row: its first line (${header.slice(0, 4).join(',')}${header.length > 4 ? ',...' : ''}) ` +
        `is numbers; add a first line naming the columns`,
    );
  }
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') {
      throw new GradtuneError(`data file ${path}: header column ${i + 1} has no name; name every column in the header row`);
    }
    if (seen.has(name)) {
      throw new GradtuneError(`data file ${path}: column "${name}" appears twice in the header; column names must be unique`);
    }
    seen.add(name);
  });
}

/**
 * csv-parse reports the line a record ends on; a quoted cell may span lines, so step back
 * over the newlines inside the record to report where the row starts.
 */
function startLine({ record, info }: ParsedRecord): number {
  const innerNewlines = record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
  return info.lines - innerNewlines;
}
