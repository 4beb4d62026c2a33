// End to end through the command line: search, then look at the study with report,
// best, studies and spaces, as a user would. Every test works in a temp dir of its own.
import { describe, it, expect } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, runCli, runOk, tempDir } from './helpers/cli.js';

/** The document `gradtune report --format json` prints (the parts the tests read). */
interface ReportTrial {
  rank: number | null;
  number: number;
  status: string;
  score: number | null;
  bestEpoch: number | null;
  epochsRun: number;
  backend: string | null;
  params: Record<string, number | string | boolean>;
  history: Array<Record<string, number>>;
  error: string | null;
}
interface Report {
  study: { name: string; space: string; seed: number; objective: { metric: string; direction: string } };
  trials: ReportTrial[];
}

const QUICK_IRIS = ['search', '--dataset', 'iris', '--space', 'quick'];

async function jsonReport(cwd: string, study = 'quick-iris', extra: string[] = []): Promise<Report> {
  const { stdout } = await runOk(['report', '--study', study, '--format', 'json', ...extra], { cwd });
  return JSON.parse(stdout) as Report;
}

/** Trials by number, so reports ranked differently can be compared. */
function byNumber(report: Report): Map<number, ReportTrial> {
  return new Map(report.trials.map((t) => [t.number, t]));
}

function numbers(report: Report): number[] {
  return report.trials.map((t) => t.number).sort((a, b) => a - b);
}

describe('gradtune search on iris/quick, then report, best, studies', () => {
  it('runs a search and shows it in every report format', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    const search = await runOk([...QUICK_IRIS, '--max-trials', '4', '--workers', '2', '--seed', '7'], { cwd });
    expect(search.stdout).toMatch(/^backend: (tensorflow|wasm|cpu)$/m);
    expect(search.stdout).toMatch(/reached --max-trials 4/);
    // The leaderboard table: its header and the summary line under it.
    expect(search.stdout).toMatch(/│ rank │ trial │ status\s+│ val_accuracy │/);
    expect(search.stdout).toMatch(/^4 trials: 4 completed; best val_accuracy /m);
    expect(search.stdout).toContain('study "quick-iris" is stored in gradtune.db');
    expect(search.stdout).toContain('gradtune report --study quick-iris');
    expect(existsSync(join(cwd, 'gradtune.db'))).toBe(true);

    // Read-only commands are independent: run them side by side.
    const [report, csv, md, top2, best, studies] = await Promise.all([
      jsonReport(cwd),
      runOk(['report', '--study', 'quick-iris', '--format', 'csv'], { cwd }),
      runOk(['report', '--study', 'quick-iris', '--format', 'md'], { cwd }),
      jsonReport(cwd, 'quick-iris', ['--top', '2']),
      runOk(['best', '--study', 'quick-iris', '--json'], { cwd }),
      runOk(['studies'], { cwd }),
    ]);

    expect(report.study).toMatchObject({ name: 'quick-iris', space: 'quick', seed: 7, objective: { metric: 'val_accuracy', direction: 'max' } });
    expect(report.trials).toHaveLength(4);
    expect(numbers(report)).toEqual([0, 1, 2, 3]);
    for (const t of report.trials) {
      expect(t.status).toBe('completed');
      expect(t.error).toBeNull();
      expect(t.params).toMatchObject({ layers: expect.any(Number), activation: expect.any(String), learning_rate: expect.any(Number), epochs: 20 });
      // One record per epoch run, each with the four metrics.
      expect(t.epochsRun).toBeGreaterThan(0);
      expect(t.history).toHaveLength(t.epochsRun);
      t.history.forEach((epoch, i) => {
        expect(epoch.epoch).toBe(i + 1);
        for (const metric of ['loss', 'val_loss', 'accuracy', 'val_accuracy']) {
          expect(Number.isFinite(epoch[metric]), `trial ${t.number} epoch ${i + 1} ${metric}`).toBe(true);
        }
      });
      expect(t.score).toBe(Math.max(...t.history.map((h) => h.val_accuracy)));
    }
    // Ranked best first.
    expect(report.trials.map((t) => t.rank)).toEqual([1, 2, 3, 4]);
    const scores = report.trials.map((t) => t.score!);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    const csvLines = csv.stdout.trim().split('\n');
    expect(csvLines).toHaveLength(5);
    expect(csvLines[0]).toMatch(/^rank,trial,status,val_accuracy,best_epoch,epochs,from_epoch,to_epoch,parent,repair_of,time \(s\),gradients,error,param:/);
    for (const line of csvLines.slice(1)) expect(line).toMatch(/^\d,\d,completed,/);

    expect(md.stdout).toMatch(/^\| rank \| trial \| status \| val_accuracy \|/m);
    expect(md.stdout).toMatch(/^\|( -{3}:? \|)+$/m);
    expect(md.stdout.split('\n').filter((l) => /^\| \d /.test(l))).toHaveLength(4);

    expect(top2.trials).toHaveLength(2);
    expect(top2.trials.map((t) => t.number)).toEqual(report.trials.slice(0, 2).map((t) => t.number));

    const bestJson = JSON.parse(best.stdout) as { trial: number; score: number; params: Record<string, unknown> };
    const maxValAccuracy = Math.max(...report.trials.flatMap((t) => t.history.map((h) => h.val_accuracy)));
    expect(bestJson.score).toBe(maxValAccuracy);
    expect(bestJson.trial).toBe(report.trials[0].number);
    expect(bestJson.params).toEqual(report.trials[0].params);

    expect(studies.stdout).toMatch(/│ quick-iris +│ quick +│ iris +│ random +│ val_accuracy \(max\) +│ 4 +│ 4 +│/);
  });

  it('lists the built-in spaces and their parameters', async () => {
    const cwd = tempDir();
    const { stdout } = await runOk(['spaces'], { cwd });
    expect(stdout).toMatch(/^mlp: /m);
    expect(stdout).toMatch(/^quick: /m);
    // Conditional parameters are listed too, not only those the defaults reach.
    expect(stdout).toMatch(/^ {2}units_6 +int 8\.\.512 log$/m);
    expect(stdout).toMatch(/^ {2}clip_value +float /m);
    expect(stdout).toMatch(/^ {2}units_2 +choice 8, 16, 32$/m);
    // Read-only: no store appears.
    expect(existsSync(join(cwd, 'gradtune.db'))).toBe(false);
  });

  it('continues a study when run again with a higher --max-trials', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    const args = [...QUICK_IRIS, '--seed', '7'];
    await runOk([...args, '--max-trials', '4', '--workers', '2'], { cwd });
    const before = await jsonReport(cwd);
    // One worker is enough for two more trials (and starts faster). The study keeps its
    // seed and split: the flags that set them need not be repeated.
    const again = await runOk([...QUICK_IRIS, '--max-trials', '6', '--workers', '1'], { cwd });
    expect(again.stdout).toContain('continuing: 4 trials so far');
    const after = await jsonReport(cwd);
    expect(numbers(after)).toEqual([0, 1, 2, 3, 4, 5]);
    const old = byNumber(before);
    const now = byNumber(after);
    for (const n of [0, 1, 2, 3]) {
      const { rank: _before, ...was } = old.get(n)!;
      const { rank: _after, ...is } = now.get(n)!;
      expect(is, `trial ${n}`).toEqual(was);
    }
    for (const n of [4, 5]) expect(now.get(n)!.status).toBe('completed');
  });

  it('gives the same configurations for a seed whatever the number of workers, and others for another seed', { timeout: 60_000 }, async () => {
    const [one, two, other] = [tempDir(), tempDir(), tempDir()];
    const args = [...QUICK_IRIS, '--max-trials', '4'];
    await Promise.all([
      runOk([...args, '--workers', '1', '--seed', '7'], { cwd: one }),
      runOk([...args, '--workers', '2', '--seed', '7'], { cwd: two }),
      runOk([...args, '--workers', '1', '--seed', '8'], { cwd: other }),
    ]);
    const [a, b, c] = (await Promise.all([jsonReport(one), jsonReport(two), jsonReport(other)])).map(byNumber);
    for (const n of [0, 1, 2, 3]) {
      expect(b.get(n)!.params, `trial ${n}`).toEqual(a.get(n)!.params);
      // Weights and batch order come from (seed, trial number) too, so on the deterministic
      // backends the training itself repeats exactly.
      if (a.get(n)!.backend !== 'tensorflow' && b.get(n)!.backend !== 'tensorflow') {
        expect(b.get(n)!.history, `trial ${n}`).toEqual(a.get(n)!.history);
      }
    }
    const paramsOf = (m: Map<number, ReportTrial>) => [0, 1, 2, 3].map((n) => m.get(n)!.params);
    expect(paramsOf(c)).not.toEqual(paramsOf(a));
  });

  it('starts the study afresh with --overwrite', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    const args = [...QUICK_IRIS, '--workers', '1', '--seed', '7'];
    await runOk([...args, '--max-trials', '2'], { cwd });
    expect((await jsonReport(cwd)).trials).toHaveLength(2);
    // Without --overwrite, 1 < 2 trials means nothing to do; with it, the old 2 are gone.
    const fresh = await runOk([...args, '--max-trials', '1', '--overwrite'], { cwd });
    expect(fresh.stdout).not.toContain('continuing');
    expect(fresh.stdout).toMatch(/^1 trials?: 1 completed;/m);
    const report = await jsonReport(cwd);
    expect(numbers(report)).toEqual([0]);
    expect(report.trials.every((t) => t.status === 'completed')).toBe(true);
  });
});

describe('gradtune search on your own data and spaces', () => {
  it('searches a CSV file with a text label chosen by --target', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    // 60 rows, 3 numeric features, the label first (so --target matters): the class is
    // which of the three features is largest.
    const rows = ['label,x1,x2,x3'];
    for (let i = 0; i < 60; i++) {
      const x = [((i * 7) % 11) / 10, ((i * 5) % 13) / 12, ((i * 3) % 17) / 16];
      const label = ['low', 'mid', 'high'][x.indexOf(Math.max(...x))];
      rows.push([label, ...x.map((v) => v.toFixed(3))].join(','));
    }
    writeFileSync(join(cwd, 'my.csv'), rows.join('\n') + '\n');
    const search = await runOk(['search', '--data', 'my.csv', '--target', 'label', '--space', 'quick', '--max-trials', '3', '--workers', '1', '--seed', '1'], { cwd });
    expect(search.stdout).toMatch(/^data: .*60 rows, 3 features, classification/m);
    expect(search.stdout).toContain('study "quick-my" is stored in gradtune.db');
    const report = await jsonReport(cwd, 'quick-my');
    expect(report.trials).toHaveLength(3);
    expect(report.trials.every((t) => t.status === 'completed')).toBe(true);
  });

  it('searches a space module with its own tfjs model builder', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    const search = await runOk(['search', '--dataset', 'iris', '--space', fixture('custom-space.ts'), '--max-trials', '3', '--workers', '1', '--seed', '2'], { cwd });
    expect(search.stdout).toContain('study "custom-space-iris"');
    const report = await jsonReport(cwd, 'custom-space-iris');
    expect(report.trials).toHaveLength(3);
    for (const t of report.trials) {
      expect(t.status, t.error ?? '').toBe('completed');
      expect(t.params).toMatchObject({ units: expect.any(Number), activation: expect.any(String), epochs: 5 });
      expect(t.history).toHaveLength(5);
    }
  });

  it('records a trial whose model builder throws as failed, with the error, and goes on', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    // Seed 2 draws both variants within 5 trials (the draws depend on the seed only).
    const search = await runOk(['search', '--dataset', 'iris', '--space', fixture('failing-space.ts'), '--max-trials', '5', '--workers', '1', '--seed', '2'], { cwd });
    expect(search.stdout).toMatch(/^trial \d failed .*error: Error: fixture: the broken variant cannot be built$/m);
    const report = await jsonReport(cwd, 'failing-space-iris');
    expect(numbers(report)).toEqual([0, 1, 2, 3, 4]);
    const broken = report.trials.filter((t) => t.params.variant === 'broken');
    const ok = report.trials.filter((t) => t.params.variant === 'ok');
    expect(broken.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThan(0);
    for (const t of broken) {
      expect(t.status).toBe('failed');
      expect(t.score).toBeNull();
      expect(t.rank).toBeNull();
      // A plain Error is a bug in the user's code: its stack is kept for them.
      expect(t.error).toMatch(/^Error: fixture: the broken variant cannot be built\n\s+at /);
    }
    for (const t of ok) expect(t.status, t.error ?? '').toBe('completed');
  });

  it('a custom model with the wrong output units fails its trial, its shape written [batch, 7]; the leaderboard shows the first line', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    await runOk(['search', '--dataset', 'iris', '--space', fixture('wrong-output-space.ts'), '--max-trials', '1', '--workers', '1'], { cwd });
    const report = await jsonReport(cwd, 'wrong-output-space-iris');
    const [t] = report.trials;
    expect(t.status).toBe('failed');
    expect(t.error!.split('\n')[0]).toMatch(/the custom model outputs shape \[batch, 7\] but the data needs 3 output units: end the model with a dense layer of units: shapes\.outputUnits$/);
    const table = await runOk(['report', '--study', 'wrong-output-space-iris'], { cwd });
    expect(table.stdout).toContain('outputs shape [batch, 7] but the data needs 3 output units');
    expect(table.stdout).not.toMatch(/^\s+at /m);
  });

  // KNOWN BUG (see the report): a space's build(hp) that throws for some sampled value
  // throws inside the oracle, in the main process, and the whole search exits 1 with
  // "internal error" instead of recording that trial as failed. Remove `.fails` when fixed.
  it('records a trial whose space build(hp) throws as failed, and goes on', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    await runOk(['search', '--dataset', 'iris', '--space', fixture('failing-build-space.ts'), '--max-trials', '5', '--workers', '1', '--seed', '2'], { cwd });
    const report = await jsonReport(cwd, 'failing-build-space-iris');
    expect(report.trials).toHaveLength(5);
    const failed = report.trials.filter((t) => t.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const t of failed) expect(t.error).toContain('fixture: the broken variant cannot be built');
    expect(report.trials.some((t) => t.status === 'completed')).toBe(true);
  });

  // KNOWN BUG (see the report): bin/gradtune.js registers only tsx's ESM hooks, so a .ts
  // space in a directory outside an ESM package ("type": "module") fails to import with
  // "Cannot require() ES Module ... in a cycle". That is the plain case of "copy mlp.ts
  // next to your data and run it". Remove `.fails` when fixed.
  it('searches a .ts space module written next to the data, outside any package', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    const index = fileURLToPath(new URL('../src/index.ts', import.meta.url)).replace(/\\/g, '/');
    writeFileSync(
      join(cwd, 'my-space.ts'),
      `import { defineSearchSpace } from ${JSON.stringify(index)};
export default defineSearchSpace({
  name: 'mine',
  description: 'one small layer',
  build(hp) {
    const units = hp.int('units', 4, 8);
    return {
      model: { kind: 'mlp', hidden: [{ units, activation: 'relu', initializer: 'glorotUniform' }] },
      training: { optimizer: 'adam', learningRate: 0.02, batchSize: 32, epochs: 3 },
    };
  },
});
`,
    );
    const result = await runCli(['search', '--dataset', 'iris', '--space', './my-space.ts', '--max-trials', '2', '--workers', '1'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await jsonReport(cwd, 'my-space-iris')).trials).toHaveLength(2);
  });
});
