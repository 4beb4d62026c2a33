// A CSV file is read as a stream of chunks (src/data/csv-stream.ts), never as one
// string: the rows a chunk boundary cuts, quoted cells spanning lines, a line's number in
// an error and a gzip file must come out exactly as if the file were read whole. Tiny
// chunks (a few bytes) put boundaries everywhere.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvAsync, readCsvSync, type CsvSink } from '../src/data/csv-stream.js';
import { loadDataset, loadDatasetAsync } from '../src/data/load.js';
import { loadMemoryDataset } from '../src/data/memory.js';
import { GradtuneError } from '../src/errors.js';
import { Tuner } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'gradtune-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function csvFile(content: string | Buffer, ext = '.csv'): string {
  const path = join(dir, `f${files++}${ext}`);
  writeFileSync(path, content);
  return path;
}

/** Collects what a read hands its sink. */
function collector(): CsvSink & { names: string[]; rows: { cells: string[]; line: number }[] } {
  const sink = {
    names: [] as string[],
    rows: [] as { cells: string[]; line: number }[],
    header(names: string[]) {
      sink.names = names;
    },
    row(cells: string[], line: number) {
      sink.rows.push({ cells, line });
    },
  };
  return sink;
}

// Quoted cells with commas, quotes and newlines; a multi-byte character; CRLF line ends; a blank line.
const TRICKY = 'name,note,y\r\n"a, b","line one\nline two",1\r\nc,"say ""hi""",0\r\n\r\ncafé,"é\nè\nê",1\r\nd,plain,0\r\n';
const EXPECTED = [
  { cells: ['a, b', 'line one\nline two', '1'], line: 2 },
  { cells: ['c', 'say "hi"', '0'], line: 4 },
  { cells: ['café', 'é\nè\nê', '1'], line: 6 },
  { cells: ['d', 'plain', '0'], line: 9 },
];

describe('reading a CSV file in chunks', () => {
  it('gives the same records and line numbers whatever the chunk size, synchronously and not', async () => {
    const path = csvFile(TRICKY);
    for (const chunk of [1, 2, 3, 5, 7, 16, 1 << 20]) {
      const sync = collector();
      const read = readCsvSync(path, 'utf8', sync, chunk);
      expect(sync.names).toEqual(['name', 'note', 'y']);
      expect(sync.rows).toEqual(EXPECTED);
      expect(read.rows).toBe(4);
      const later = collector();
      const readLater = await readCsvAsync(path, 'utf8', later, chunk);
      expect(later.rows).toEqual(EXPECTED);
      // The hash covers the file's bytes, however they were cut.
      expect(readLater.hash.digest('hex')).toBe(read.hash.digest('hex'));
    }
  });

  it('reads a gzip file in chunks too', async () => {
    const path = csvFile(gzipSync(TRICKY), '.csv.gz');
    for (const chunk of [3, 1 << 20]) {
      const sync = collector();
      readCsvSync(path, 'utf8', sync, chunk);
      expect(sync.rows).toEqual(EXPECTED);
      const later = collector();
      await readCsvAsync(path, 'utf8', later, chunk);
      expect(later.rows).toEqual(EXPECTED);
    }
  });

  it('names the line of a byte that is not UTF-8, of a short row and of a bad quote, past the first chunk', async () => {
    const good = Array.from({ length: 40 }, (_, i) => `${i},${i % 2}`).join('\n');
    const latin1 = Buffer.concat([Buffer.from(`a,y\n${good}\n`), Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from(',1\n')]);
    const short = csvFile(`a,b,y\n${Array.from({ length: 40 }, (_, i) => `${i},${i},${i % 2}`).join('\n')}\n7,1\n`);
    const cases: [string, RegExp][] = [
      [csvFile(latin1), /line 42 is not valid UTF-8 \(byte 0xE9 at byte 4 of the line\).*--encoding latin1/],
      [short, /line 42: 2 columns but the header has 3; every row needs one value per column/],
    ];
    for (const [path, message] of cases) {
      for (const chunk of [5, 1 << 20]) {
        expect(() => readCsvSync(path, 'utf8', collector(), chunk)).toThrow(message);
        await expect(readCsvAsync(path, 'utf8', collector(), chunk)).rejects.toThrow(message);
      }
    }
    const unclosed = csvFile(`a,y\n${good}\n"open,1\n`);
    await expect(readCsvAsync(unclosed, 'utf8', collector(), 4)).rejects.toBeInstanceOf(GradtuneError);
    expect(() => readCsvSync(unclosed, 'utf8', collector(), 4)).toThrow(/is not valid CSV/);
  });

  it('loads a file larger than one chunk into the same dataset, synchronously and not', async () => {
    // About 2.3 MB: several 1 MiB chunks, a text column and a numeric one with missing cells.
    const lines = ['x1,x2,city,y'];
    for (let r = 0; r < 60_000; r++) lines.push(`${(r * 0.37) % 11},${r % 13 === 0 ? '' : (r * 7) % 101},town${r % 9},${r % 3 === 0 ? 'a' : 'b'}`);
    const path = csvFile(lines.join('\n') + '\n');
    const source = { path, valSplit: 0.2, seed: 3 };
    const sync = loadDataset(source);
    const later = await loadDatasetAsync(source);
    expect(sync.rows).toBe(60_000);
    expect(sync.featureNames).toEqual(later.featureNames);
    expect(sync.fingerprint).toBe(later.fingerprint);
    expect(Buffer.from(later.xTrain.buffer).equals(Buffer.from(sync.xTrain.buffer))).toBe(true);
    expect(Buffer.from(later.yVal.buffer).equals(Buffer.from(sync.yVal.buffer))).toBe(true);
    // 2 numbers, x2's missing indicator, 9 towns.
    expect(sync.nFeatures).toBe(12);
  });
});

describe('the arrays a dataset is made of', () => {
  it('live in shared memory, so worker threads read them without a copy', () => {
    const file = loadDataset({ builtin: 'iris', valSplit: 0.2, seed: 1 });
    const arrays = loadMemoryDataset([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], [0, 1, 0, 1, 0], { valSplit: 0.4, seed: 1 });
    for (const ds of [file, arrays]) {
      for (const a of [ds.xTrain, ds.yTrain, ds.xVal, ds.yVal]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
  });
});

describe('a search of a CSV file', () => {
  it('reads the file once: its worker threads train on the arrays it shares, even once the file is gone', { timeout: 180_000 }, async () => {
    const lines = ['a,b,c,label'];
    for (let r = 0; r < 120; r++) lines.push(`${r % 7},${(r * 3) % 11},${(r * 5) % 13},${r % 7 > 3 ? 'x' : 'y'}`);
    const path = csvFile(lines.join('\n') + '\n');
    let moved = false;
    const tuner = new Tuner(
      { space: 'quick', data: path, algorithm: 'random', maxTrials: 2, maxEpochs: 2, workers: 2, seed: 1, storage: join(dir, 'once.db') },
      {
        // Loaded and checked, before any trial: a worker that read the file again would fail.
        onStart: () => {
          renameSync(path, `${path}.gone`);
          moved = true;
        },
      },
    );
    const results = await tuner.search();
    expect(moved).toBe(true);
    expect(results.trials.map((t) => [t.status, t.error ?? null])).toEqual([
      ['completed', null],
      ['completed', null],
    ]);
  });
});
