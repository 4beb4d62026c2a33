// --algo asha through the CLI on iris: promotions continue their parent's checkpoint in
// the next rung, the slot is stored and reported as ASHA's, and a search killed with
// SIGKILL and run again completes with no rung decision lost or made twice.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli, runOk, startCli, tempDir, type RunningCli } from './helpers/cli.js';

interface Row {
  number: number;
  status: string;
  params_json: string;
  score: number | null;
  parent: number | null;
  from_epoch: number | null;
  to_epoch: number | null;
  slot_json: string | null;
  attempt: number;
  epochs_run: number;
  has_checkpoint: number;
}

function rows(file: string): Row[] {
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'trials'`).get()) return [];
    return db
      .prepare('SELECT number, status, params_json, score, parent, from_epoch, to_epoch, slot_json, attempt, epochs_run, (checkpoint IS NOT NULL) AS has_checkpoint FROM trials ORDER BY number')
      .all() as Row[];
  } finally {
    db.close();
  }
}

const rung = (r: Row) => (JSON.parse(r.slot_json!) as { kind: string; rung: number }).rung;
const RUNGS = [1, 3, 9];

/** What holds whatever the timing: each promotion continues a completed trial of the rung below, once. */
function expectRungsConsistent(all: Row[], maxTrials: number): void {
  expect(all.map((r) => r.number)).toEqual([...Array(maxTrials).keys()]);
  expect(all.filter((r) => r.status === 'running' || r.status === 'stale')).toEqual([]);
  for (const r of all) expect(JSON.parse(r.slot_json!)).toEqual({ kind: 'asha', rung: rung(r) });
  const promotions = all.filter((r) => r.parent !== null);
  expect(promotions.length).toBeGreaterThan(0);
  // Never the same parent twice: no rung decision made twice.
  expect(new Set(promotions.map((r) => r.parent)).size).toBe(promotions.length);
  for (const p of promotions) {
    const parent = all[p.parent!];
    expect(parent.status).toBe('completed');
    expect(rung(p)).toBe(rung(parent) + 1);
    expect(p.params_json).toBe(parent.params_json);
    expect([p.from_epoch, p.to_epoch]).toEqual([RUNGS[rung(p) - 1], RUNGS[rung(p)]]);
  }
  for (const f of all.filter((r) => r.parent === null)) expect([rung(f), f.from_epoch, f.to_epoch]).toEqual([0, 0, 1]);
  // Fresh configurations are all different.
  const fresh = all.filter((r) => r.parent === null).map((r) => r.params_json);
  expect(new Set(fresh).size).toBe(fresh.length);
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, cli: RunningCli, timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (cli.child.exitCode !== null) throw new Error(`gradtune exited (${cli.child.exitCode}) before ${what}:\n${cli.output().stdout}\n${cli.output().stderr}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ASHA = ['--space', 'quick', '--dataset', 'iris', '--algo', 'asha', '--max-epochs', '9', '--factor', '3', '--storage', 'study.db'];

describe('gradtune search --algo asha', () => {
  it('kill -9 while a promotion runs, then the same command: the search of an uninterrupted run, no rung decision lost or made twice', { timeout: 400_000 }, async () => {
    // One worker: ASHA's decisions then follow from the seed alone, so the resumed search
    // must be exactly the uninterrupted one (trials, promotions, scores).
    const args = ['search', ...ASHA, '--max-trials', '12', '--workers', '1'];
    const clean = tempDir();
    await runOk(args, { cwd: clean, timeoutMs: 200_000 });
    const expected = rows(path.join(clean, 'study.db'));
    expectRungsConsistent(expected, 12);

    // Killed while a promoted trial (the continuation of a checkpoint) is running. A
    // promotion on iris takes tens of milliseconds: when it finished between the look and
    // the kill (the store says so after the kill), the kill missed it; start over.
    let cwd = '';
    let file = '';
    let victim: Row | undefined;
    for (let tries = 0; tries < 5 && !victim; tries++) {
      cwd = tempDir();
      file = path.join(cwd, 'study.db');
      const cli = startCli(args, { cwd, timeoutMs: 200_000 });
      const running = await waitFor('a promotion running', () => rows(file).find((r) => r.status === 'running' && r.parent !== null), cli);
      cli.child.kill('SIGKILL');
      expect((await cli.done).signal).toBe('SIGKILL');
      if (rows(file)[running.number]?.status === 'running') victim = running;
    }
    if (!victim) throw new Error('in 5 tries, every promotion finished before the kill reached it');
    await runOk(args, { cwd, timeoutMs: 200_000 });
    const after = rows(file);
    expectRungsConsistent(after, 12);
    const again = after[victim.number];
    expect([again.params_json, again.parent, again.slot_json]).toEqual([victim.params_json, victim.parent, victim.slot_json]);
    expect(again.attempt).toBe(2);
    const shape = (r: Row) => [r.number, r.status, r.params_json, r.parent, r.slot_json, r.from_epoch, r.to_epoch, r.score];
    expect(after.map(shape)).toEqual(expected.map(shape));
  });

  it('with two workers: promotions as results come, each at most once, reported as ASHA rungs; keeps the checkpoints a promotion may still need', { timeout: 400_000 }, async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'study.db');
    const args = ['search', ...ASHA, '--max-trials', '14', '--workers', '2', '--keep-checkpoints', '1'];
    const cli = startCli(args, { cwd, timeoutMs: 200_000 });
    await waitFor('four finished trials', () => rows(file).filter((r) => r.status === 'completed').length >= 4 && rows(file).some((r) => r.status === 'running'), cli);
    cli.child.kill('SIGKILL');
    await cli.done;
    const midway = rows(file);
    // Killed midway: a completed trial below the top rung not yet continued keeps its checkpoint (a promotion may come).
    const promotable = midway.filter((r) => r.status === 'completed' && rung(r) < 2 && !midway.some((c) => c.parent === r.number && c.status === 'completed'));
    expect(promotable.length).toBeGreaterThan(0);
    for (const r of promotable) expect(r.has_checkpoint, `trial ${r.number}`).toBe(1);

    await runOk(args, { cwd, timeoutMs: 200_000 });
    const all = rows(file);
    expectRungsConsistent(all, 14);
    // The search ended: only the best trial's checkpoint is left (--keep-checkpoints 1).
    expect(all.filter((r) => r.has_checkpoint).length).toBe(1);

    const json = JSON.parse((await runOk(['report', '--study', 'quick-iris', '--storage', 'study.db', '--format', 'json'], { cwd })).stdout) as { study: { algorithm: string; settings: Record<string, unknown> } };
    expect(json.study.algorithm).toBe('asha');
    expect(json.study.settings.asha).toEqual({ factor: 3, minEpochs: 1 });
    const promoted = all.find((r) => r.parent !== null)!;
    const one = (await runOk(['report', '--study', 'quick-iris', '--storage', 'study.db', '--trial', String(promoted.number)], { cwd })).stdout;
    expect(one).toContain(`ASHA rung           ${rung(promoted)}: epochs ${promoted.from_epoch}→${promoted.to_epoch}, continues trial ${promoted.parent}`);

    // The study keeps its settings.
    const r = await runCli(['search', '--space', 'quick', '--dataset', 'iris', '--algo', 'asha', '--max-epochs', '9', '--factor', '2', '--storage', 'study.db', '--max-trials', '20'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/created with --factor 3, not 2/);
  });
});
