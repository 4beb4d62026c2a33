// Tabular data as users have it, through the command line: a CSV with an id column, text
// columns and missing values goes through search → export → predict, and the predictions
// are loadExported's, carrying the id; a regression target shifted or multiplied scores
// the same in its own units; a Latin-1 file is an error naming its line unless its
// --encoding is given; every data problem is one line, exit code 2, nothing written.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import seedrandom from 'seedrandom';
import * as tfTypes from '@tensorflow/tfjs';
import { fileIO, loadDataset, loadExported, type ValuePrediction } from '../src/index.js';
import { predictionsCsv } from '../src/export/predict.js';
import { tf } from '../src/train/backend.js';
import { listDir, runCli, runOk, tempDir } from './helpers/cli.js';
import { validationSplit } from './helpers/validation-split.js';

const QUICK = ['--space', 'quick', '--algo', 'random', '--max-trials', '2', '--workers', '2', '--max-epochs', '4', '--seed', '5'];
const SLOW = { timeoutMs: 120_000 };

/**
 * Houses: an id, a size with missing cells (NA or empty), a color (5 values, some cells
 * empty), a city (12 values, more than --max-categories 5 keeps), a weight, a note the
 * search ignores, and the price.
 */
function housesCsv(rows: number, shift = 0, scale = 1): string {
  const rng = seedrandom('houses');
  const colors = ['red', 'green', 'blue', 'white', 'black'];
  const lines: string[][] = [['id', 'size', 'color', 'city', 'weight', 'note', 'price']];
  for (let i = 0; i < rows; i++) {
    const size = rng() * 10;
    const color = colors[Math.floor(rng() * colors.length)];
    const city = `city${Math.floor(rng() ** 2 * 12)}`;
    const weight = rng() * 5;
    const price = 3 * size + (color === 'red' ? 8 : color === 'blue' ? -4 : 0) + (city === 'city0' ? 5 : 0) + 2 * weight + (rng() - 0.5);
    const sizeCell = rng() < 0.08 ? (rng() < 0.5 ? 'NA' : '') : size.toFixed(3);
    const colorCell = rng() < 0.06 ? '' : color;
    lines.push([`H${1000 + i}`, sizeCell, colorCell, city, weight.toFixed(3), `n${i % 4}`, ((price + shift) * scale).toFixed(4)]);
  }
  return stringify(lines);
}

function bestScore(stdout: string): number {
  return (JSON.parse(stdout) as { score: number }).score;
}

describe('a CSV with an id, text columns and missing values: search → export → predict', () => {
  it('encodes, imputes and passes the id through; predict equals loadExported and needs only the columns the model reads', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'houses.csv'), housesCsv(240));
    const search = await runOk(['search', '--data', 'houses.csv', '--target', 'price', '--id', 'id', '--ignore', 'note', '--max-categories', '5', '--study', 'houses', ...QUICK], { cwd, ...SLOW });
    // The id is named, the validation split has 48 rows: nothing to warn about.
    expect(search.stderr).toBe('');
    expect(search.stdout).toMatch(/data: houses\.csv: 240 rows, \d+ features, regression, 192 train \/ 48 val/);
    const best = bestScore((await runOk(['best', '--study', 'houses', '--json'], { cwd })).stdout);
    const exported = await runOk(['export', '--study', 'houses', '--out', 'models'], { cwd, ...SLOW });
    const dir = join(cwd, exported.stdout.match(/-> (models\/trial-\d+)\//)![1]);

    const pre = JSON.parse(readFileSync(join(dir, 'preprocessing.json'), 'utf8'));
    expect(pre.columns.map((c: { name: string; kind: string }) => `${c.name}:${c.kind}`)).toEqual(['size:numeric', 'color:categorical', 'city:categorical', 'weight:numeric']);
    expect(pre.columns[0]).toMatchObject({ indicator: true });
    expect(pre.columns[1]).toMatchObject({ categories: expect.any(Array), other: false, indicator: true });
    expect(pre.columns[2]).toMatchObject({ other: true, indicator: false });
    expect(pre.columns[2].categories).toHaveLength(5);
    expect(pre.features).toEqual(['size', 'size=(missing)', ...pre.columns[1].categories.map((c: string) => `color=${c}`), 'color=(missing)', ...pre.columns[2].categories.map((c: string) => `city=${c}`), 'city=(other)', 'weight']);
    expect(pre).toMatchObject({ task: 'regression', target: 'price', passthrough: ['id'], missing: 'impute', targetScaling: { layer: 'gradtune_target_rescale' } });

    // New rows as a user has them: columns in another order, no note column (the model does
    // not read it), a color never seen, missing values of every kind.
    const rows = [
      ['weight', 'city', 'id', 'color', 'size'],
      ['2.5', 'city0', 'N1', 'red', '4.2'],
      ['1.0', 'city11', 'N2', 'magenta', 'NA'],
      ['0.5', 'atlantis', 'N3', '', ''],
      ['3.3', 'city3', 'N4', 'blue', '9.9'],
    ];
    writeFileSync(join(cwd, 'new.csv'), stringify(rows));
    const predicted = await runOk(['predict', '--model', dir, '--data', 'new.csv', '--out', 'predictions.csv'], { cwd, ...SLOW });
    expect(predicted.stderr).toBe('wrote 4 predictions to predictions.csv\n');
    const cli = readFileSync(join(cwd, 'predictions.csv'), 'utf8');
    const [header, ...out] = parse(cli) as string[][];
    expect(header).toEqual(['id', 'price']);
    expect(out.map((r) => r[0])).toEqual(['N1', 'N2', 'N3', 'N4']);

    // The same rows in code: identical predictions, the same CSV.
    const model = await loadExported(dir);
    try {
      const table = { columns: rows[0], rows: rows.slice(1) };
      const predictions = model.predict(table) as ValuePrediction[];
      expect(predictions.map((p) => p.passthrough)).toEqual([{ id: 'N1' }, { id: 'N2' }, { id: 'N3' }, { id: 'N4' }]);
      expect(predictionsCsv(model.preprocessing, predictions, ['id'])).toBe(cli);
      // A missing value is its imputed fill; the unseen color sets no color column (the column had no "other").
      const [n2] = model.predict([{ weight: 1, city: 'city11', color: 'magenta', size: null }]) as ValuePrediction[];
      const [n2filled] = model.predict([{ weight: 1, city: 'city11', color: 'magenta', size: 'NA' }]) as ValuePrediction[];
      expect(n2.value).toBe(predictions[1].value);
      expect(n2filled.value).toBe(predictions[1].value);

      // model.json alone (plain tfjs) outputs the target's units too, in float32.
      const plain = await tf.loadLayersModel(fileIO(dir));
      const x = model.preprocess(table);
      const y = plain.predict(x) as tfTypes.Tensor;
      Array.from(y.dataSync()).forEach((v, i) => expect(Math.abs(v - predictions[i].value) / Math.abs(predictions[i].value)).toBeLessThan(1e-6));
      tf.dispose([x, y]);
      plain.dispose();

      // Fidelity: the study's own validation rows give back the trial's val_loss (MSE, in the price's units).
      const study = { path: join(cwd, 'houses.csv'), target: 'price', id: 'id', ignore: ['note'], maxCategories: 5, valSplit: 0.2, seed: 5 };
      const split = validationSplit(study);
      const values = model.predict({ columns: split.header, rows: split.rows }) as ValuePrediction[];
      const mse = values.reduce((s, p, i) => s + (p.value - Number(split.targets[i])) ** 2, 0) / values.length;
      expect(Math.abs(mse - best) / best).toBeLessThan(1e-5);
      expect(loadDataset(study).nVal).toBe(values.length);
    } finally {
      model.dispose();
    }

    // An input without the id still predicts (the rows are in input order), with a warning.
    writeFileSync(join(cwd, 'noid.csv'), stringify(rows.map((r) => [r[0], r[1], r[3], r[4]])));
    const noId = await runOk(['predict', '--model', dir, '--data', 'noid.csv'], { cwd, ...SLOW });
    expect(noId.stdout.split('\n')[0]).toBe('price');
    expect(noId.stderr).toBe('gradtune: warning: noid.csv has no column "id" (the export\'s --id/--passthrough column), so the predictions do not carry it; they are in the input\'s row order\n');
  }, 300_000);
});

describe('regression targets in their own units', () => {
  it('the same data with the target shifted by 100 or multiplied by 1000 reaches the same best score (in its units)', async () => {
    const cwd = tempDir();
    const variants = { base: housesCsv(200), shifted: housesCsv(200, 100), scaled: housesCsv(200, 0, 1000) };
    const scores: Record<string, number> = {};
    for (const [name, csv] of Object.entries(variants)) {
      writeFileSync(join(cwd, `${name}.csv`), csv);
      await runOk(['search', '--data', `${name}.csv`, '--target', 'price', '--ignore', 'id,note', '--study', name, ...QUICK], { cwd, ...SLOW });
      scores[name] = bestScore((await runOk(['best', '--study', name, '--json'], { cwd })).stdout);
    }
    // The price varies by ~10 (variance ~100): the best MSE is well below that, in price units.
    expect(scores.base).toBeLessThan(100);
    expect(Math.abs(scores.shifted - scores.base) / scores.base).toBeLessThan(0.01);
    expect(Math.abs(scores.scaled / 1e6 - scores.base) / scores.base).toBeLessThan(0.01);
    // The history is in the target's units too: the report's val_mae of the scaled study is ~1000x.
    const report = (name: string) => JSON.parse(readFileSync(join(cwd, `${name}.json`), 'utf8')) as { trials: Array<{ history: Array<{ val_mae: number }> }> };
    await runOk(['report', '--study', 'base', '--format', 'json', '--out', 'base.json'], { cwd });
    await runOk(['report', '--study', 'scaled', '--format', 'json', '--out', 'scaled.json'], { cwd });
    const mae = (name: string) => report(name).trials[0].history.at(-1)!.val_mae;
    expect(mae('scaled') / mae('base')).toBeCloseTo(1000, -1);
  }, 400_000);
});

describe('text that is not UTF-8', () => {
  it('is an error naming the line, writing nothing; --encoding latin1 reads it with café and cafè apart; warnings are one line each', async () => {
    const cwd = tempDir();
    const lines = ['row,x,z,drink', ...Array.from({ length: 40 }, (_, i) => `${i + 1},${(i * 7) % 10},${i % 3},${i % 2 ? 'café' : 'cafè'}`)];
    writeFileSync(join(cwd, 'latin.csv'), Buffer.from(lines.join('\n') + '\n', 'latin1'));
    const refused = await runCli(['search', '--data', 'latin.csv', ...QUICK, '--workers', '1'], { cwd, ...SLOW });
    expect({ code: refused.code, stdout: refused.stdout, stderr: refused.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'gradtune: error: data file latin.csv line 2 is not valid UTF-8 (byte 0xE8 at byte 10 of the line); if the file is Latin-1 or Windows-1252 (as Excel writes on Windows), say so with --encoding latin1 or --encoding windows-1252, or save it as UTF-8\n',
    });
    expect(listDir(cwd)).toEqual(['latin.csv']);

    const ok = await runOk(['search', '--data', 'latin.csv', '--encoding', 'latin1', '--missing', 'error', '--study', 'latin', ...QUICK], { cwd, ...SLOW });
    expect(ok.stderr.split('\n').filter(Boolean)).toEqual([
      'gradtune: warning: the validation split has only 8 rows (--val-split 0.2 of 40): scores on it are noisy and trials will be hard to tell apart; use more data or a larger --val-split',
      'gradtune: warning: column "row" has a different integer in every row (1..40), like a row id; as a feature it lets the model memorise rows: leave it out with --ignore row, or name it with --id row to carry it into predictions',
    ]);
    const exported = await runOk(['export', '--study', 'latin', '--out', 'models'], { cwd, ...SLOW });
    const dir = exported.stdout.match(/-> (models\/trial-\d+)\//)![1];
    expect(JSON.parse(readFileSync(join(cwd, dir, 'preprocessing.json'), 'utf8')).classes).toEqual(['cafè', 'café']);

    writeFileSync(join(cwd, 'new.csv'), Buffer.from('x,z,row,drink\n3,1,1,café\n', 'latin1'));
    const bad = await runCli(['predict', '--model', dir, '--data', 'new.csv'], { cwd, ...SLOW });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gradtune: error: data file new\.csv line 2 is not valid UTF-8 \(byte 0xE9 at byte 10 of the line\)/);
    const good = await runOk(['predict', '--model', dir, '--data', 'new.csv', '--encoding', 'latin1', '--passthrough', 'row'], { cwd, ...SLOW });
    const [header, row] = parse(good.stdout) as string[][];
    // The output is UTF-8, whatever the input's encoding.
    expect(header).toEqual(['row', 'drink', 'probability_cafè', 'probability_café']);
    expect(row[0]).toBe('1');
    expect(['cafè', 'café']).toContain(row[1]);
    // Searched with --missing error, the model does not impute at prediction time either.
    writeFileSync(join(cwd, 'gap.csv'), 'x,z,row\n3,1,1\n,2,2\n');
    const gap = await runCli(['predict', '--model', dir, '--data', 'gap.csv'], { cwd, ...SLOW });
    expect({ code: gap.code, stdout: gap.stdout, stderr: gap.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'gradtune: error: data file gap.csv line 3: column "x" is missing ("") and this model does not impute (its study was searched with --missing error, or it was exported before imputation existed): fill that cell or drop the row\n',
    });
    // The target column cannot be passed through: the prediction has its name.
    const clash = await runCli(['predict', '--model', dir, '--data', 'new.csv', '--encoding', 'latin1', '--passthrough', 'drink'], { cwd, ...SLOW });
    expect({ code: clash.code, stderr: clash.stderr }).toEqual({ code: 2, stderr: 'gradtune: error: column "drink" cannot be passed through: the predictions have a column of that name\n' });
  }, 300_000);
});
