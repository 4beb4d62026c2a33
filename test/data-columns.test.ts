// Tabular data as users have it, through loadDataset: choosing columns, one-hot text
// columns, imputed missing values, the regression target's scaling, text encodings, and
// data problems reported as data problems (one line naming the column) or warnings.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/load.js';
import { NA_VALUES } from '../src/data/missing.js';
import { splitRows } from '../src/data/split.js';
import type { Dataset, DataSource } from '../src/data/types.js';
import { expectGradtuneError } from './helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'gradtune-data-columns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function csvFile(content: string | Buffer): string {
  const path = join(dir, `f${files++}.csv`);
  writeFileSync(path, content);
  return path;
}

function load(path: string, options: Partial<DataSource> = {}): Dataset {
  return loadDataset({ path, valSplit: 0.2, seed: 3, ...options });
}

/** Row i of a row-major matrix. */
function row(x: Float32Array, width: number, i: number): number[] {
  return Array.from(x.subarray(i * width, (i + 1) * width));
}

/** A small table: id, two numeric columns, a text column, a target; `cells` overrides by [row, column]. */
function table(n: number, cells: Record<string, string> = {}): string {
  const lines = ['id,a,b,color,y'];
  const colors = ['red', 'green', 'blue'];
  for (let i = 0; i < n; i++) {
    const values = [String(i + 1), String(i % 7), String((i * 3) % 11), colors[i % 3], i % 2 ? 'yes' : 'no'];
    values.forEach((_, c) => {
      const key = `${i},${c}`;
      if (key in cells) values[c] = cells[key];
    });
    lines.push(values.join(','));
  }
  return lines.join('\n') + '\n';
}

describe('choosing columns', () => {
  const path = csvFile(table(40));

  it('uses every column but the target by default, --ignore leaves some out, --features keeps only those', () => {
    expect(load(path).columns!.map((c) => c.name)).toEqual(['id', 'a', 'b', 'color']);
    expect(load(path, { ignore: ['id', 'b'] }).columns!.map((c) => c.name)).toEqual(['a', 'color']);
    // File order, whatever the order given.
    expect(load(path, { features: ['color', 'a'] }).columns!.map((c) => c.name)).toEqual(['a', 'color']);
  });

  it('--id and --passthrough columns are never features and are recorded for predictions, the id first', () => {
    const ds = load(path, { id: 'id', passthrough: ['b'] });
    expect(ds.columns!.map((c) => c.name)).toEqual(['a', 'color']);
    expect(ds.passthrough).toEqual(['id', 'b']);
  });

  it('changes the fingerprint with the features, and keeps the one studies made before column selection have', () => {
    const base = load(path);
    // Before: sha256(file bytes + {target, task, valSplit, seed}); a study on numeric data with
    // every column keeps that, so it continues and exports as before.
    const numeric = csvFile('a,b,y\n' + Array.from({ length: 20 }, (_, i) => `${i % 5},${i % 3},${i % 2}`).join('\n'));
    const expected = createHash('sha256').update(readFileSync(numeric)).update(JSON.stringify({ target: 'y', task: 'classification', valSplit: 0.2, seed: 3 })).digest('hex');
    expect(load(numeric).fingerprint).toBe(expected);
    const fingerprints = [
      base,
      load(path, { ignore: ['id'] }),
      load(path, { features: ['a', 'b'] }),
      load(path, { categorical: ['a'] }),
      load(path, { maxCategories: 2 }),
      load(path, { encoding: 'latin1' }),
    ].map((d) => d.fingerprint);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
    // --ignore id and --id id give the same features: the same data.
    expect(load(path, { id: 'id' }).fingerprint).toBe(load(path, { ignore: ['id'] }).fingerprint);
  });

  it('refuses names that are not columns, and columns given two parts', () => {
    expectGradtuneError(() => load(path, { features: ['a', 'nope'] }), 'no column "nope" (given to --features)', 'its columns are: id, a, b, color, y');
    expectGradtuneError(() => load(path, { ignore: ['nope'] }), '"nope" (given to --ignore)');
    expectGradtuneError(() => load(path, { id: 'ID' }), '"ID" (given to --id)');
    expectGradtuneError(() => load(path, { features: ['a'], ignore: ['b'] }), 'not both');
    expectGradtuneError(() => load(path, { features: ['a', 'y'] }), '"y" is the target', '--features');
    expectGradtuneError(() => load(path, { passthrough: ['y'] }), '"y" is the target', '--passthrough');
    expectGradtuneError(() => load(path, { id: 'id', features: ['id', 'a'] }), '"id" is given to --id and to --features');
    expectGradtuneError(() => load(path, { ignore: ['a'], categorical: ['a'] }), '"a" is given to --categorical but is not a feature');
    expectGradtuneError(() => load(path, { ignore: ['a', 'b', 'color'], id: 'id' }), 'no feature column left');
    expectGradtuneError(() => load(path, { features: [] }), '--features must be a list of column names');
    expectGradtuneError(() => load(path, { ignore: ['a', ''] }), '--ignore must be a list of column names');
    expectGradtuneError(() => load(path, { maxCategories: 0 }), '--max-categories must be a whole number >= 1');
  });
});

describe('text columns', () => {
  it('are one-hot encoded, most frequent category first, fitted on the training rows', () => {
    const ds = load(csvFile(table(60)), { ignore: ['id'] });
    const color = ds.columns!.find((c) => c.name === 'color')!;
    expect(color.kind).toBe('categorical');
    expect(ds.featureNames).toEqual(['a', 'b', ...(color.kind === 'categorical' ? color.categories.map((c) => `color=${c}`) : [])]);
    expect(new Set(ds.featureNames.slice(2))).toEqual(new Set(['color=red', 'color=green', 'color=blue']));
    // 0/1 features are not standardised; each row has exactly one category set.
    expect(ds.scaling.mean.slice(2)).toEqual([0, 0, 0]);
    expect(ds.scaling.std.slice(2)).toEqual([1, 1, 1]);
    for (let i = 0; i < ds.nTrain; i++) expect(row(ds.xTrain, ds.nFeatures, i).slice(2).sort()).toEqual([0, 0, 1]);
  });

  it('keep --max-categories categories; the rest, and categories seen only outside training, go to "other"', () => {
    // Counts in every row: a 24, b 12, c 6, d 3, e 3 (ties break in code-unit order).
    const words = [...Array(24).fill('a'), ...Array(12).fill('b'), ...Array(6).fill('c'), ...Array(3).fill('d'), ...Array(3).fill('e')];
    const lines = ['w,x,y', ...words.map((w, i) => `${w},${i % 5},${i % 2}`)];
    const ds = load(csvFile(lines.join('\n')), { maxCategories: 2, valSplit: 0.25 });
    const w = ds.columns![0];
    expect(w).toMatchObject({ kind: 'categorical', categories: ['a', 'b'], other: true, fill: 'a', indicator: false });
    expect(ds.featureNames).toEqual(['w=a', 'w=b', 'w=(other)', 'x']);
    // Every c, d or e row sets "other", validation rows included.
    const others = [...Array(ds.nTrain).keys()].filter((i) => row(ds.xTrain, 4, i)[2] === 1).length + [...Array(ds.nVal).keys()].filter((i) => row(ds.xVal, 4, i)[2] === 1).length;
    expect(others).toBe(12);
  });

  it('a category absent from the training rows sets no column when there is no "other" (scikit-learn\'s handle_unknown="ignore")', () => {
    // "rare" is on one row; find a seed that puts it in validation.
    const lines = ['w,x,y', ...Array.from({ length: 40 }, (_, i) => `${i === 0 ? 'rare' : i % 2 ? 'p' : 'q'},${i % 3},${i % 2}`)];
    const path = csvFile(lines.join('\n'));
    const seed = [...Array(50).keys()].find((s) => !load(path, { seed: s }).featureNames.includes('w=rare'))!;
    const ds = load(path, { seed });
    expect(ds.featureNames).toEqual(['w=p', 'w=q', 'x']);
    const rare = [...Array(ds.nVal).keys()].filter((i) => row(ds.xVal, 3, i)[0] === 0 && row(ds.xVal, 3, i)[1] === 0);
    expect(rare).toHaveLength(1);
  });

  it('--categorical reads a column of numbers as categories', () => {
    const ds = load(csvFile(table(30)), { categorical: ['a'], ignore: ['id'] });
    expect(ds.columns![0]).toMatchObject({ name: 'a', kind: 'categorical' });
    expect(ds.featureNames.filter((f) => f.startsWith('a='))).toHaveLength(7);
  });

  it('a column of numbers with a few words in it is an error naming the first, not a column of categories', () => {
    expectGradtuneError(() => load(csvFile(table(30, { '4,1': 'four', '9,1': 'x' }))), 'line 6: column "a" has non-numeric value "four" (and 1 other non-numeric cell) among 28 numbers', '--categorical a');
  });
});

describe('missing values', () => {
  it('are imputed with the training rows\' median (numbers) or most frequent value (text), with a missing indicator', () => {
    const cells: Record<string, string> = { '0,1': '', '5,1': 'NA', '10,1': 'NaN', '3,3': '', '8,3': 'null' };
    const ds = load(csvFile(table(60, cells)), { ignore: ['id'], seed: 1 });
    const [a, b, color] = ds.columns!;
    expect(a).toMatchObject({ kind: 'numeric', indicator: true });
    expect(b).toMatchObject({ kind: 'numeric', indicator: false });
    expect(color).toMatchObject({ kind: 'categorical', indicator: true });
    expect(ds.featureNames).toEqual(['a', 'a=(missing)', 'b', ...(color.kind === 'categorical' ? color.categories.map((c) => `color=${c}`) : []), 'color=(missing)']);

    // The fill is the median of the training rows' values, which the test recomputes from the file.
    const rows = table(60, cells).trim().split('\n').slice(1).map((l) => l.split(','));
    // The split is a function of the row count, --val-split, the seed and the labels (stratified).
    const { train } = splitRows(rows.length, 0.2, 1, { labels: rows.map((r) => (r[4] === 'no' ? 0 : 1)), nClasses: 2 });
    const trainA = train.map((r) => rows[r][1]).filter((v) => !NA_VALUES.includes(v)).map(Number).sort((p, q) => p - q);
    const mid = trainA.length >> 1;
    expect(a.kind === 'numeric' && a.fill).toBe(trainA.length % 2 ? trainA[mid] : (trainA[mid - 1] + trainA[mid]) / 2);
    // Every missing cell sets its indicator, in training and validation rows alike.
    const set = (x: Float32Array, n: number, f: number) => [...Array(n).keys()].filter((i) => row(x, ds.nFeatures, i)[f] === 1).length;
    expect(set(ds.xTrain, ds.nTrain, 1) + set(ds.xVal, ds.nVal, 1)).toBe(3);
    expect(set(ds.xTrain, ds.nTrain, ds.nFeatures - 1) + set(ds.xVal, ds.nVal, ds.nFeatures - 1)).toBe(2);
  });

  it('under --missing error are an error naming the line and column', () => {
    const path = csvFile(table(30, { '6,2': 'N/A' }));
    expectGradtuneError(() => load(path, { missing: 'error' }), 'line 8: column "b" is missing ("N/A") and --missing error was given');
    expect(load(path).columns![2]).toMatchObject({ name: 'b', indicator: expect.any(Boolean) });
  });

  it('a target cell that is empty, or NA in a numeric target, is an error; in a text target "NA" is a label', () => {
    const numeric = ['a,y', ...Array.from({ length: 30 }, (_, i) => `${i},${i === 4 ? 'NA' : i * 1.5}`)].join('\n');
    expectGradtuneError(() => load(csvFile(numeric)), 'line 6: target column "y" is missing ("NA")', 'drop the rows');
    const words = ['a,region', ...Array.from({ length: 30 }, (_, i) => `${i},${['NA', 'EU', 'APAC'][i % 3]}`)].join('\n');
    expect(load(csvFile(words)).classes).toEqual(['APAC', 'EU', 'NA']);
    expectGradtuneError(() => load(csvFile('a,y\n1,x\n2,\n3,z\n4,\n')), 'line 3: target column "y" is empty (and 1 more row)');
  });
});

describe('the regression target', () => {
  const lines = (f: (y: number) => number) =>
    ['a,b,y', ...Array.from({ length: 50 }, (_, i) => `${i % 9},${(i * 7) % 13},${f(3 * (i % 9) - ((i * 7) % 13) + (i % 4) * 0.25)}`)].join('\n');

  it('is standardised on the training rows: shifted or multiplied, the model sees the same numbers', () => {
    const base = load(csvFile(lines((y) => y)));
    const shifted = load(csvFile(lines((y) => y + 100)));
    const scaled = load(csvFile(lines((y) => y * 1000)));
    const huge = load(csvFile(lines((y) => 1e12 + y * 1e9)));
    for (const other of [shifted, scaled, huge]) {
      Array.from(other.yTrain).forEach((v, i) => expect(v).toBeCloseTo(base.yTrain[i], 5));
      Array.from(other.yVal).forEach((v, i) => expect(v).toBeCloseTo(base.yVal[i], 5));
    }
    expect(shifted.targetScaling!.mean - base.targetScaling!.mean).toBeCloseTo(100, 9);
    expect(scaled.targetScaling!.std / base.targetScaling!.std).toBeCloseTo(1000, 9);
  });

  it('beyond float32, constant, or with a value whose squared error would overflow, is an error naming the target', () => {
    expectGradtuneError(() => load(csvFile(lines((y) => (y === 0 ? 1e39 : y)))), 'target "y" is 1e+39', 'float32', 'rescale the target');
    expectGradtuneError(() => load(csvFile(['a,y', ...Array.from({ length: 30 }, (_, i) => `${i},2.5`)].join('\n')), { task: 'regression' }), 'target "y" has the same value (2.5) in every training row');
    // 29 values 1e-10 apart and one 1e30: held out for validation, it is ~1e40 training standard deviations out.
    const outlier = csvFile(['a,y', ...Array.from({ length: 30 }, (_, i) => `${i},${i === 0 ? '1e30' : (1 + i * 1e-10).toString()}`)].join('\n'));
    const heldOut = [...Array(40).keys()].find((seed) => {
      try {
        load(outlier, { seed });
        return false;
      } catch {
        return true;
      }
    });
    expect(heldOut).toBeDefined();
    expectGradtuneError(() => load(outlier, { seed: heldOut }), /^data file .* line 2: target "y" is 1e30, [0-9.e+]+ standard deviations from the training rows' mean; its squared error would overflow float32/);
  });
});

describe('data problems are named as such, before any trial runs', () => {
  const base = (cells: Record<string, string>) => csvFile(table(40, cells));

  it('a feature value beyond float32 (a sentinel like 1.7e308) names its line and column', () => {
    expectGradtuneError(() => load(base({ '3,2': '1.7976931348623157e308' })), 'line 5: column "b" is 1.7976931348623157e308, beyond the ±3.4e38', 'empty the cell');
    expectGradtuneError(() => load(base({ '3,2': '-5e38' })), 'column "b" is -5e38');
  });

  it('a non-finite value (inf, 1e999) names its line and column', () => {
    expectGradtuneError(() => load(base({ '7,1': 'inf' })), 'line 9: column "a" has the value "inf", which is not a finite number');
    expectGradtuneError(() => load(base({ '2,1': '-Infinity' })), 'line 4: column "a" has the value "-Infinity"');
    expectGradtuneError(() => load(base({ '2,2': '1e999' })), 'line 4: column "b" has the value "1e999"');
  });

  it('a column without any value names the column', () => {
    const cells = Object.fromEntries([...Array(40).keys()].map((i) => [`${i},2`, i % 2 ? '' : 'NA']));
    expectGradtuneError(() => load(base(cells)), 'column "b" has no value in any row', '--ignore b');
  });

  it('a validation value absurdly far from a near-constant training column names its line and column', () => {
    // b varies by 1e-12 in training; 1e6 is ~1e17 of its standard deviations out: representable, but the network's activations would overflow.
    const path = csvFile(['a,b,y', ...Array.from({ length: 40 }, (_, i) => `${i % 5},${i === 0 ? '1e6' : i * 1e-12},${i % 2}`)].join('\n'));
    const heldOut = [...Array(40).keys()].find((seed) => {
      try {
        load(path, { seed });
        return false;
      } catch {
        return true;
      }
    });
    expect(heldOut).toBeDefined();
    expectGradtuneError(() => load(path, { seed: heldOut }), /line 2: column "b" is 1e6, [0-9.]+e\+1[67] standard deviations from the training rows' mean \(.*\), too far out for float32 arithmetic; check that value/);
  });

  it('large but representable columns are standardised, not overflowed or zeroed', () => {
    const lines = ['a,b,y', ...Array.from({ length: 40 }, (_, i) => `${(i - 20) * 1e37},${1e30 + i * 1e15},${i % 2}`)];
    const ds = load(csvFile(lines.join('\n')));
    for (const x of [ds.xTrain, ds.xVal]) expect(x.every(Number.isFinite)).toBe(true);
    const a = [...Array(ds.nTrain).keys()].map((i) => ds.xTrain[i * 2]);
    expect(Math.max(...a) - Math.min(...a)).toBeGreaterThan(3);
    const b = [...Array(ds.nTrain).keys()].map((i) => ds.xTrain[i * 2 + 1]);
    expect(Math.max(...b) - Math.min(...b)).toBeGreaterThan(3);
  });
});

describe('warnings', () => {
  it('an integer id column, a text column unique per row, constant columns, a small validation split', () => {
    const lines = ['row,name,k,x,y', ...Array.from({ length: 60 }, (_, i) => `${i + 1},p${i},7,${i % 5},${i % 3}`)];
    const ds = load(csvFile(lines.join('\n')), { valSplit: 0.25 });
    expect(ds.warnings).toEqual([
      'the validation split has only 15 rows (--val-split 0.25 of 60): scores on it are noisy and trials will be hard to tell apart; use more data or a larger --val-split',
      'column "row" has a different integer in every row (1..60), like a row id; as a feature it lets the model memorise rows: leave it out with --ignore row, or name it with --id row to carry it into predictions',
      'column "name" has a different value in every row, like an identifier; as a feature it lets the model memorise rows: leave it out with --ignore name, or name it with --id name to carry it into predictions',
      'column "k" has the same value in every training row, so it cannot help the model; leave it out with --ignore',
    ]);
    // Named with --id, or left out, they are no longer features and not warned about.
    expect(load(csvFile(lines.join('\n')), { valSplit: 0.5, id: 'row', ignore: ['name', 'k'] }).warnings).toEqual([]);
  });

  it('a class with fewer than 5 validation rows', () => {
    const labels = [...Array(60).fill('common'), ...Array(8).fill('rare')];
    const ds = load(csvFile(['x,y', ...labels.map((l, i) => `${(i * 7) % 11},${l}`)].join('\n')), { valSplit: 0.45 });
    expect(ds.warnings).toEqual(['a class has fewer than 5 validation rows ("rare" 4): the score says little about it; use more data or a larger --val-split']);
  });

  it('not for measured quantities that happen to be unique integers, nor for the built-in iris and breast-cancer', () => {
    const lines = ['income,y', ...Array.from({ length: 200 }, (_, i) => `${20000 + i * 977},${i % 2}`)];
    expect(load(csvFile(lines.join('\n'))).warnings).toEqual([]);
    expect(loadDataset({ builtin: 'iris', valSplit: 0.2, seed: 42 }).warnings).toEqual([]);
    expect(loadDataset({ builtin: 'breast-cancer', valSplit: 0.2, seed: 42 }).warnings).toEqual([]);
  });
});

describe('text encodings', () => {
  const text = ['x,label', ...Array.from({ length: 40 }, (_, i) => `${i % 7},${i % 2 ? 'café' : 'cafè'}`)].join('\n') + '\n';

  it('a Latin-1 file is an error naming the line of its first non-UTF-8 byte', () => {
    const path = csvFile(Buffer.from(text, 'latin1'));
    expectGradtuneError(() => load(path), `data file ${path} line 2 is not valid UTF-8 (byte 0xE8 at byte 6 of the line)`, '--encoding latin1');
  });

  it('--encoding latin1 and windows-1252 read it, keeping café and cafè apart', () => {
    const path = csvFile(Buffer.from(text, 'latin1'));
    // Sorted by code unit: è is U+00E8, é U+00E9.
    expect(load(path, { encoding: 'latin1' }).classes).toEqual(['cafè', 'café']);
    expect(load(path, { encoding: 'windows-1252' }).classes).toEqual(['cafè', 'café']);
  });

  it('UTF-8, with or without a byte-order mark, reads as it is', () => {
    expect(load(csvFile(text)).classes).toEqual(['cafè', 'café']);
    expect(load(csvFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).featureNames).toEqual(['x']);
  });

  it('names the line of a bad byte further down, and a sequence cut short', () => {
    const lines = text.split('\n');
    const bytes = Buffer.concat([Buffer.from(lines.slice(0, 30).join('\n') + '\n'), Buffer.from([0x31, 0x2c, 0x63, 0xe2, 0x82]), Buffer.from('\n' + lines.slice(31).join('\n'))]);
    expectGradtuneError(() => load(csvFile(bytes)), 'line 31 is not valid UTF-8 (byte 0xE2 at byte 4 of the line)');
    expectGradtuneError(() => load(csvFile(text), { encoding: 'ebcdic' as never }), 'unknown --encoding "ebcdic"');
  });
});
