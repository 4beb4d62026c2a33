// --repair through the command line on deep-sigmoid: every repair links to the rejected
// trial it repairs and differs from it only in one of that trial's remedies; a search
// killed with kill -9 and run again ends with its trials whole, each rejected trial
// repaired at most once, and the report, best and the leaderboard say so.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli, runOk, startCli, tempDir, type RunningCli } from './helpers/cli.js';
import type { Finding, Remedy } from '../src/train/diagnostics-types.js';
import { applyRemedy } from '../src/remedy/apply.js';
import { paramsKey } from '../src/space/params.js';

interface ReportTrial {
  number: number;
  status: string;
  params: Record<string, string | number | boolean>;
  repairOf: number | null;
  gradients: { findings?: Finding[]; rejectedBy?: string } | null;
}

const SEARCH = ['search', '--space', 'deep-sigmoid', '--dataset', 'digits', '--algo', 'random', '--max-epochs', '1', '--workers', '2', '--seed', '3', '--repair', '--storage', 'study.db'];

async function report(cwd: string): Promise<ReportTrial[]> {
  const out = await runOk(['report', '--study', 'deep-sigmoid-digits', '--storage', 'study.db', '--format', 'json'], { cwd });
  return (JSON.parse(out.stdout) as { trials: ReportTrial[] }).trials.sort((a, b) => a.number - b.number);
}

/** Each repair: the remedy of its original that it applied (the first one untried when it was asked for). */
function expectRepairsLinked(trials: ReportTrial[]): void {
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  const repairs = trials.filter((t) => t.repairOf !== null);
  for (const r of repairs) {
    const original = byNumber.get(r.repairOf!)!;
    const context = `trial ${r.number} repairs ${original.number}`;
    expect(original.status, context).toBe('rejected');
    const remedies: Remedy[] = (original.gradients!.findings ?? []).flatMap((f) => f.remedies ?? []);
    const applied = remedies.find((m) => paramsKey(applyRemedy(original.params, m)) === paramsKey(r.params));
    expect(applied, `${context}: its params are one remedy away`).toBeDefined();
    // Only the remedy's parameters differ.
    const changed = Object.keys({ ...original.params, ...r.params }).filter((k) => original.params[k] !== r.params[k]);
    expect(changed.sort(), context).toEqual([...applied!.changes.map((c) => c.param), ...applied!.drops].sort());
    // The remedies before it would have repeated a configuration the study had run before the repair.
    for (const earlier of remedies.slice(0, remedies.indexOf(applied!))) {
      const key = paramsKey(applyRemedy(original.params, earlier));
      expect(trials.some((t) => t.number < r.number && paramsKey(t.params) === key), `${context}: skipped a remedy never tried`).toBe(true);
    }
  }
  // One repair per rejected trial at most, and no configuration twice.
  expect(new Set(repairs.map((r) => r.repairOf)).size).toBe(repairs.length);
  expect(new Set(trials.map((t) => paramsKey(t.params))).size).toBe(trials.length);
}

function storeTrials(file: string): { number: number; status: string }[] {
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hasTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'trials'`).get();
    return hasTable ? (db.prepare('SELECT number, status FROM trials ORDER BY number').all() as { number: number; status: string }[]) : [];
  } finally {
    db.close();
  }
}

async function killWhen(cli: RunningCli, file: string, ready: (rows: { number: number; status: string }[]) => boolean): Promise<void> {
  const until = Date.now() + 150_000;
  while (!ready(storeTrials(file))) {
    if (cli.child.exitCode !== null) throw new Error(`gradtune exited before it could be killed:\n${cli.output().stdout}\n${cli.output().stderr}`);
    if (Date.now() > until) throw new Error('timed out waiting to kill the search');
    await new Promise((r) => setTimeout(r, 100));
  }
  cli.child.kill('SIGKILL');
  expect((await cli.done).signal).toBe('SIGKILL');
}

describe('gradtune search --repair', () => {
  it('repairs rejected deep-sigmoid trials with their remedies, and reports them as repairs', { timeout: 300_000 }, async () => {
    const cwd = tempDir();
    const search = await runOk([...SEARCH, '--max-trials', '8'], { cwd, timeoutMs: 280_000 });
    const trials = await report(cwd);
    expect(trials).toHaveLength(8);
    const repairs = trials.filter((t) => t.repairOf !== null);
    expect(repairs.length, search.stdout).toBeGreaterThan(0);
    expectRepairsLinked(trials);
    // Shown as such: in the progress lines, the leaderboard's findings and the trial report.
    for (const r of repairs) expect(search.stdout).toMatch(new RegExp(`^trial ${r.number} \\(repair of ${r.repairOf}\\) `, 'm'));
    expect(search.stdout).toMatch(/^findings: \d+ of 8 trials (vanished|exploded).*; repaired \d+ times?, \d+ completed/m);
    const first = repairs[0];
    const detail = await runOk(['report', '--study', 'deep-sigmoid-digits', '--storage', 'study.db', '--trial', String(first.number)], { cwd });
    expect(detail.stdout).toMatch(new RegExp(`^  repairs +trial ${first.repairOf} \\(`, 'm'));
    const original = await runOk(['report', '--study', 'deep-sigmoid-digits', '--storage', 'study.db', '--trial', String(first.repairOf)], { cwd });
    expect(original.stdout).toMatch(new RegExp(`^  repaired by +trial ${first.number} \\(`, 'm'));
    expect(original.stdout).toMatch(/^findings and remedies\n  (vanishing|exploding) \(rejected the trial\) /m);
    expect(original.stdout).toMatch(/^    remedy 1 +\S/m);
  });

  it('survives kill -9: the same command completes the study, repairs linked and none twice', { timeout: 400_000 }, async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'study.db');
    const args = [...SEARCH, '--max-trials', '7'];
    // Killed once a repair is running (or has run) and another trial with it.
    await killWhen(startCli(args, { cwd, timeoutMs: 300_000 }), file, (rows) => rows.length >= 4 && rows.some((r) => r.status === 'running'));
    const after = await runCli(args, { cwd, timeoutMs: 300_000 });
    expect(after.code, after.stdout + after.stderr).toBe(0);
    const trials = await report(cwd);
    expect(trials.map((t) => t.number)).toEqual([...Array(7).keys()]);
    expect(trials.filter((t) => t.status === 'running' || t.status === 'stale')).toEqual([]);
    expectRepairsLinked(trials);
  });

  it('refuses --repair with --no-reject, and --max-repairs without --repair', { timeout: 150_000 }, async () => {
    const cwd = tempDir();
    const noReject = await runCli([...SEARCH, '--no-reject'], { cwd });
    expect(noReject.code).toBe(2);
    expect(noReject.stderr).toMatch(/^gradtune: error: --repair repairs rejected trials, and --no-reject rejects none/m);
    const maxRepairs = await runCli(['search', '--space', 'deep-sigmoid', '--max-repairs', '2', '--storage', 'study.db'], { cwd });
    expect(maxRepairs.code).toBe(2);
    expect(maxRepairs.stderr).toMatch(/--max-repairs applies with --repair/);
    const rejectOn = await runCli([...SEARCH, '--reject-on', 'overfitting,boredom'], { cwd });
    expect(rejectOn.code).toBe(2);
    expect(rejectOn.stderr).toMatch(/--reject-on \(rejectOn\) takes findings from/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});
