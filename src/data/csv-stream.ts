// A CSV file read as a stream of records, never as one string: the bytes come in chunks
// (1 MiB), are cut at the last newline so that only whole lines are decoded (a newline
// byte is never inside a UTF-8 sequence, and that is how an invalid byte is traced to its
// line), and go to csv-parse chunk by chunk. A file of any size is read in memory
// proportional to what the caller keeps of it; a 600 MB file would not fit in one JS
// string (V8's limit is 2^29 - 24 characters).
//
// The same reader drives a synchronous read (loadDataset, which callers use
// synchronously) and an asynchronous one (the Tuner, which keeps its event loop, and so
// Ctrl-C, alive while a large file loads).
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { Parser } from 'csv-parse';
import { GradtuneError } from '../errors.js';
import { parseNumber } from './number.js';
import { utf8Block } from './decode.js';
import type { TextEncoding } from './types.js';

/** What a reader does with the file's records, in file order. */
export interface CsvSink {
  /** The header row, checked (named, unique columns). */
  header(names: string[]): void;
  /** A data row with exactly one cell per header column; `line` is the file's line where it starts. */
  row(cells: string[], line: number): void;
}

/** What a read returns besides what the sink kept. */
export interface CsvRead {
  /** sha256 over the file's bytes as stored (still compressed for .gz), not yet digested: the fingerprint adds the options. */
  hash: Hash;
  /** Data rows read. */
  rows: number;
}

export const CHUNK_BYTES = 1 << 20;

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

/** csv-parse's synchronous core, which its stream and its sync API both drive. */
interface ParserCore {
  parse(buf: Buffer | undefined, end: boolean, push: (record: ParsedRecord) => void, close: () => void): Error | undefined;
}

/**
 * Feeds a file's (decompressed) bytes to csv-parse and checks the records' shape: a
 * header with named, unique columns, then rows with one cell per column. Every problem is
 * a GradtuneError naming the file (and line) and the fix.
 */
class CsvFeeder {
  private readonly parser: ParserCore;
  private carry: Buffer | undefined;
  /** The file's line at which the next block starts. */
  private line = 1;
  private header: string[] | undefined;
  private content = false;
  rows = 0;

  constructor(
    private readonly path: string,
    private readonly encoding: TextEncoding,
    private readonly sink: CsvSink,
  ) {
    // Column counts are checked by us, not csv-parse, so the message can say which line.
    // The core is the Parser's own (`api`): fed whole lines as they arrive, synchronously.
    this.parser = (new Parser({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as { api: ParserCore }).api;
  }

  private get label(): string {
    return `data file ${this.path}`;
  }

  push(chunk: Buffer): void {
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = data.lastIndexOf(0x0a);
    if (cut < 0) {
      this.carry = data;
      return;
    }
    this.block(data.subarray(0, cut + 1));
    // A copy: a view would keep the whole chunk alive until the next one.
    this.carry = Buffer.from(data.subarray(cut + 1));
  }

  end(): void {
    if (this.carry && this.carry.length > 0) this.block(this.carry);
    this.carry = undefined;
    this.feed(undefined, true);
    if (!this.content) throw new GradtuneError(`${this.label} is empty; it needs a header row and at least one data row`);
    if (this.rows === 0) throw new GradtuneError(`${this.label} has a header row but no data rows; add the data below the header`);
  }

  private block(bytes: Buffer): void {
    const text = utf8Block(bytes, this.encoding, this.label, this.line);
    this.line += countNewlines(bytes);
    if (!this.content) this.content = hasContent(text);
    this.feed(text, false);
  }

  private feed(buf: Buffer | undefined, end: boolean): void {
    const err = this.parser.parse(buf, end, (r) => this.record(r), () => undefined);
    if (err !== undefined) throw new GradtuneError(`${this.label} is not valid CSV: ${err.message}`);
  }

  private record({ record, info }: ParsedRecord): void {
    if (!this.header) {
      if (!this.content) return;
      checkHeader(this.path, record);
      this.header = record;
      this.sink.header(record);
      return;
    }
    const line = startLine(record, info.lines);
    if (record.length !== this.header.length) {
      throw new GradtuneError(
        `${this.label} line ${line}: ${record.length} columns but the header has ${this.header.length}; every row needs one value per column`,
      );
    }
    this.rows++;
    this.sink.row(record, line);
  }
}

/** Reads the whole file synchronously, chunk by chunk. */
export function readCsvSync(path: string, encoding: TextEncoding, sink: CsvSink, chunkBytes = CHUNK_BYTES): CsvRead {
  const feeder = new CsvFeeder(path, encoding, sink);
  const hash = createHash('sha256');
  if (path.endsWith('.gz')) {
    // zlib has no synchronous stream: the decompressed bytes are one Buffer (not a string), fed in chunks.
    const stored = readWhole(path);
    hash.update(stored);
    const bytes = gunzip(path, () => gunzipSync(stored));
    for (let at = 0; at < bytes.length; at += chunkBytes) feeder.push(bytes.subarray(at, at + chunkBytes));
  } else {
    const fd = open(path);
    try {
      for (;;) {
        // A fresh buffer for every chunk, never one reused: csv-parse keeps a view on the
        // end of a chunk it has not finished (a cell cut by the chunk's end), which the
        // next read would overwrite.
        const buffer = Buffer.allocUnsafe(chunkBytes);
        const n = readSync(fd, buffer, 0, chunkBytes, null);
        if (n === 0) break;
        const chunk = buffer.subarray(0, n);
        hash.update(chunk);
        feeder.push(chunk);
      }
    } finally {
      closeSync(fd);
    }
  }
  feeder.end();
  return { hash, rows: feeder.rows };
}

/** Reads the whole file as a stream, so the event loop runs between chunks. */
export async function readCsvAsync(path: string, encoding: TextEncoding, sink: CsvSink, chunkBytes = CHUNK_BYTES): Promise<CsvRead> {
  const feeder = new CsvFeeder(path, encoding, sink);
  const hash = createHash('sha256');
  open(path, true);
  const file = createReadStream(path, { highWaterMark: chunkBytes });
  const hashed = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
  };
  const feed = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) feeder.push(chunk);
  };
  try {
    if (path.endsWith('.gz')) await gunzip(path, () => pipeline(file, hashed, createGunzip({ chunkSize: Math.max(chunkBytes, 64) }), feed));
    else await pipeline(file, hashed, feed);
  } catch (err) {
    throw readError(path, err);
  }
  feeder.end();
  return { hash, rows: feeder.rows };
}

/** Opens the file (and closes it again when only checking), turning the usual failures into one line each. */
function open(path: string, checkOnly = false): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw readError(path, err);
  }
  // A directory opens on Linux; reading it fails with EISDIR.
  try {
    readSync(fd, Buffer.alloc(1), 0, 0, 0);
  } catch (err) {
    closeSync(fd);
    throw readError(path, err);
  }
  if (checkOnly) closeSync(fd);
  return fd;
}

function readWhole(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw readError(path, err);
  }
}

function readError(path: string, err: unknown): Error {
  if (err instanceof GradtuneError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new GradtuneError(`data file not found: ${path}; check the path given to --data`);
  if (code === 'EISDIR') return new GradtuneError(`data file ${path} is a directory; pass a .csv or .csv.gz file`);
  if (code === undefined) return err as Error;
  return new GradtuneError(`cannot read data file ${path} (${code}); check its permissions`);
}

function gunzip<T>(path: string, run: () => T): T {
  const fail = () => new GradtuneError(`data file ${path} is not valid gzip; decompress it or drop the .gz suffix`);
  const isZlibError = (err: unknown) => typeof (err as { code?: unknown })?.code === 'string' && /^Z_/.test((err as { code: string }).code);
  try {
    const result = run();
    if (result instanceof Promise) {
      return result.catch((err: unknown) => {
        throw isZlibError(err) ? fail() : err;
      }) as T;
    }
    return result;
  } catch (err) {
    throw isZlibError(err) ? fail() : err;
  }
}

function countNewlines(bytes: Buffer): number {
  let n = 0;
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) n++;
  return n;
}

/** Anything but whitespace and a byte-order mark: a file of blank lines is empty. */
function hasContent(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c) continue;
    // U+FEFF as UTF-8 (EF BB BF), and U+00A0 (C2 A0): what String.prototype.trim also drops.
    if (b === 0xef && bytes[i + 1] === 0xbb && bytes[i + 2] === 0xbf) {
      i += 2;
      continue;
    }
    if (b === 0xc2 && bytes[i + 1] === 0xa0) {
      i += 1;
      continue;
    }
    return true;
  }
  return false;
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
function startLine(record: string[], endLine: number): number {
  let inner = 0;
  for (const cell of record) {
    for (let at = cell.indexOf('\n'); at >= 0; at = cell.indexOf('\n', at + 1)) inner++;
  }
  return endLine - inner;
}
