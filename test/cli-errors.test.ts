// User mistakes through the command line: each one exits with code 2, prints one line
// on stderr that names the problem, prints nothing on stdout, and leaves the store as it
// was: no store file appears where there was none, and an existing one keeps its bytes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, listDir, runCli, runOk, sha256, tempDir } from './helpers/cli.js';

const hasTfjsNode = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

interface ErrorCase {
  name: string;
  args: string[];
  /** What stderr must say, after the `gradtune: error: ` prefix. */
  message: RegExp;
  /** `existing`: the directory holds a store with study quick-iris (space quick, 1 trial). */
  store?: 'none' | 'existing';
  /** Files written into the working directory first. */
  files?: Record<string, string>;
  /** The line comes from commander (unknown option, invalid choice). */
  commander?: boolean;
  skip?: boolean;
}

const SEARCH = ['search', '--space', 'quick', '--max-trials', '3', '--workers', '1'];
const IRIS = [...SEARCH, '--dataset', 'iris'];
const BAD_FEATURE_CSV = 'a,b,label\n1,2,x\n3,oops,y\n5,6,x\n7,8,y\n';

const cases: ErrorCase[] = [
  // Flags and names.
  { name: 'unknown dataset', args: [...SEARCH, '--dataset', 'nope'], message: /^unknown dataset "nope": built-in datasets are digits, iris, breast-cancer/ },
  { name: 'unknown space', args: ['search', '--dataset', 'iris', '--space', 'nope'], message: /^unknown search space "nope": built-in spaces are mlp, quick/ },
  { name: '--workers 0', args: [...IRIS, '--workers', '0'], store: 'existing', message: /^--workers must be a whole number >= 1, got 0$/ },
  { name: '--max-trials -1', args: [...IRIS, '--max-trials', '-1'], message: /^--max-trials must be a whole number >= 1, got -1$/ },
  { name: '--val-split 1.5', args: [...IRIS, '--val-split', '1.5'], message: /^--val-split must be between 0 and 1 \(exclusive\), got 1\.5$/ },
  { name: '--workers abc', args: [...IRIS, '--workers', 'abc'], message: /^--workers must be a number, got "abc"$/ },
  { name: 'an objective that does not fit the task', args: [...IRIS, '--objective', 'val_mae'], message: /^objective "val_mae" needs a regression target/ },
  { name: 'an unknown option', args: [...IRIS, '--frobnicate'], commander: true, message: /^unknown option '--frobnicate'/ },
  { name: 'an invalid choice', args: ['report', '--study', 'quick-iris', '--format', 'xml'], store: 'existing', commander: true, message: /^option '--format <format>' argument 'xml' is invalid/ },
  { name: '--direction sideways', args: [...IRIS, '--direction', 'sideways'], commander: true, message: /^option '--direction <dir>' argument 'sideways' is invalid\. Allowed choices are min, max\.$/ },
  { name: '--task foo', args: [...IRIS, '--task', 'foo'], commander: true, message: /^option '--task <task>' argument 'foo' is invalid\. Allowed choices are classification, regression\.$/ },
  { name: '--backend webgl', args: [...IRIS, '--backend', 'webgl'], store: 'existing', commander: true, message: /^option '--backend <backend>' argument 'webgl' is invalid\. Allowed choices are auto, tensorflow, wasm, cpu\.$/ },
  { name: 'a flag without its value', args: ['report', '--study'], commander: true, message: /^option '--study <name>' argument missing; see gradtune report --help$/ },
  { name: 'a missing required option', args: ['best'], store: 'existing', commander: true, message: /^required option '--study <name>' not specified; see gradtune best --help$/ },
  { name: 'an unknown command', args: ['serach', '--dataset', 'iris'], commander: true, message: /^unknown command 'serach' \(Did you mean search\?\); see gradtune --help$/ },

  // Broken space modules: the space named, the error's first line, exit 2 (not an internal error).
  {
    name: 'a build(hp) that throws a plain Error with the default values',
    args: ['search', '--dataset', 'iris', '--space', fixture('default-throws-space.ts')],
    store: 'existing',
    message: /^search space \S*default-throws-space\.ts: build\(hp\) throws with every parameter at its default: TypeError: fixture: cannot build 4 units; fix the space, then run the command again$/,
  },
  {
    name: 'an async build(hp)',
    args: ['search', '--dataset', 'iris', '--space', fixture('async-build-space.ts')],
    message: /^search space \S*async-build-space\.ts: build\(hp\) returned a Promise; it must be synchronous \(no async, no await\)/,
  },
  { name: 'spaces --space with an async build(hp)', args: ['spaces', '--space', fixture('async-build-space.ts')], message: /build\(hp\) returned a Promise; it must be synchronous/ },

  // Grid search: checked (the grid counted) before the store is opened.
  {
    name: 'grid over a float without a step, without --grid-points',
    args: ['search', '--dataset', 'iris', '--space', 'mlp', '--workers', '1', '--algo', 'grid'],
    store: 'existing',
    message: /^parameter "learning_rate": grid search needs a step for a float; give hp\.float\('learning_rate', 0\.0001, 0\.1, \{ step \}\) in the space, or pass --grid-points N /,
  },
  { name: '--grid-points 1', args: [...IRIS, '--algo', 'grid', '--grid-points', '1'], message: /^--grid-points must be a whole number >= 2 \(min and max are always points\), got 1$/ },
  { name: '--grid-points 0', args: [...IRIS, '--algo', 'grid', '--grid-points', '0'], store: 'existing', message: /^--grid-points must be a whole number >= 2 .*, got 0$/ },
  { name: '--grid-points with random search', args: [...IRIS, '--algo', 'random', '--grid-points', '3'], message: /^--grid-points applies to --algo grid only, not --algo random$/ },
  {
    name: 'a grid too large to run whole, without --max-trials',
    args: ['search', '--dataset', 'iris', '--space', 'mlp', '--algo', 'grid', '--grid-points', '3', '--workers', '1'],
    store: 'existing',
    message: /^the grid of search space "mlp" has more than 100000 combinations, too many to run whole: give --max-trials N to run its first N, or give its parameters larger steps, fewer choices or fewer --grid-points$/,
  },

  // Gradient-diagnostics flags: each names the flag, the setting and the value.
  { name: '--diag-every 0', args: [...IRIS, '--diag-every', '0'], store: 'existing', message: /^--diag-every \(diagEvery\) must be a whole number >= 1, got 0$/ },
  {
    name: '--preflight-steps -1',
    args: [...IRIS, '--preflight-steps', '-1'],
    message: /^--preflight-steps \(preflightSteps\) must be a whole number >= 0 \(0 turns preflight off\), got -1$/,
  },
  { name: '--vanishing-floor -1', args: [...IRIS, '--vanishing-floor', '-1'], message: /^--vanishing-floor \(vanishingFloor\) must be a positive finite number, got -1$/ },
  // Commander hands "NaN" over as a string; Number("NaN") is NaN, which the flag's parser refuses.
  { name: '--exploding-ceiling NaN', args: [...IRIS, '--exploding-ceiling', 'NaN'], store: 'existing', message: /^--exploding-ceiling must be a number, got "NaN"$/ },
  {
    name: 'a vanishing floor above the exploding ceiling',
    args: [...IRIS, '--vanishing-floor', '10', '--exploding-ceiling', '5'],
    store: 'existing',
    message: /^--vanishing-floor \(10\) must be below --exploding-ceiling \(5\): a gradient cannot be both too small and too large$/,
  },
  { name: '--growth-factor 1', args: [...IRIS, '--growth-factor', '1'], message: /^--growth-factor \(growthFactor\) must be a finite number above 1, got 1$/ },
  { name: '--sustain-checks 0', args: [...IRIS, '--sustain-checks', '0'], message: /^--sustain-checks \(sustain\) must be a whole number >= 1, got 0$/ },
  {
    name: 'a space whose configuration sets an invalid diagnostics threshold',
    args: ['search', '--dataset', 'iris', '--space', fixture('bad-diagnostics-space.ts'), '--max-trials', '2', '--workers', '1'],
    store: 'existing',
    message: /\(vanishingFloor\) must be a positive finite number, got -1$/,
  },

  // CSV files.
  { name: 'CSV missing', args: [...SEARCH, '--data', 'missing.csv'], message: /^data file not found: missing\.csv/ },
  { name: 'CSV empty', args: [...SEARCH, '--data', 'empty.csv'], files: { 'empty.csv': '' }, message: /^data file empty\.csv is empty/ },
  {
    name: 'CSV without a header row',
    args: [...SEARCH, '--data', 'numbers.csv'],
    files: { 'numbers.csv': '1,2,3\n4,5,6\n7,8,9\n' },
    message: /^data file numbers\.csv has no header row/,
  },
  {
    name: 'a non-numeric feature value (names the row and the column)',
    args: [...SEARCH, '--data', 'bad.csv'],
    files: { 'bad.csv': BAD_FEATURE_CSV },
    store: 'existing',
    message: /line 3: column "b" has non-numeric value "oops"/,
  },
  {
    name: 'a --target column that is not there (lists the columns)',
    args: [...SEARCH, '--data', 'bad.csv', '--target', 'nope'],
    files: { 'bad.csv': BAD_FEATURE_CSV },
    store: 'existing',
    message: /has no column "nope"; its columns are: a, b, label/,
  },

  // Space modules.
  {
    name: 'a space module with a syntax error',
    // .mts: ESM whatever the directory, so the import fails on the syntax alone.
    args: [...SEARCH, '--dataset', 'iris', '--space', './broken.mts'],
    files: { 'broken.mts': "import { defineSearchSpace } from 'gradtune';\nexport default defineSearchSpace({{{\n" },
    message: /^could not import search space \.\/broken\.mts: (?!.*require\(\)).*Transform failed/,
  },
  {
    name: 'a space module without a default export',
    args: ['search', '--dataset', 'iris', '--space', fixture('no-default-space.ts')],
    message: /no-default-space\.ts has no default export; end it with `export default defineSearchSpace/,
  },
  {
    name: 'a space module with an invalid parameter range',
    args: ['search', '--dataset', 'iris', '--space', fixture('invalid-range-space.ts')],
    store: 'existing',
    message: /invalid-range-space\.ts: parameter "units": min \(64\) is greater than max \(8\)/,
  },

  // Studies and stores.
  { name: 'report on an unknown study', args: ['report', '--study', 'nope'], store: 'existing', message: /^unknown study "nope" \(studies in gradtune\.db: quick-iris\)/ },
  { name: 'best on an unknown study', args: ['best', '--study', 'nope', '--json'], store: 'existing', message: /^unknown study "nope" \(studies in gradtune\.db: quick-iris\)/ },
  { name: 'report without any store', args: ['report', '--study', 'quick-iris'], message: /^no study store at gradtune\.db: run gradtune search first/ },
  {
    name: 'continuing a study with a different --space',
    args: ['search', '--dataset', 'iris', '--space', 'mlp', '--study', 'quick-iris', '--max-trials', '3', '--workers', '1'],
    store: 'existing',
    message: /^study "quick-iris" was created with space "quick", not "mlp": drop the flag to continue study "quick-iris" as it is, or use --overwrite to start it afresh/,
  },
  {
    name: '--backend tensorflow without tfjs-node',
    args: [...IRIS, '--backend', 'tensorflow'],
    store: 'existing',
    message: /^backend "tensorflow" is not available: .*libtensorflow/,
    skip: hasTfjsNode,
  },
];

// A store holding one small study, copied into the cases that need an existing store.
let template: string;

beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'gradtune-store-'));
  await runOk([...IRIS, '--max-trials', '1', '--seed', '7', '--max-epochs', '3'], { cwd: template });
});

afterAll(() => {
  if (template) rmSync(template, { recursive: true, force: true });
});

describe('gradtune rejects user mistakes with exit code 2 and one line, writing nothing', () => {
  for (const c of cases) {
    const title = `${c.name} (${c.store ?? 'none'} store)`;
    const check = async () => {
      const cwd = tempDir();
      for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(join(cwd, name), text);
      const db = join(cwd, 'gradtune.db');
      if (c.store === 'existing') copyFileSync(join(template, 'gradtune.db'), db);
      const filesBefore = listDir(cwd);
      const hashBefore = c.store === 'existing' ? sha256(db) : undefined;

      const { code, stdout, stderr } = await runCli(c.args, { cwd });

      const context = `gradtune ${c.args.join(' ')}\nstderr:\n${stderr}`;
      expect(code, context).toBe(2);
      expect(stdout, context).toBe('');
      expect(stderr.endsWith('\n'), context).toBe(true);
      const lines = stderr.slice(0, -1).split('\n');
      expect(lines, context).toHaveLength(1);
      // Commander's own errors too (an unknown flag, a value outside the choices).
      const prefix = 'gradtune: error: ';
      expect(lines[0].startsWith(prefix), context).toBe(true);
      expect(lines[0].slice(prefix.length)).toMatch(c.message);

      // Nothing written: no store (or -wal/-journal file) appeared, an existing store is untouched.
      expect(listDir(cwd)).toEqual(filesBefore);
      if (hashBefore !== undefined) expect(sha256(db)).toBe(hashBefore);
    };
    if (c.skip) it.skip(title, check);
    else it(title, check);
  }
});
