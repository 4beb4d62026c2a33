// Hyperband end to end: the schedule runs to completion on iris with 2 workers, promoted
// trials continue their parents (same params, epochs numbered after the parent's), and
// the same seed gives the same configurations with 1 or 2 workers.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCli, runOk, tempDir } from './helpers/cli.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { hyperbandSchedule } from '../src/oracle/hyperband-schedule.js';
import { paramsKey } from '../src/space/params.js';
import type { TrialRecord } from '../src/store/store.js';
import type { HyperbandSlot } from '../src/oracle/oracle.js';

const ARGS = ['search', '--algo', 'hyperband', '--space', 'quick', '--dataset', 'iris', '--max-epochs', '9', '--factor', '3', '--seed', '3'];

async function storedTrials(cwd: string): Promise<TrialRecord[]> {
  const store = await openSqliteStore(join(cwd, 'gradtune.db'));
  try {
    return await store.trials((await store.getStudy('quick-iris'))!.id);
  } finally {
    await store.close();
  }
}

const slot = (t: TrialRecord) => {
  const s = t.slot as HyperbandSlot;
  return `${s.iteration}:${s.bracket}:${s.round}`;
};

describe('gradtune search --algo hyperband', () => {
  it('is the default algorithm of gradtune search, and --max-trials caps its schedule', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    // runCli adds --algo random to a search without --algo; the CLI is spawned directly here.
    const { spawnSync } = await import('node:child_process');
    const { CLI } = await import('./helpers/cli.js');
    const out = spawnSync(process.execPath, [CLI, 'search', '--space', 'quick', '--dataset', 'iris', '--max-epochs', '9', '--max-trials', '5', '--workers', '1'], { cwd, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^reached --max-trials 5$/m);
    const store = await openSqliteStore(join(cwd, 'gradtune.db'));
    const study = (await store.getStudy('quick-iris'))!;
    expect(study.algorithm).toBe('hyperband');
    const trials = await store.trials(study.id);
    await store.close();
    expect(trials).toHaveLength(5);
    // The first bracket's first round: fresh configurations trained to 1 epoch.
    for (const t of trials) expect([t.parent, t.fromEpoch, t.toEpoch]).toEqual([null, 0, 1]);
  });

  it('runs the whole schedule with promotions that continue their parents, the same configurations with 1 or 2 workers', { timeout: 120_000 }, async () => {
    const [two, one] = [tempDir(), tempDir()];
    const [a] = await Promise.all([runOk([...ARGS, '--workers', '2'], { cwd: two, timeoutMs: 100_000 }), runOk([...ARGS, '--workers', '1'], { cwd: one, timeoutMs: 100_000 })]);
    expect(a.stdout).toMatch(/the Hyperband schedule is complete/);
    const schedule = hyperbandSchedule({ maxEpochs: 9, factor: 3 });
    const trials = await storedTrials(two);
    expect(trials).toHaveLength(schedule.totalTrials);
    for (const b of schedule.brackets) {
      for (const r of b.rounds) {
        const here = trials.filter((t) => slot(t) === `0:${b.bracket}:${r.round}`);
        expect(here, `bracket ${b.bracket} round ${r.round}`).toHaveLength(r.trials);
        for (const t of here) {
          expect(t.status).toBe('completed');
          expect([t.fromEpoch, t.toEpoch]).toEqual([r.fromEpoch, r.toEpoch]);
          // Epochs continue the parent's numbering; early stopping may end a round sooner.
          expect(t.history[0].epoch).toBe(r.fromEpoch + 1);
          expect(t.history.at(-1)!.epoch).toBeLessThanOrEqual(r.toEpoch);
          if (r.round === 0) expect(t.parent).toBeNull();
          else {
            const parent = trials[t.parent!];
            expect(slot(parent)).toBe(`0:${b.bracket}:${r.round - 1}`);
            expect(parent.params).toEqual(t.params);
          }
        }
      }
    }
    // Fresh configurations per slot are the same whatever the number of workers.
    const fresh = (ts: TrialRecord[]) => ts.filter((t) => t.parent === null).map((t) => `${slot(t)} ${paramsKey(t.params)}`).sort();
    expect(fresh(await storedTrials(one))).toEqual(fresh(trials));
    // And so are the results: a trial is seeded from its configuration and epochs, not from
    // the number the race between workers gave it, so every slot holds the same work with
    // the same scores and histories (promotions included).
    const results = (ts: TrialRecord[]) =>
      ts.map((t) => `${slot(t)} ${paramsKey(t.params)} ${t.fromEpoch}-${t.toEpoch} ${t.score} ${t.history.map((h) => h.val_loss).join(',')}`).sort();
    expect(results(await storedTrials(one))).toEqual(results(trials));
  });

  it('refuses a factor below 2 and zero epochs, in one line, writing nothing', async () => {
    for (const [flags, message] of [
      [['--factor', '1'], /--factor must be a whole number >= 2, got 1/],
      [['--max-epochs', '0'], /--max-epochs/],
    ] as const) {
      const cwd = tempDir();
      const args = [...ARGS.filter((x, i, all) => !(x === flags[0] || all[i - 1] === flags[0])), ...flags];
      const { code, stderr } = await runCli(args, { cwd });
      expect(code, stderr).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
      expect(existsSync(join(cwd, 'gradtune.db'))).toBe(false);
    }
  });
});

describe('lineage in the reports of a Hyperband study', () => {
  it('every format, best and report --trial carry parent, slot and epoch range; promotions never look like duplicates', { timeout: 150_000 }, async () => {
    const cwd = tempDir();
    await runOk([...ARGS, '--workers', '2'], { cwd, timeoutMs: 120_000 });
    const trials = await storedTrials(cwd);
    const promoted = trials.filter((t) => t.parent !== null);
    expect(promoted.length).toBeGreaterThan(2);
    // A chain of two promotions: round 2 of bracket 2.
    const grandchild = promoted.find((t) => trials[t.parent!].parent !== null)!;
    expect(grandchild).toBeDefined();

    const [table, csv, md, json, best, bestJson, one] = await Promise.all([
      runOk(['report', '--study', 'quick-iris'], { cwd }),
      runOk(['report', '--study', 'quick-iris', '--format', 'csv'], { cwd }),
      runOk(['report', '--study', 'quick-iris', '--format', 'md'], { cwd }),
      runOk(['report', '--study', 'quick-iris', '--format', 'json'], { cwd }),
      runOk(['best', '--study', 'quick-iris'], { cwd }),
      runOk(['best', '--study', 'quick-iris', '--json'], { cwd }),
      runOk(['report', '--study', 'quick-iris', '--trial', String(grandchild.number)], { cwd }),
    ]);

    // Table: one row per trial; rows of one configuration differ in their epoch range and parent.
    const rows = table.stdout.split('\n').filter((l) => l.startsWith('│')).map((l) => l.split('│').slice(1, -1).map((c) => c.trim()));
    const [head, ...body] = rows;
    expect(head.slice(0, 7)).toEqual(['rank', 'trial', 'status', 'val_accuracy', 'epochs', 'parent', 'bracket/round']);
    expect(body).toHaveLength(trials.length);
    const cell = (t: TrialRecord, col: string) => body.find((r) => r[1] === String(t.number))![head.indexOf(col)];
    for (const t of promoted) {
      expect(cell(t, 'parent')).toBe(String(t.parent));
      expect(cell(t, 'epochs')).toBe(`${t.fromEpoch}→${t.fromEpoch! + t.epochsRun}`);
      expect(cell(t, 'bracket/round')).toBe(`${(t.slot as HyperbandSlot).bracket}/${(t.slot as HyperbandSlot).round}`);
    }
    const withoutRank = body.map((r) => r.slice(1).join('|'));
    expect(new Set(body.map((r) => r.slice(2).join('|'))).size).toBe(body.length);
    expect(new Set(withoutRank).size).toBe(body.length);

    // CSV: numbers a script can join on, hyperparameters under param:.
    const records: Array<Record<string, string>> = parse(csv.stdout, { columns: true });
    expect(Object.keys(records[0])).toEqual(expect.arrayContaining(['parent', 'from_epoch', 'to_epoch', 'best_epoch', 'slot:bracket', 'slot:round', 'param:learning_rate']));
    expect(Object.keys(records[0]).filter((k) => k === 'epochs')).toHaveLength(1);
    for (const t of promoted) {
      const r = records.find((x) => x.trial === String(t.number))!;
      expect([r.parent, r.from_epoch, r.to_epoch, r['slot:round']]).toEqual([String(t.parent), String(t.fromEpoch), String(t.fromEpoch! + t.epochsRun), String((t.slot as HyperbandSlot).round)]);
    }

    expect(md.stdout).toMatch(/^\| rank \| trial \| status \| val_accuracy \| epochs \| parent \| bracket\/round \|.*\| param:learning_rate \|/m);

    const doc = JSON.parse(json.stdout) as { trials: Array<{ number: number; parent: number | null; fromEpoch: number; toEpoch: number; slot: unknown }> };
    const g = doc.trials.find((t) => t.number === grandchild.number)!;
    expect(g).toMatchObject({ parent: grandchild.parent, fromEpoch: grandchild.fromEpoch, toEpoch: grandchild.fromEpoch! + grandchild.epochsRun, slot: grandchild.slot });

    // best: its best epoch set against the epochs it trained, never "best epoch 23 of 18".
    const first = best.stdout.split('\n')[0];
    const b = JSON.parse(bestJson.stdout) as { trial: number; bestEpoch: number; fromEpoch: number; toEpoch: number; parent: number | null; lineage: number[] };
    expect(b.bestEpoch).toBeGreaterThan(b.fromEpoch);
    expect(b.bestEpoch).toBeLessThanOrEqual(b.toEpoch);
    expect(b.lineage.at(-1)).toBe(b.trial);
    if (b.parent === null) expect(first).toMatch(new RegExp(`best epoch ${b.bestEpoch} of ${b.toEpoch}$`));
    else {
      expect(first).toContain(`best epoch ${b.bestEpoch} (epochs ${b.fromEpoch + 1}–${b.toEpoch} trained by this trial, continuing trial ${b.parent})`);
      expect(best.stdout).toMatch(/^ {2}lineage: {2}trial \d+ \(0→\d+\) → /m);
    }

    // report --trial: the whole chain.
    const parent = trials[grandchild.parent!];
    const root = trials[parent.parent!];
    expect(one.stdout).toContain(
      `  lineage             trial ${root.number} (0→${root.epochsRun}) → trial ${parent.number} (${parent.fromEpoch}→${parent.fromEpoch! + parent.epochsRun}) → trial ${grandchild.number} (${grandchild.fromEpoch}→${grandchild.fromEpoch! + grandchild.epochsRun})`,
    );
    expect(one.stdout).toContain(`  schedule            bracket ${(grandchild.slot as HyperbandSlot).bracket}, round ${(grandchild.slot as HyperbandSlot).round}`);
  });
});
