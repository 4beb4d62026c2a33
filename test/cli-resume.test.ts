// Nothing lost: a search killed (kill -9) or interrupted (Ctrl-C) and run again ends with
// exactly its target, re-running the trials that were running under their own numbers
// and params; failures, retries and timeouts; several processes on one study.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { fixture, runCli, runOk, startCli, tempDir, type RunningCli } from './helpers/cli.js';

interface TrialRow {
  number: number;
  status: string;
  params_json: string;
  attempt: number;
  retries: number;
  error: string | null;
  slot_json: string | null;
  parent: number | null;
  owner: string | null;
}

/** The study's trials as the store holds them, read without writing anything. */
function trials(file: string): TrialRow[] {
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hasTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'trials'`).get();
    return hasTable ? (db.prepare('SELECT number, status, params_json, attempt, retries, error, slot_json, parent, owner FROM trials ORDER BY number').all() as TrialRow[]) : [];
  } finally {
    db.close();
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, cli: RunningCli, timeoutMs = 40_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (cli.child.exitCode !== null) throw new Error(`gradtune exited (${cli.child.exitCode}) before ${what}:\n${cli.output().stdout}\n${cli.output().stderr}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const finished = (rows: TrialRow[]) => rows.filter((t) => t.status !== 'running' && t.status !== 'stale');

/** Numbers 0..n-1 once each, nothing left running, no configuration twice (per slot for Hyperband). */
function expectWhole(rows: TrialRow[], n: number, key: (t: TrialRow) => string = (t) => t.params_json): void {
  expect(rows.map((t) => t.number)).toEqual([...Array(n).keys()]);
  expect(rows.filter((t) => t.status === 'running' || t.status === 'stale')).toEqual([]);
  expect(new Set(rows.map(key)).size).toBe(n);
}

/** Kills the search with SIGKILL once `minFinished` trials are done and some are running; returns those. */
async function killMidway(cli: RunningCli, file: string, minFinished: number): Promise<TrialRow[]> {
  const running = await waitFor(
    `${minFinished} finished trials and one running`,
    () => {
      const rows = trials(file);
      const now = rows.filter((t) => t.status === 'running');
      return finished(rows).length >= minFinished && now.length > 0 && now;
    },
    cli,
  );
  cli.child.kill('SIGKILL');
  const result = await cli.done;
  expect(result.signal).toBe('SIGKILL');
  // A trial of a few milliseconds may finish between the look and the kill: the killed
  // ones are those the store still has running.
  const killed = trials(file).filter((t) => t.status === 'running');
  expect(killed.length, 'every running trial finished before the kill reached it').toBeGreaterThan(0);
  return running.filter((t) => killed.some((k) => k.number === t.number && k.attempt === t.attempt));
}

/** The trials that were running when the search died ran again: same numbers, same params, a later attempt. */
function expectRerun(before: TrialRow[], after: TrialRow[]): void {
  for (const t of before) {
    const now = after.find((a) => a.number === t.number)!;
    expect(now.params_json).toBe(t.params_json);
    expect(now.slot_json).toBe(t.slot_json);
    expect(now.attempt).toBeGreaterThan(t.attempt);
  }
}

const QUICK = ['--space', 'quick', '--dataset', 'iris', '--workers', '2', '--storage', 'study.db'];

describe('kill -9 and resume', () => {
  it('random search: the same command again completes exactly --max-trials, with the configurations of an uninterrupted run', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'study.db');
    const args = ['search', ...QUICK, '--algo', 'random', '--max-trials', '8', '--max-epochs', '4'];
    // A random moment: after 1 to 3 finished trials.
    const running = await killMidway(startCli(args, { cwd }), file, 1 + Math.floor(Math.random() * 3));
    await runOk(args, { cwd });
    const after = trials(file);
    expectWhole(after, 8);
    expectRerun(running, after);

    // Trial n's configuration depends on (seed, n) only: the interruption changed nothing.
    const clean = tempDir();
    await runOk(args, { cwd: clean });
    expect(after.map((t) => t.params_json)).toEqual(trials(path.join(clean, 'study.db')).map((t) => t.params_json));
  }, 120_000);

  it('grid search: every combination exactly once after a kill', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'study.db');
    const args = ['search', ...QUICK, '--algo', 'grid', '--max-trials', '10', '--max-epochs', '3'];
    const running = await killMidway(startCli(args, { cwd }), file, 2);
    await runOk(args, { cwd });
    const after = trials(file);
    expectWhole(after, 10);
    expectRerun(running, after);
  }, 120_000);

  it('hyperband: the schedule completes, lost trials re-run in their own bracket and round', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'study.db');
    const hb = ['--algo', 'hyperband', '--max-epochs', '9', '--factor', '3'];
    const plan = JSON.parse((await runOk(['plan', ...hb, '--json'], { cwd })).stdout) as {
      brackets: { bracket: number; rounds: { trials: number }[] }[];
      totalTrials: number;
    };
    const args = ['search', ...QUICK, ...hb];
    const running = await killMidway(startCli(args, { cwd }), file, 3);
    await runOk(args, { cwd });
    const after = trials(file);
    // A promotion continues a configuration, so a config appears once per slot, not once overall.
    expectWhole(after, plan.totalTrials, (t) => `${t.slot_json} ${t.params_json}`);
    expectRerun(running, after);
    // Each round of each bracket holds the planned number of trials.
    const perRound = new Map<string, number>();
    for (const t of after) {
      const slot = JSON.parse(t.slot_json!) as { bracket: number; round: number };
      const key = `${slot.bracket}/${slot.round}`;
      perRound.set(key, (perRound.get(key) ?? 0) + 1);
    }
    const planned = new Map(plan.brackets.flatMap((b) => b.rounds.map((r, i) => [`${b.bracket}/${i}`, r.trials] as const)));
    expect(Object.fromEntries(perRound)).toEqual(Object.fromEntries(planned));
  }, 150_000);
});

describe('Ctrl-C', () => {
  // Slow trials to interrupt; the resume shortens them (same params) so it finishes quickly.
  const SLOW = ['search', '--space', fixture('slow-space.ts'), '--dataset', 'iris', '--max-epochs', '400', '--workers', '1', '--storage', 'study.db', '--max-trials', '3'];
  const shortTrials = { GRADTUNE_SLOW_EPOCHS: '2' };

  it('stops gracefully: the running trial is given back, the leaderboard printed, exit 130; the same command resumes it', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'study.db');
    const cli = startCli(SLOW, { cwd });
    const [running] = await waitFor('a running trial', () => trials(file).filter((t) => t.status === 'running').length > 0 && trials(file), cli);
    cli.child.kill('SIGINT');
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/interrupted: stopping the running trials/);
    expect(result.stdout).toMatch(/interrupted: the trials that were running will run again/);
    expect(result.stdout).toMatch(/rank/); // the leaderboard so far
    expect(trials(file).find((t) => t.number === running.number)!.status).toBe('stale');

    // The stale trial runs first.
    const resumed = await runOk(SLOW, { cwd, env: shortTrials });
    expect(resumed.stdout).toMatch(new RegExp(`trial ${running.number} runs again \\(its process was lost\\)`));
    const after = trials(file);
    expectWhole(after, 3);
    expectRerun([running], after);
  }, 120_000);

  it('a second Ctrl-C exits at once; a resume re-runs the abandoned trial without waiting out the grace period', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'study.db');
    const cli = startCli(SLOW, { cwd });
    const running = await waitFor('a running trial', () => trials(file).filter((t) => t.status === 'running').length > 0 && trials(file), cli);
    cli.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 20));
    cli.child.kill('SIGINT');
    const result = await cli.done;
    expect(result.code).toBe(130);
    // A grace period longer than the test: only the dead owner's pid can free the trial.
    const resumed = await runOk([...SLOW, '--stale-after', '600'], { cwd, env: shortTrials, timeoutMs: 60_000 });
    const after = trials(file);
    expectWhole(after, 3);
    expectRerun(running.filter((t) => t.status === 'running'), after);
    expect(resumed.stdout).toMatch(/runs again \(its process was lost\)/);
  }, 120_000);
});

describe('failures', () => {
  it('stops after --max-consecutive-failures trials fail in a row, naming the last error', async () => {
    const cwd = tempDir();
    const result = await runCli(['search', '--space', fixture('broken-space.ts'), '--dataset', 'iris', '--max-trials', '10', '--workers', '1', '--max-consecutive-failures', '2'], { cwd });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^gradtune: error: stopped after 2 trials in a row failed \(--max-consecutive-failures 2\); the last, trial 1, failed with: TypeError: fixture: a model of \d+ units cannot be built/);
    const rows = trials(path.join(cwd, 'gradtune.db'));
    expect(rows.map((t) => t.status)).toEqual(['failed', 'failed']);
    // The message and the stack are stored.
    expect(rows[0].error).toMatch(/^TypeError: fixture: a model of \d+ units cannot be built\n\s+at /);
  }, 60_000);

  it('defaults to stopping after 3 consecutive failures', async () => {
    const cwd = tempDir();
    const result = await runCli(['search', '--space', fixture('broken-space.ts'), '--dataset', 'iris', '--max-trials', '10', '--workers', '1'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/stopped after 3 trials in a row failed/);
    expect(trials(path.join(cwd, 'gradtune.db'))).toHaveLength(3);
  }, 60_000);

  it('--max-retries runs a failed trial again with the same number and params', async () => {
    const cwd = tempDir();
    const result = await runOk(['search', '--space', fixture('flaky-space.ts'), '--dataset', 'iris', '--max-trials', '3', '--workers', '1', '--max-retries', '1'], {
      cwd,
      env: { GRADTUNE_FLAKY_DIR: cwd },
    });
    expect(result.stdout).toMatch(/trial 0 runs again \(retry 1 of a failed trial\), same params/);
    const rows = trials(path.join(cwd, 'gradtune.db'));
    expect(rows.map((t) => [t.number, t.status, t.retries])).toEqual([
      [0, 'completed', 1],
      [1, 'completed', 1],
      [2, 'completed', 1],
    ]);
  }, 60_000);

  it('--trial-timeout ends a trial that runs too long as failed; its worker is replaced and the search goes on', async () => {
    const cwd = tempDir();
    const result = await runOk(
      ['search', '--space', fixture('slow-space.ts'), '--dataset', 'iris', '--max-epochs', '400', '--max-trials', '2', '--workers', '1', '--trial-timeout', '1.5'],
      { cwd },
    );
    expect(result.stdout).toMatch(/trial 1 failed/);
    const rows = trials(path.join(cwd, 'gradtune.db'));
    expect(rows.map((t) => t.status)).toEqual(['failed', 'failed']);
    for (const t of rows) expect(t.error).toMatch(/^timed out after 1.5 s \(--trial-timeout\); its worker was replaced$/);
  }, 60_000);

  it.each([
    [['--max-retries', '-1'], /--max-retries must be a whole number >= 0/],
    [['--max-consecutive-failures', '0'], /--max-consecutive-failures must be a whole number >= 1/],
    [['--trial-timeout', '0'], /--trial-timeout must be a number of seconds > 0/],
    [['--heartbeat-interval', '10', '--stale-after', '15'], /--stale-after \(15 s\) must be at least twice --heartbeat-interval \(10 s\)/],
  ])('refuses %j with one line, exit 2, nothing written', async (flags, message) => {
    const cwd = tempDir();
    const result = await runCli(['search', '--dataset', 'iris', ...flags], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});

describe('several processes, one SQLite study', () => {
  it('three searches started at once share the work: the target, no duplicates, no lock errors', async () => {
    const cwd = tempDir();
    const args = ['search', '--space', 'quick', '--dataset', 'iris', '--max-trials', '9', '--max-epochs', '3', '--workers', '1', '--study', 'shared', '--storage', 'shared.db'];
    const results = await Promise.all([0, 1, 2].map(() => startCli(args, { cwd, timeoutMs: 90_000 }).done));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/locked|busy/i);
    }
    const rows = trials(path.join(cwd, 'shared.db'));
    expectWhole(rows, 9);
    // The work was shared, not done by whichever process started first.
    expect(new Set(rows.map((t) => t.owner)).size).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
