// `gradtune predict` end to end: export the best trial of a search, predict the study's
// own validation rows from a CSV (columns shuffled, extra ones added) and get the
// leaderboard score back (the fidelity test, through the command line); every mistake one
// line, exit code 2, nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { runCli, runOk, tempDir } from './helpers/cli.js';
import { validationSplit } from './helpers/validation-split.js';

let cwd: string;
let best: { number: number; score: number };
let modelDir: string;

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'gradtune-cli-predict-'));
  await runOk(['search', '--dataset', 'iris', '--space', 'quick', '--max-trials', '3', '--workers', '2', '--seed', '5', '--max-epochs', '3'], { cwd });
  const report = JSON.parse((await runOk(['best', '--study', 'quick-iris', '--json'], { cwd })).stdout) as { trial: number; score: number };
  best = { number: report.trial, score: report.score };
  await runOk(['export', '--study', 'quick-iris', '--out', 'models'], { cwd });
  modelDir = join('models', `trial-${best.number}`);
}, 90_000);

afterAll(() => {
  if (cwd && !process.env.GRADTUNE_KEEP_TMP) rmSync(cwd, { recursive: true, force: true });
});

/** The study's validation rows as a CSV a user might have: columns reordered, an id column added. */
function validationCsv(): { csv: string; targets: string[] } {
  const split = validationSplit({ builtin: 'iris', valSplit: 0.2, seed: 5 });
  const order = [3, 4, 0, 2, 1]; // petal_width, species, sepal_length, petal_length, sepal_width
  const header = ['id', ...order.map((i) => split.header[i])];
  const rows = split.rows.map((row, r) => [`row-${r}`, ...order.map((i) => row[i])]);
  return { csv: stringify([header, ...rows]), targets: split.targets };
}

describe('gradtune predict', () => {
  it("writes a label and one probability per class for each row, and recovers the trial's score on its validation split (fidelity)", async () => {
    const { csv, targets } = validationCsv();
    writeFileSync(join(cwd, 'val.csv'), csv);
    const r = await runOk(['predict', '--model', modelDir, '--data', 'val.csv', '--out', 'predictions.csv'], { cwd });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`wrote ${targets.length} predictions to predictions.csv\n`);
    const [header, ...rows] = parse(readFileSync(join(cwd, 'predictions.csv'), 'utf8')) as string[][];
    expect(header).toEqual(['species', 'probability_setosa', 'probability_versicolor', 'probability_virginica']);
    expect(rows).toHaveLength(targets.length);
    for (const row of rows) {
      const p = row.slice(1).map(Number);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(row[0]).toBe(['setosa', 'versicolor', 'virginica'][p.indexOf(Math.max(...p))]);
    }
    const accuracy = rows.filter((row, i) => row[0] === targets[i]).length / rows.length;
    expect(accuracy).toBe(best.score);

    // Without --out, the same CSV on stdout.
    const toStdout = await runOk(['predict', '--model', modelDir, '--data', 'val.csv'], { cwd });
    expect(toStdout.stdout).toBe(readFileSync(join(cwd, 'predictions.csv'), 'utf8'));
  });

  it('imputes a missing cell with the training rows\' median, and reads an export of the format before categories as before', async () => {
    const dir = tempDir();
    const pre = JSON.parse(readFileSync(join(cwd, modelDir, 'preprocessing.json'), 'utf8'));
    const median = pre.columns.find((c: { name: string }) => c.name === 'petal_length').fill;
    writeFileSync(join(dir, 'gaps.csv'), `sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,,0.2\n6.3,2.9,NA,1.8\n`);
    writeFileSync(join(dir, 'filled.csv'), `sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,${median},0.2\n6.3,2.9,${median},1.8\n`);
    const gaps = await runOk(['predict', '--model', modelDir, '--data', join(dir, 'gaps.csv')], { cwd });
    const filled = await runOk(['predict', '--model', modelDir, '--data', join(dir, 'filled.csv')], { cwd });
    expect(gaps.stdout).toBe(filled.stdout);

    // gradtune-preprocessing-1 (numeric columns, no imputation): the same model, the same predictions.
    const old = join(dir, 'old-export');
    cpSync(join(cwd, modelDir), old, { recursive: true });
    const { features, scaling, target, classes, task } = pre;
    writeFileSync(join(old, 'preprocessing.json'), JSON.stringify({ format: 'gradtune-preprocessing-1', task, features, scaling, target, classes }));
    const { csv } = validationCsv();
    writeFileSync(join(dir, 'val.csv'), csv);
    const before = await runOk(['predict', '--model', modelDir, '--data', join(dir, 'val.csv')], { cwd });
    const after = await runOk(['predict', '--model', old, '--data', join(dir, 'val.csv')], { cwd });
    expect(after.stdout).toBe(before.stdout);
    const refused = await runCli(['predict', '--model', old, '--data', join(dir, 'gaps.csv')], { cwd });
    expect(refused.stderr).toMatch(/line 2: column "petal_length" is missing \(""\) and this model does not impute/);
  });

  it('refuses every mistake with one line and exit code 2, writing nothing', async () => {
    const dir = tempDir();
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const missing = write('missing.csv', 'sepal_length,petal_length,x\n5.1,1.4,1\n');
    const text = write('text.csv', 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n4.9,three,1.4,0.2\n');
    const good = write('good.csv', 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');
    const out = join(dir, 'p.csv');
    const cases: Array<[string[], string]> = [
      [['--model', modelDir, '--data', missing], `data file ${missing} lacks the feature columns "sepal_width", "petal_width"; the model reads 4 columns (sepal_length, sepal_width, petal_length, petal_width), in any order, and ignores others`],
      [['--model', modelDir, '--data', text], `data file ${text} line 3: column "sepal_width" has non-numeric value "three"; the model reads this column as numbers`],
      [['--model', modelDir, '--data', good, '--passthrough', 'name'], `data file ${good} has no column "name" to pass through; its columns are: sepal_length, sepal_width, petal_length, petal_width`],
      [['--model', 'models', '--data', good], `models is not a gradtune export (no model.json or preprocessing.json in it); it holds the exports trial-${best.number}: use models/trial-${best.number}`],
      [['--model', 'nowhere', '--data', good], 'model directory nowhere does not exist; give a directory written by gradtune export (e.g. models/trial-17)'],
      [['--model', modelDir, '--data', join(dir, 'absent.csv')], `data file not found: ${join(dir, 'absent.csv')}; check the path given to --data`],
      [['--model', modelDir, '--data', good, '--out', join(dir, 'no', 'p.csv')], `cannot write --out ${join(dir, 'no', 'p.csv')}: directory ${join(dir, 'no')} does not exist; create it first (mkdir -p ${join(dir, 'no')})`],
    ];
    // Two at a time: seven tfjs processes at once overrun the timeout on a busy 2-core machine.
    const results: Awaited<ReturnType<typeof runCli>>[] = [];
    for (let i = 0; i < cases.length; i += 2) {
      results.push(...(await Promise.all(cases.slice(i, i + 2).map(([args]) => runCli(['predict', ...args, ...(args.includes('--out') ? [] : ['--out', out])], { cwd, timeoutMs: 90_000 })))));
    }
    results.forEach((r, i) => {
      const [args, message] = cases[i];
      expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }, args.join(' ')).toEqual({ code: 2, stderr: `gradtune: error: ${message}\n`, stdout: '' });
    });
    expect(existsSync(out)).toBe(false);
  }, 300_000);
});
