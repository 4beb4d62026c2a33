// Pruning through the CLI on iris: trials stop while they run by the median rule (checked
// against the per-epoch values the store kept), pruned trials appear with their epoch and
// rule in every report, their checkpoint exports, and the study keeps its pruner.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { percentileOf } from '../src/pruner/median.js';
import { listDir, runCli, runOk, tempDir } from './helpers/cli.js';

const SEARCH = ['search', '--space', 'quick', '--dataset', 'iris', '--algo', 'random', '--max-epochs', '8', '--storage', 'study.db'];

interface JsonTrial {
  number: number;
  status: string;
  epochsRun: number;
  score: number | null;
  history: Array<{ epoch: number; val_accuracy: number }>;
  pruned: { epoch: number; rule: string } | null;
}

/** The per-epoch rows the search stored, by trial: [epoch, value][] of its (only) attempt. */
function storedEpochs(file: string): Map<number, Array<[number, number | null]>> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT number, attempt, run, epoch, value FROM trial_epochs ORDER BY id').all() as Array<{ number: number; attempt: number; run: number; epoch: number; value: number | null }>;
    const out = new Map<number, Array<[number, number | null]>>();
    for (const r of rows) {
      expect([r.attempt, r.run]).toEqual([1, 0]);
      out.set(r.number, [...(out.get(r.number) ?? []), [r.epoch, r.value]]);
    }
    return out;
  } finally {
    db.close();
  }
}

describe('gradtune search --pruner', () => {
  it('median: stops trials worse than the completed ones at the same epoch; reports, JSON and export show where and why', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    // One worker: the trials completed before each one are exactly the lower numbers, so the rule can be checked.
    const { stdout } = await runOk([...SEARCH, '--max-trials', '10', '--workers', '1', '--pruner', 'median', '--pruner-startup-trials', '2'], { cwd });
    const json = JSON.parse((await runOk(['report', '--study', 'quick-iris', '--storage', 'study.db', '--format', 'json'], { cwd })).stdout) as { study: { settings: Record<string, unknown> }; trials: JsonTrial[] };
    const trials = json.trials.sort((a, b) => a.number - b.number);
    expect(json.study.settings.pruner).toEqual({ name: 'median', startupTrials: 2, warmupEpochs: 0, intervalEpochs: 1, minTrials: 1 });
    const pruned = trials.filter((t) => t.status === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    expect(trials.filter((t) => t.status === 'completed').length).toBeGreaterThan(2);

    // Every epoch of every trial was stored as it ran, with the objective's value.
    const epochs = storedEpochs(path.join(cwd, 'study.db'));
    for (const t of trials) {
      expect(epochs.get(t.number)).toEqual(t.history.map((h) => [h.epoch, h.val_accuracy]));
    }

    // The median rule, recomputed from the stored values: pruned exactly where it says.
    for (const t of trials) {
      const completedBefore = trials.filter((c) => c.number < t.number && c.status === 'completed');
      let prunedAt: number | null = null;
      if (completedBefore.length >= 2) {
        for (const [epoch] of epochs.get(t.number)!) {
          const best = Math.max(...epochs.get(t.number)!.filter(([e]) => e <= epoch).map(([, v]) => v!));
          const others = completedBefore.map((c) => epochs.get(c.number)!.find(([e]) => e === epoch)?.[1]).filter((v): v is number => typeof v === 'number');
          const median = percentileOf(others.sort((a, b) => a - b), 50);
          if (others.length > 0 && best < median) {
            prunedAt = epoch;
            break;
          }
        }
      }
      expect(t.pruned?.epoch ?? null, `trial ${t.number}`).toBe(prunedAt);
      if (t.pruned) {
        expect(t.epochsRun).toBe(t.pruned.epoch);
        expect(t.pruned.rule).toMatch(/^median: best val_accuracy [\d.]+ is below the median [\d.]+ of \d+ completed trials at epoch \d+$/);
        // Each pruned trial was said so as it ended.
        expect(stdout).toContain(`trial ${t.number} pruned val_accuracy=`);
        expect(stdout).toContain(`pruned at epoch ${t.pruned.epoch}: ${t.pruned.rule}`);
      }
    }

    const victim = pruned[0];
    const table = (await runOk(['report', '--study', 'quick-iris', '--storage', 'study.db'], { cwd })).stdout;
    expect(table).toMatch(new RegExp(`│ +- │ +${victim.number} │ pruned at ${victim.pruned!.epoch} +│`));
    expect(table).toMatch(/\d+ trials: \d+ completed, \d+ pruned;/);
    const one = (await runOk(['report', '--study', 'quick-iris', '--storage', 'study.db', '--trial', String(victim.number)], { cwd })).stdout;
    expect(one).toContain(`pruned              at epoch ${victim.pruned!.epoch}: ${victim.pruned!.rule}`);

    // A pruned trial keeps its best epoch's weights: it exports, saying it was pruned.
    await runOk(['export', '--study', 'quick-iris', '--storage', 'study.db', '--trial', String(victim.number), '--out', 'models'], { cwd });
    expect(listDir(path.join(cwd, 'models', `trial-${victim.number}`))).toContain('weights.bin');
    const metrics = JSON.parse(fs.readFileSync(path.join(cwd, 'models', `trial-${victim.number}`, 'metrics.json'), 'utf8'));
    expect(metrics.pruned).toEqual(victim.pruned);
    expect(metrics.score).toBe(victim.score);

    // The study keeps its pruner: another one is refused, naming both, and nothing is written.
    const before = fs.statSync(path.join(cwd, 'study.db')).mtimeMs;
    const r = await runCli([...SEARCH, '--max-trials', '12', '--pruner', 'asha'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gradtune: error: study "quick-iris" was created with --pruner median, not asha: drop the flag/);
    const r2 = await runCli([...SEARCH, '--max-trials', '12', '--pruner', 'median', '--pruner-startup-trials', '4'], { cwd });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/created with --pruner-startup-trials 2, not 4/);
    expect(fs.statSync(path.join(cwd, 'study.db')).mtimeMs).toBe(before);
  });

  it('asha: prunes at the rungs only, with the successive-halving rule', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    await runOk([...SEARCH, '--max-trials', '10', '--workers', '2', '--pruner', 'asha', '--factor', '2'], { cwd });
    const json = JSON.parse((await runOk(['report', '--study', 'quick-iris', '--storage', 'study.db', '--format', 'json'], { cwd })).stdout) as { trials: JsonTrial[] };
    const pruned = json.trials.filter((t) => t.status === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) {
      // Rungs at 1 * 2^k epochs.
      expect([1, 2, 4, 8]).toContain(t.pruned!.epoch);
      expect(t.pruned!.rule).toMatch(new RegExp(`^asha: val_accuracy [\\d.]+ at epoch ${t.pruned!.epoch} \\(rung \\d\\) is not among the best \\d+ of the \\d+ trials that reached it$`));
    }
  });

  it.each([
    [['--algo', 'hyperband', '--pruner', 'median'], /--pruner applies to --algo random and grid, not --algo hyperband/],
    [['--pruner', 'asha', '--pruner-startup-trials', '3'], /--pruner-startup-trials, --pruner-warmup-epochs, --pruner-interval-epochs and --pruner-min-trials apply to --pruner median, not --pruner asha/],
    [['--pruner', 'median', '--pruner-interval-epochs', '0'], /--pruner-interval-epochs must be a whole number >= 1, got 0/],
    [['--factor', '2'], /--factor applies to --algo hyperband, --algo asha and --pruner asha, not --algo random/],
    [['--pruner', 'sometimes'], /argument 'sometimes' is invalid.*none, median, asha/],
  ])('refuses %j with one line, writing nothing', async (extra, message) => {
    const cwd = tempDir();
    const r = await runCli(['search', '--space', 'quick', '--dataset', 'iris', '--algo', 'random', ...extra], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(listDir(cwd)).toEqual([]);
  });
});
