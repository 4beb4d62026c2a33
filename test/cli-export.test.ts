// `gradtune export` end to end, as a user runs it: a search with --keep-checkpoints, then
// exports of the best, a trial, the top k; every mistake one line, exit code 2, nothing
// written. The choice of trials and its messages are unit-tested on records below.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, listDir, runCli, runOk, sha256, tempDir } from './helpers/cli.js';
import { expectGradtuneError } from './helpers/errors.js';
import { makeStudy, makeTrial } from './helpers/records.js';
import { selectTrials } from '../src/export/select.js';
import { DEFAULT_DIAGNOSTICS } from '../src/train/diagnostics-settings.js';

interface ReportTrial {
  number: number;
  status: string;
  score: number | null;
  rank: number | null;
}

/** One store shared by the tests of this file: read-only for them, so they can run in any order. */
let cwd: string;
let trials: ReportTrial[];
let broken: ReportTrial[];

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'gradtune-cli-export-'));
  const search = await runOk(['search', '--dataset', 'iris', '--space', 'quick', '--max-trials', '4', '--workers', '2', '--seed', '7', '--max-epochs', '2', '--keep-checkpoints', '2'], { cwd });
  expect(search.stdout).toContain('npx gradtune export --study quick-iris --out models   # the best model, for gradtune predict');
  // A space that fails for some configurations: trials that did not complete.
  await runOk(['search', '--dataset', 'iris', '--space', fixture('failing-space.ts'), '--study', 'broken', '--max-trials', '4', '--workers', '2', '--seed', '1', '--max-epochs', '1'], { cwd });
  const report = async (study: string) => (JSON.parse((await runOk(['report', '--study', study, '--format', 'json'], { cwd })).stdout) as { trials: ReportTrial[] }).trials;
  [trials, broken] = await Promise.all([report('quick-iris'), report('broken')]);
}, 90_000);

afterAll(() => {
  if (cwd && !process.env.GRADTUNE_KEEP_TMP) rmSync(cwd, { recursive: true, force: true });
});

const ranked = () => trials.filter((t) => t.rank !== null).sort((a, b) => a.rank! - b.rank!);

describe('gradtune export', () => {
  it('writes the best trial, refuses to write into it again, and replaces it with --force', async () => {
    const best = ranked()[0];
    const out = join(tempDir(), 'models');
    const first = await runOk(['export', '--study', 'quick-iris', '--out', out], { cwd });
    expect(first.stdout).toContain(`trial ${best.number} (val_accuracy ${best.score!.toFixed(4)}, best-epoch weights) -> ${out}/trial-${best.number}/`);
    expect(first.stdout).toContain(`npx gradtune predict --model ${out}/trial-${best.number} --data new.csv`);
    const dir = join(out, `trial-${best.number}`);
    expect(listDir(dir)).toEqual(['hyperparameters.json', 'metrics.json', 'model.json', 'preprocessing.json', 'weights.bin']);
    const before = listDir(dir).map((f) => sha256(join(dir, f)));

    const again = await runCli(['export', '--study', 'quick-iris', '--out', out], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`gradtune: error: --out ${out} exists and is not empty (1 entry); choose another directory, or add --force to write the trial directories into it\n`);
    expect(again.stdout).toBe('');

    // --force: the trial's directory is replaced (same study, same weights: same bytes); other files stay.
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await runOk(['export', '--study', 'quick-iris', '--out', out, '--force'], { cwd });
    expect(listDir(out)).toEqual(['notes.txt', `trial-${best.number}`]);
    expect(listDir(dir).map((f) => sha256(join(dir, f)))).toEqual(before);
  });

  it('--top k writes the k best, --trial n one trial', async () => {
    const out = join(tempDir(), 'models');
    const top = await runOk(['export', '--study', 'quick-iris', '--top', '2', '--out', out], { cwd });
    expect(listDir(out)).toEqual(ranked().slice(0, 2).map((t) => `trial-${t.number}`).sort());
    expect(top.stdout.split('\n').filter((l) => l.startsWith('trial '))).toHaveLength(2);

    const second = ranked()[1];
    const one = join(tempDir(), 'one');
    await runOk(['export', '--study', 'quick-iris', '--trial', String(second.number), '--out', one], { cwd });
    expect(listDir(one)).toEqual([`trial-${second.number}`]);
  });

  it('--keep-checkpoints 2 kept the weights of the two best trials only', async () => {
    const dropped = ranked()[2];
    const r = await runCli(['export', '--study', 'quick-iris', '--trial', String(dropped.number), '--out', join(cwd, 'never')], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `gradtune: error: trial ${dropped.number} has no stored weights in study "quick-iris": its checkpoint was dropped by --keep-checkpoints, which keeps the best trials' only; ` +
        `export one of the 2 that kept theirs (gradtune report --study quick-iris --top 2), and search with a larger --keep-checkpoints to keep more\n`,
    );
  });

  it('refuses every mistake with one line and exit code 2, writing nothing', async () => {
    const failed = broken.find((t) => t.status === 'failed');
    expect(failed, 'the failing space failed a trial with this seed').toBeDefined();
    const file = join(cwd, 'a-file');
    writeFileSync(file, 'x');
    const full = join(cwd, 'full');
    mkdirSync(full, { recursive: true });
    writeFileSync(join(full, 'x'), 'x');
    const cases: Array<[string[], RegExp]> = [
      [['--study', 'nope'], /^unknown study "nope" \(studies in gradtune\.db: quick-iris, broken\); run gradtune studies to list them$/],
      [['--study', 'quick-iris', '--trial', '99'], /^study "quick-iris" has no trial 99 \(its trials are numbered 0 to 3\); see gradtune report --study quick-iris$/],
      [['--study', 'broken', '--trial', String(failed!.number)], new RegExp(`^trial ${failed!.number} of study "broken" did not complete: it failed, status failed; only a completed trial has a model to export`)],
      [['--study', 'quick-iris', '--top', '3'], /^trial \d+ has no stored weights in study "quick-iris": its checkpoint was dropped by --keep-checkpoints/],
      [['--study', 'quick-iris', '--trial', '0', '--top', '2'], /^--trial exports one trial and --top the best k: give one of them/],
      [['--study', 'quick-iris', '--top', '0'], /^--top must be a whole number >= 1, got 0$/],
    ];
    const out = join(cwd, 'out-never');
    // Independent and read-only: side by side.
    const results = await Promise.all(cases.map(([args]) => runCli(['export', ...args, '--out', out], { cwd })));
    results.forEach((r, i) => {
      const [args, pattern] = cases[i];
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0].replace(/^gradtune: error: /, ''), args.join(' ')).toMatch(pattern);
    });
    expect(existsSync(out)).toBe(false);
    const intoFile = await runCli(['export', '--study', 'quick-iris', '--out', file], { cwd });
    expect([intoFile.code, intoFile.stderr]).toEqual([2, `gradtune: error: --out ${file} is a file; give a directory (it is created when missing)\n`]);
    const intoFull = await runCli(['export', '--study', 'quick-iris', '--out', full], { cwd });
    expect(intoFull.code).toBe(2);
    expect(readdirSync(full)).toEqual(['x']);
    // No stray staging directories are left.
    expect(readdirSync(cwd).filter((f) => f.includes('partial'))).toEqual([]);
  });
});

describe('gradtune export after the study\'s space or data changed', () => {
  it('refuses to export a model that would not be the searched one', async () => {
    const dir = tempDir();
    const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const space = (units: number) =>
      `import { defineSearchSpace } from ${JSON.stringify(index)};\n` +
      `export default defineSearchSpace({ name: 'mine', description: 'one layer', build: (hp) => ({\n` +
      `  model: { kind: 'mlp', hidden: [{ units: ${units}, activation: 'relu', initializer: 'heNormal' }] },\n` +
      `  training: { optimizer: 'adam', learningRate: hp.choice('learning_rate', [0.01, 0.1]), batchSize: 32, epochs: 1 } }) });\n`;
    writeFileSync(join(dir, 'my-space.ts'), space(8));
    const iris = readFileSync(fileURLToPath(new URL('../datasets/iris.csv', import.meta.url)), 'utf8');
    writeFileSync(join(dir, 'flowers.csv'), iris);
    await runOk(['search', '--space', './my-space.ts', '--data', 'flowers.csv', '--max-trials', '1', '--workers', '1'], { cwd: dir });

    writeFileSync(join(dir, 'flowers.csv'), iris + '5.0,3.0,1.5,0.2,setosa\n');
    const data = await runCli(['export', '--study', 'my-space-flowers', '--out', 'models'], { cwd: dir });
    expect([data.code, data.stderr]).toEqual([2, 'gradtune: error: the data of study "my-space-flowers" (flowers.csv) has changed since the search: its scaling and validation split would not be the study\'s; restore the file the study was searched on\n']);

    writeFileSync(join(dir, 'flowers.csv'), iris);
    writeFileSync(join(dir, 'my-space.ts'), space(16));
    const model = await runCli(['export', '--study', 'my-space-flowers', '--out', 'models'], { cwd: dir });
    expect([model.code, model.stderr]).toEqual([2, "gradtune: error: trial 0's stored weights do not fit the model its params build now: the space ./my-space.ts has changed since the search; restore the version the study was searched with\n"]);

    // From another directory, the relative paths the study recorded are not found.
    const elsewhere = await runCli(['export', '--study', 'my-space-flowers', '--out', 'models', '--storage', join(dir, 'gradtune.db')], { cwd: tempDir() });
    expect(elsewhere.stderr).toMatch(/^gradtune: error: study "my-space-flowers" was searched with the space module \.\/my-space\.ts, which is not found from .*; run this command in the directory the search ran in\n$/);
    expect(existsSync(join(dir, 'models'))).toBe(false);
  });
});

describe('selectTrials', () => {
  const study = makeStudy({ name: 'demo' });
  const verdict = { kind: 'vanishing' as const, evidence: { statistic: 'kernel gradient norm', layer: 'dense_1', value: 2e-9, threshold: 1e-7, epoch: 1, step: 40, preflight: true } };
  const records = [
    makeTrial(0, { a: 1 }, 'completed', { score: 0.8 }),
    makeTrial(1, { a: 2 }, 'rejected', { diagnostics: { verdict, checks: 4, epochs: [], settings: { ...DEFAULT_DIAGNOSTICS } } }),
    makeTrial(2, { a: 3 }, 'completed', { score: 0.9 }),
    makeTrial(3, { a: 4 }, 'running'),
    makeTrial(4, { a: 5 }, 'stale'),
    makeTrial(5, { a: 6 }, 'completed', { score: null }),
    makeTrial(6, { a: 7 }, 'pruned'),
  ];
  const all = () => true;

  it('picks the best, the top k (fewer when fewer completed), or one trial', () => {
    expect(selectTrials(study, records, { kind: 'best' }, all).map((t) => t.number)).toEqual([2]);
    expect(selectTrials(study, records, { kind: 'top', count: 5 }, all).map((t) => t.number)).toEqual([2, 0]);
    expect(selectTrials(study, records, { kind: 'trial', number: 0 }, all).map((t) => t.number)).toEqual([0]);
  });

  it('says why a trial has no model, with its status', () => {
    const one = (n: number) => () => selectTrials(study, records, { kind: 'trial', number: n }, all);
    expectGradtuneError(one(1), 'trial 1 of study "demo" did not complete: it was rejected by the gradient monitor (vanishing: dense_1 |g|=2e-9 (1e-7 floor) at preflight, epoch 1 step 40), status rejected');
    expectGradtuneError(one(3), 'it is still running, status running');
    expectGradtuneError(one(4), 'it lost its worker (stale), status stale');
    // A pruned trial exports (it keeps its best epoch's weights), except without a finite score.
    expectGradtuneError(one(6), 'trial 6 of study "demo" was pruned without a finite score');
    expectGradtuneError(one(5), 'trial 5 of study "demo" completed without a finite score');
    expectGradtuneError(one(7), 'study "demo" has no trial 7 (its trials are numbered 0 to 6)');
    expectGradtuneError(() => selectTrials(study, [records[1]], { kind: 'best' }, all), 'study "demo" has no completed trial to export (1 trial, none completed with a score)');
    expectGradtuneError(() => selectTrials(study, records, { kind: 'top', count: 2 }, (n) => n === 2), 'trial 0 has no stored weights', 'export one of the 1 that kept theirs');
  });
});
