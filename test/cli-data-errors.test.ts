// Data problems through the command line: each is found before any trial runs and
// reported as a data problem naming the column (and line) — not as trials "rejected:
// exploding" — with exit code 2, one line on stderr, nothing on stdout, nothing written.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitRows } from '../src/data/split.js';
import { listDir, runCli, tempDir } from './helpers/cli.js';

const SEARCH = ['search', '--space', 'quick', '--algo', 'random', '--max-trials', '1', '--workers', '1', '--max-epochs', '2'];

/** 40 rows: a, b numeric, c text, y a 0/1 label; `cells` overrides `row,column` (0-based). */
function csv(cells: Record<string, string> = {}, target = (i: number) => String(i % 2)): string {
  const lines = ['a,b,c,y'];
  for (let i = 0; i < 40; i++) {
    const row = [String(i % 7), String((i * 3) % 11), ['p', 'q', 'r'][i % 3], target(i)];
    row.forEach((_, c) => {
      if (`${i},${c}` in cells) row[c] = cells[`${i},${c}`];
    });
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}

/** 30 regression rows 1e-10 apart and one 1e30; the seed that holds the 1e30 out for validation. */
const OUTLIER = ['a,y', ...Array.from({ length: 30 }, (_, i) => `${i},${i === 0 ? '1e30' : (1 + i * 1e-10).toString()}`)].join('\n') + '\n';

interface Case {
  name: string;
  args: string[];
  files: Record<string, string>;
  message: RegExp;
}

const cases: Case[] = [
  {
    name: 'a feature value near 1e308 (beyond float32)',
    args: ['--data', 'd.csv'],
    files: { 'd.csv': csv({ '3,1': '1.7e308' }) },
    message: /^data file d\.csv line 5: column "b" is 1\.7e308, beyond the ±3\.4e38 that float32 \(what tfjs computes in\) can hold; if it marks a missing value, empty the cell; otherwise rescale the column/,
  },
  { name: 'an infinite feature value', args: ['--data', 'd.csv'], files: { 'd.csv': csv({ '6,0': '-inf' }) }, message: /^data file d\.csv line 8: column "a" has the value "-inf", which is not a finite number/ },
  {
    name: 'a feature without any value',
    args: ['--data', 'd.csv'],
    files: { 'd.csv': csv(Object.fromEntries([...Array(40).keys()].map((i) => [`${i},1`, 'NA']))) },
    message: /^data file d\.csv: column "b" has no value in any row \(every cell is empty or NA\); leave it out with --ignore b$/,
  },
  {
    name: 'a word among the numbers of a feature',
    args: ['--data', 'd.csv'],
    files: { 'd.csv': csv({ '9,0': 'seven' }) },
    message: /^data file d\.csv line 11: column "a" has non-numeric value "seven" among 39 numbers; fix or empty the cell \(empty cells are imputed\), or read the column as categories with --categorical a$/,
  },
  {
    name: 'a missing value under --missing error',
    args: ['--data', 'd.csv', '--missing', 'error'],
    files: { 'd.csv': csv({ '12,2': '' }) },
    message: /^data file d\.csv line 14: column "c" is missing \(""\) and --missing error was given; fill that cell, or leave --missing error out/,
  },
  {
    name: 'a regression target beyond float32',
    args: ['--data', 'd.csv', '--task', 'regression'],
    files: { 'd.csv': csv({}, (i) => (i === 20 ? '4e39' : String(i * 1.5))) },
    message: /^data file d\.csv line 22: target "y" is 4e39, beyond the ±3\.4e38 that float32 \(what tfjs computes in\) can hold; rescale the target/,
  },
  {
    name: 'a constant regression target',
    args: ['--data', 'd.csv', '--task', 'regression'],
    files: { 'd.csv': csv({}, () => '7.25') },
    message: /^data file d\.csv: target "y" has the same value \(7\.25\) in every training row; there is nothing to regress/,
  },
  {
    name: 'a regression target whose squared error overflows float32',
    args: ['--data', 'd.csv', '--seed', String(outlierSeed())],
    files: { 'd.csv': OUTLIER },
    message: /^data file d\.csv line 2: target "y" is 1e30, [0-9.e+]+ standard deviations from the training rows' mean; its squared error would overflow float32/,
  },
  {
    name: 'a numeric target with missing values',
    args: ['--data', 'd.csv', '--task', 'regression'],
    files: { 'd.csv': csv({ '5,3': 'NaN' }, (i) => String(i * 0.5)) },
    message: /^data file d\.csv line 7: target column "y" is missing \("NaN"\); every row needs a target value: drop the rows without one$/,
  },
  { name: '--features naming a column that is not there', args: ['--data', 'd.csv', '--features', 'a,x'], files: { 'd.csv': csv() }, message: /^data file d\.csv has no column "x" \(given to --features\); its columns are: a, b, c, y$/ },
  { name: '--features with --ignore', args: ['--data', 'd.csv', '--features', 'a', '--ignore', 'b'], files: { 'd.csv': csv() }, message: /^give --features \(the columns to use\) or --ignore \(the columns to leave out\), not both$/ },
  { name: '--id naming the target', args: ['--data', 'd.csv', '--id', 'y'], files: { 'd.csv': csv() }, message: /^column "y" is the target, so it cannot be given to --id/ },
  { name: '--passthrough of a feature given to --features', args: ['--data', 'd.csv', '--features', 'a,b', '--passthrough', 'b'], files: { 'd.csv': csv() }, message: /^column "b" is given to --passthrough and to --features/ },
  { name: '--max-categories 0', args: ['--data', 'd.csv', '--max-categories', '0'], files: { 'd.csv': csv() }, message: /^--max-categories must be a whole number >= 1/ },
];

/** A seed whose (unstratified, regression) split puts the 1e30 row (row 0) in validation. */
function outlierSeed(): number {
  return [...Array(100).keys()].find((seed) => splitRows(30, 0.2, seed).val.includes(0))!;
}

describe('data problems are one line, exit code 2, nothing written', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const cwd = tempDir();
      for (const [name, text] of Object.entries(c.files)) writeFileSync(join(cwd, name), text);
      const before = listDir(cwd);
      const { code, stdout, stderr } = await runCli([...SEARCH, ...c.args], { cwd, timeoutMs: 90_000 });
      const context = `gradtune ${c.args.join(' ')}\nstderr:\n${stderr}`;
      expect(code, context).toBe(2);
      expect(stdout, context).toBe('');
      const lines = stderr.replace(/\n$/, '').split('\n');
      expect(lines, context).toHaveLength(1);
      expect(lines[0].startsWith('gradtune: error: '), context).toBe(true);
      expect(lines[0].slice('gradtune: error: '.length)).toMatch(c.message);
      expect(listDir(cwd)).toEqual(before);
    }, 100_000);
  }
});
