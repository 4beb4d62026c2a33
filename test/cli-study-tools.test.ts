// The study tools an Optuna user expects, through the CLI: continue a study by name alone,
// flags that contradict the stored study, delete, enqueue, and --timeout.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runOk, sha256, tempDir } from './helpers/cli.js';
import { openSqliteStore } from '../src/store/sqlite.js';

const BASE = ['--space', 'quick', '--dataset', 'iris', '--max-epochs', '3', '--workers', '1', '--seed', '5'];

async function trialsOf(cwd: string, study: string) {
  const store = await openSqliteStore(join(cwd, 'gradtune.db'), { readOnly: true });
  try {
    const s = (await store.getStudy(study))!;
    return { study: s, trials: await store.trials(s.id) };
  } finally {
    await store.close();
  }
}

describe('continuing a study by name', () => {
  it('takes its space, data and settings from the store; a contradicting flag names both values', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    await runOk(['search', ...BASE, '--study', 's1', '--max-trials', '2', '--val-split', '0.25'], { cwd });
    // Only the name and a higher cap: the study's space, data, seed and split are reused.
    const more = await runOk(['search', '--study', 's1', '--max-trials', '3'], { cwd });
    expect(more.stdout).toMatch(/study: s1 \(continuing: 2 trials so far\) \| space quick/);
    expect(more.stdout).toMatch(/data: iris: 150 rows/);
    const { study, trials } = await trialsOf(cwd, 's1');
    expect(trials).toHaveLength(3);
    expect(study.settings.maxTrials).toBe(3);
    expect(study.data.valSplit).toBe(0.25);

    const before = sha256(join(cwd, 'gradtune.db'));
    for (const [flag, value, said] of [
      ['--seed', '6', /created with --seed 5, not 6/],
      ['--val-split', '0.2', /created with --val-split 0.25, not 0.2/],
      ['--max-epochs', '4', /created with --max-epochs 3, not 4/],
      ['--space', 'mlp', /created with space "quick", not "mlp"/],
      ['--dataset', 'digits', /created on data "iris", not "digits"/],
      ['--vanishing-floor', '1e-6', /created with --vanishing-floor unset, not 0.000001/],
    ] as const) {
      const r = await runCli(['search', '--study', 's1', flag, value], { cwd });
      expect(r.code, `${flag} ${value}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(said);
      expect(r.stderr).toMatch(/--overwrite/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(sha256(join(cwd, 'gradtune.db'))).toBe(before);
  });

  it('a Hyperband study keeps its factor: resuming with another --factor is refused', { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    await runOk(['search', ...BASE, '--study', 'hb', '--algo', 'hyperband', '--max-trials', '2'], { cwd });
    const r = await runCli(['search', '--study', 'hb', '--algo', 'hyperband', '--factor', '2'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/created with --factor 3, not 2/);
  });
});

describe('gradtune delete', () => {
  it('deletes a study and its trials; an unknown study is one line, exit 2', { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    await runOk(['search', ...BASE, '--study', 'gone', '--max-trials', '1'], { cwd });
    await runOk(['search', ...BASE, '--study', 'kept', '--max-trials', '1'], { cwd });
    const r = await runOk(['delete', '--study', 'gone'], { cwd });
    expect(r.stdout).toMatch(/deleted study "gone" \(1 trial\)/);
    const list = await runOk(['studies', '--json'], { cwd });
    expect(JSON.parse(list.stdout).map((s: { name: string }) => s.name)).toEqual(['kept']);
    const again = await runCli(['delete', '--study', 'gone'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^gradtune: error: unknown study "gone"/);
  });
});

describe('gradtune enqueue', () => {
  it('runs a queued configuration as the next new trial; the rest of its params are drawn', { timeout: 180_000 }, async () => {
    const cwd = tempDir();
    await runOk(['search', ...BASE, '--study', 'q', '--algo', 'random', '--max-trials', '1'], { cwd });
    const queued = await runOk(['enqueue', '--study', 'q', '--params', '{"learning_rate": 0.1, "optimizer": "sgd", "layers": 2, "units_2": 8}'], { cwd });
    expect(queued.stdout).toMatch(/queued .* for study "q"/);
    await runOk(['search', '--study', 'q', '--max-trials', '2'], { cwd });
    const { trials } = await trialsOf(cwd, 'q');
    expect(trials[1].params).toMatchObject({ learning_rate: 0.1, optimizer: 'sgd', layers: 2, units_2: 8 });
    expect(Object.keys(trials[1].params)).toEqual(expect.arrayContaining(['activation', 'units_1', 'batch_size']));

    const before = sha256(join(cwd, 'gradtune.db'));
    for (const [params, said] of [
      ['{"learning_rate": 0.5}', /learning_rate.*does not fit/],
      ['{"nonsense": 1}', /"nonsense", which search space "quick" does not reach/],
      ['{"units_2": 8}', /"units_2", which search space "quick" does not reach with these values/],
      ['not json', /--params is not valid JSON/],
      ['[1, 2]', /must be a JSON object/],
    ] as const) {
      const r = await runCli(['enqueue', '--study', 'q', '--params', params], { cwd });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(said);
    }
    expect(sha256(join(cwd, 'gradtune.db'))).toBe(before);
  });
});

describe('gradtune search --timeout', () => {
  it('starts no trial after the deadline, lets the running ones finish, and says why it stopped', { timeout: 180_000 }, async () => {
    const cwd = tempDir();
    const r = await runOk(['search', ...BASE, '--study', 't', '--algo', 'random', '--max-trials', '200', '--timeout', '3s'], { cwd });
    expect(r.stdout).toMatch(/reached --timeout 3 s: no new trial was started after it/);
    const { trials } = await trialsOf(cwd, 't');
    expect(trials.length).toBeGreaterThan(0);
    expect(trials.length).toBeLessThan(200);
    expect(trials.every((t) => t.status === 'completed')).toBe(true);
    const bad = await runCli(['search', ...BASE, '--timeout', 'soon'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--timeout must be a duration such as 90s, 15m, 2h/);
  });
});
