import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_DATASETS, builtinDatasetPath } from '../src/data/builtin.js';
import { describeDataset, loadDataset } from '../src/data/load.js';
import type { Dataset, DataSource } from '../src/data/types.js';
import { expectGradtuneError } from './helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'gradtune-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fixtures = 0;
/** Write a fixture file and return its path. */
function csvFile(content: string | Buffer, name = `f${fixtures++}.csv`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function load(path: string, options: Partial<DataSource> = {}): Dataset {
  return loadDataset({ path, valSplit: 0.2, seed: 7, ...options });
}

/** Class index of each one-hot row (and check that it is one-hot). */
function argmaxRows(y: Float32Array, nOutputs: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < y.length / nOutputs; r++) {
    const row = Array.from(y.subarray(r * nOutputs, (r + 1) * nOutputs));
    expect(row.reduce((a, b) => a + b, 0)).toBe(1);
    expect(row.every((v) => v === 0 || v === 1)).toBe(true);
    out.push(row.indexOf(1));
  }
  return out;
}

function column(x: Float32Array, nFeatures: number, f: number): number[] {
  return Array.from({ length: x.length / nFeatures }, (_, r) => x[r * nFeatures + f]);
}

const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const stdOf = (v: number[]) => Math.sqrt(meanOf(v.map((x) => (x - meanOf(v)) ** 2)));

describe('built-in datasets', () => {
  it('resolves every built-in name to a shipped file', () => {
    for (const name of Object.keys(BUILTIN_DATASETS)) expect(existsSync(builtinDatasetPath(name))).toBe(true);
  });

  it('loads digits: 1797 rows, 64 features, 10 one-hot classes', () => {
    const ds = loadDataset({ builtin: 'digits', valSplit: 0.2, seed: 1 });
    expect(ds.name).toBe('digits');
    expect(ds.rows).toBe(1797);
    expect(ds.nFeatures).toBe(64);
    expect(ds.task).toBe('classification');
    expect(ds.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(ds.nOutputs).toBe(10);
    expect(ds.targetName).toBe('digit');
    expect(ds.nTrain + ds.nVal).toBe(1797);
    expect(ds.nVal).toBe(360); // ceil(0.2 * 1797), as scikit-learn rounds
    expect(ds.xTrain.length).toBe(ds.nTrain * 64);
    expect(ds.xVal.length).toBe(ds.nVal * 64);
    expect(ds.yTrain.length).toBe(ds.nTrain * 10);
    expect(ds.yVal.length).toBe(ds.nVal * 10);
    expect(new Set(argmaxRows(ds.yTrain, 10)).size).toBe(10);
    expect(new Set(argmaxRows(ds.yVal, 10)).size).toBe(10);
    expect(ds.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(describeDataset(ds)).toBe('digits: 1797 rows, 64 features, classification (10 classes), 1437 train / 360 val');
  });

  it('splits iris stratified: 10 of each 50-row class in validation', () => {
    const ds = loadDataset({ builtin: 'iris', valSplit: 0.2, seed: 3 });
    expect(ds.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    const count = (labels: number[], c: number) => labels.filter((l) => l === c).length;
    const val = argmaxRows(ds.yVal, 3);
    const train = argmaxRows(ds.yTrain, 3);
    for (const c of [0, 1, 2]) {
      expect(count(val, c)).toBe(10);
      expect(count(train, c)).toBe(40);
    }
  });

  it('rejects an unknown name, listing the built-in ones', () => {
    expectGradtuneError(() => builtinDatasetPath('foo'), '"foo"', 'digits, iris, breast-cancer', '--data');
    expectGradtuneError(() => loadDataset({ builtin: 'mnist', valSplit: 0.2, seed: 1 }), '"mnist"', 'iris');
  });
});

describe('split determinism', () => {
  const iris = (seed: number) => loadDataset({ builtin: 'iris', valSplit: 0.2, seed });

  it('gives identical arrays for the same seed', () => {
    const a = iris(42);
    const b = iris(42);
    expect(b.xTrain).toEqual(a.xTrain);
    expect(b.yTrain).toEqual(a.yTrain);
    expect(b.xVal).toEqual(a.xVal);
    expect(b.yVal).toEqual(a.yVal);
    expect(b.fingerprint).toBe(a.fingerprint);
  });

  it('gives a different order (and fingerprint) for a different seed', () => {
    const a = iris(42);
    const b = iris(43);
    expect(b.xTrain).not.toEqual(a.xTrain);
    expect(b.xVal).not.toEqual(a.xVal);
    expect(b.fingerprint).not.toBe(a.fingerprint);
  });

  it('does not leave training rows grouped by class', () => {
    // iris.csv is sorted by species; the first 40 training rows must not all be one class.
    const labels = argmaxRows(iris(5).yTrain, 3);
    expect(new Set(labels.slice(0, 40)).size).toBeGreaterThan(1);
  });

  it('puts a row of every class with at least 2 rows on each side', () => {
    const rows = ['x,y', ...Array.from({ length: 20 }, (_, i) => `${i},big`), '100,small', '101,small'];
    for (const seed of [1, 2, 3]) {
      const ds = load(csvFile(rows.join('\n')), { seed, valSplit: 0.1 });
      expect(ds.classes).toEqual(['big', 'small']);
      expect(argmaxRows(ds.yVal, 2).filter((c) => c === 1)).toHaveLength(1);
      expect(argmaxRows(ds.yTrain, 2).filter((c) => c === 1)).toHaveLength(1);
    }
  });
});

describe('scaling', () => {
  // x2 is constant (std 0 → divided by 1); y identifies each row (read back through the target's scaling).
  const rows = [
    [1, 5, 0.5],
    [2, 5, 1.5],
    [3, 5, 2.5],
    [4, 5, 3.5],
    [10, 5, 4.5],
  ];
  const path = csvFile(['x1,x2,y', ...rows.map((r) => r.join(','))].join('\n'));
  /** The target value of a row in its own units. */
  const targetOf = (ds: Dataset, scaled: number) => Math.round((scaled * ds.targetScaling!.std + ds.targetScaling!.mean) * 1e4) / 1e4;

  it('standardises training features to mean 0, std 1 and scales validation with training statistics', () => {
    for (const seed of [1, 2, 3, 4]) {
      const ds = load(path, { seed });
      expect(ds.task).toBe('regression');
      expect(ds.nTrain).toBe(4);
      expect(ds.nVal).toBe(1);
      const x1 = column(ds.xTrain, 2, 0);
      expect(meanOf(x1)).toBeCloseTo(0, 6);
      expect(stdOf(x1)).toBeCloseTo(1, 6);
      expect(column(ds.xTrain, 2, 1)).toEqual([0, 0, 0, 0]);
      expect(ds.scaling.std[1]).toBe(1);

      const valRow = rows.find((r) => r[2] === targetOf(ds, ds.yVal[0]))!;
      const trainX1 = rows.filter((r) => r !== valRow).map((r) => r[0]);
      expect(ds.scaling.mean[0]).toBeCloseTo(meanOf(trainX1), 10);
      expect(ds.scaling.std[0]).toBeCloseTo(stdOf(trainX1), 10);
      expect(ds.xVal[0]).toBeCloseTo((valRow[0] - meanOf(trainX1)) / stdOf(trainX1), 5);
      expect(ds.xVal[1]).toBe(0);
    }
  });

  it('scales the held-out outlier by the training rows alone (hand-computed)', () => {
    // Find a seed that holds out x1 = 10: training is then 1..4, mean 2.5, std sqrt(1.25).
    const seed = [...Array(100).keys()].find((s) => {
      const ds = load(path, { seed: s });
      return targetOf(ds, ds.yVal[0]) === 4.5;
    });
    expect(seed).toBeDefined();
    const ds = load(path, { seed });
    expect(ds.scaling.mean).toEqual([2.5, 5]);
    expect(ds.scaling.std[0]).toBeCloseTo(1.118034, 6);
    expect(ds.xVal[0]).toBeCloseTo(7.5 / Math.sqrt(1.25), 5); // 6.7082, not the 1.897 all-rows scaling gives
    // The target too is standardised on the training rows alone: 0.5..3.5, mean 2, std sqrt(1.25).
    expect(ds.targetScaling).toEqual({ mean: 2, std: Math.sqrt(1.25) });
    expect(Array.from(ds.yTrain).sort((a, b) => a - b)).toEqual([-1.5, -0.5, 0.5, 1.5].map((v) => Math.fround(v / Math.sqrt(1.25))));
  });
});

describe('task inference', () => {
  it('infers regression from a float target, and standardises it on the training split', () => {
    const lines = ['a,b,price', ...Array.from({ length: 10 }, (_, i) => `${i},${i * 2},${(i * 1.25 + 100).toFixed(2)}`)];
    const ds = load(csvFile(lines.join('\n')));
    expect(ds.task).toBe('regression');
    expect(ds.nOutputs).toBe(1);
    expect(ds.classes).toBeUndefined();
    expect(ds.yTrain.length).toBe(ds.nTrain);
    const train = Array.from(ds.yTrain);
    expect(meanOf(train)).toBeCloseTo(0, 6);
    expect(stdOf(train)).toBeCloseTo(1, 6);
    const all = [...train, ...Array.from(ds.yVal)].map((z) => z * ds.targetScaling!.std + ds.targetScaling!.mean).sort((p, q) => p - q);
    all.forEach((y, i) => expect(y).toBeCloseTo(i * 1.25 + 100, 4));
    expect(describeDataset(ds)).toMatch(/: 10 rows, 2 features, regression, 8 train \/ 2 val$/);
  });

  it('reads a few distinct integers as classes, sorted numerically', () => {
    const lines = ['a,label', ...[10, 2, 1, 2, 10, 1, 2, 10, 1, 1].map((y, i) => `${i},${y}`)];
    const ds = load(csvFile(lines.join('\n')));
    expect(ds.task).toBe('classification');
    expect(ds.classes).toEqual(['1', '2', '10']);
  });

  it('reads many distinct integers as regression, and --task overrides', () => {
    const lines = ['a,count', ...Array.from({ length: 30 }, (_, i) => `${i},${i * 3}`)];
    const path = csvFile(lines.join('\n'));
    expect(load(path).task).toBe('regression');
    const forced = load(path, { task: 'classification' });
    expect(forced.task).toBe('classification');
    expect(forced.nOutputs).toBe(30);
  });

  it('refuses regression on a non-numeric target, naming the line and value', () => {
    const path = csvFile('a,kind\n1,cat\n2,dog\n3,cat\n');
    expectGradtuneError(() => load(path, { task: 'regression' }), 'line 2', '"kind"', '"cat"', 'regression');
  });

  it('refuses a classification target with a single value', () => {
    expectGradtuneError(() => load(csvFile('a,y\n1,x\n2,x\n3,x\n')), '"y"', 'single value');
  });
});

describe('csv reading', () => {
  it('reads a .gz file like the plain one', () => {
    const text = 'a,b,y\n' + Array.from({ length: 12 }, (_, i) => `${i},${i % 3},${i % 2 ? 'odd' : 'even'}`).join('\n');
    const plain = load(csvFile(text));
    const gz = load(csvFile(gzipSync(text), 'data.csv.gz'));
    expect(gz.name).toBe('data.csv.gz');
    expect(gz.xTrain).toEqual(plain.xTrain);
    expect(gz.yVal).toEqual(plain.yVal);
    expect(gz.classes).toEqual(['even', 'odd']);
  });

  it('uses a named target column and the rest as features', () => {
    const ds = load(csvFile('y,a,b\nx,1,2\nz,3,4\nx,5,6\nz,7,8\n'), { target: 'y', valSplit: 0.5 });
    expect(ds.targetName).toBe('y');
    expect(ds.featureNames).toEqual(['a', 'b']);
    expect(ds.classes).toEqual(['x', 'z']);
  });
});

describe('user errors', () => {
  it('missing file', () => {
    const path = join(dir, 'nope.csv');
    expectGradtuneError(() => load(path), `data file not found: ${path}`);
  });

  it('empty file', () => {
    expectGradtuneError(() => load(csvFile('')), 'is empty');
    expectGradtuneError(() => load(csvFile('\n\n')), 'is empty');
  });

  it('header only', () => {
    expectGradtuneError(() => load(csvFile('a,b,y\n')), 'no data rows');
  });

  it('numeric first line: no header row', () => {
    expectGradtuneError(() => load(csvFile('1,2,3\n4,5,6\n')), 'has no header row', '1,2,3');
  });

  it('a row with a different number of columns names its line', () => {
    expectGradtuneError(() => load(csvFile('a,b,y\n1,2,0\n3,4\n5,6,1\n')), 'line 3', '2 columns', 'header has 3');
  });

  it('absent target column lists the available columns', () => {
    expectGradtuneError(() => load(csvFile('a,b,y\n1,2,0\n3,4,1\n'), { target: 'label' }), '"label"', 'a, b, y');
  });

  it('a word among the numbers of a feature names the file line, column and value', () => {
    // The blank line counts: line numbers are the file's, not the record index.
    const path = csvFile('a,b,y\n1,2,0\n\n3,abc,1\n4,5,0\n');
    expectGradtuneError(() => load(path), 'line 4', 'column "b"', '"abc"', 'among 2 numbers', '--categorical b');
  });

  it('an empty feature cell under --missing error', () => {
    expectGradtuneError(() => load(csvFile('a,b,y\n1,2,0\n3,,1\n4,5,0\n'), { missing: 'error' }), 'line 3', 'column "b"', 'is missing', '--missing error');
  });

  it('empty target cell', () => {
    expectGradtuneError(() => load(csvFile('a,y\n1,0\n2,\n3,1\n')), 'line 3', 'target column "y" is empty');
  });

  it('duplicate column names', () => {
    expectGradtuneError(() => load(csvFile('a,a,y\n1,2,0\n3,4,1\n')), '"a"', 'twice');
  });

  it('a validation split outside (0, 1)', () => {
    const path = csvFile('a,y\n1,0\n2,1\n3,0\n4,1\n');
    for (const valSplit of [0, 1, -0.2, 1.5, Number.NaN]) expectGradtuneError(() => load(path, { valSplit }), 'between 0 and 1');
  });

  it('a split that leaves one side empty', () => {
    expectGradtuneError(() => load(csvFile('a,y\n1,0.5\n2,1.5\n'), { valSplit: 0.9 }), 'no training rows');
    expectGradtuneError(() => load(csvFile('a,y\n1,0.5\n'), { valSplit: 0.2 }), 'no training rows');
  });

  it('a source with both or neither of builtin and path', () => {
    expectGradtuneError(() => loadDataset({ valSplit: 0.2, seed: 1 }), 'exactly one');
    expectGradtuneError(() => loadDataset({ builtin: 'iris', path: 'x.csv', valSplit: 0.2, seed: 1 }), 'exactly one');
  });
});
