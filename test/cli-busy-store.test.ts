// Another process holding the store's write lock for a while: a running search waits and
// goes on; one that stays locked past the busy timeout ends with one line, not a stack.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runOk, startCli, tempDir } from './helpers/cli.js';

// Trials of 20 epochs (about 0.25 s each): long enough that the search is still running
// when the test takes the lock; at 2 epochs 30 trials finished before the lock was held.
const SEARCH = ['search', '--space', 'quick', '--dataset', 'iris', '--max-epochs', '20', '--workers', '1', '--algo', 'random'];

async function holdLock(file: string, ms: number): Promise<void> {
  const db = new Database(file);
  db.exec('BEGIN IMMEDIATE');
  await new Promise((r) => setTimeout(r, ms));
  db.exec('ROLLBACK');
  db.close();
}

async function waitForTrials(cli: ReturnType<typeof startCli>, n: number): Promise<void> {
  const until = Date.now() + 90_000;
  while ((cli.output().stdout.match(/^trial \d+ /gm) ?? []).length < n) {
    if (cli.child.exitCode !== null || Date.now() > until) throw new Error(`search ended early: ${JSON.stringify(cli.output())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a busy store', () => {
  it('a lock held for a few seconds: the search waits for it and completes', { timeout: 180_000 }, async () => {
    const cwd = tempDir();
    await runOk([...SEARCH, '--max-trials', '1'], { cwd });
    const cli = startCli([...SEARCH, '--max-trials', '6'], { cwd });
    await waitForTrials(cli, 1);
    const held = holdLock(join(cwd, 'gradtune.db'), 4000);
    expect(cli.child.exitCode, 'the search ended before the lock was held').toBeNull();
    await held;
    const done = await cli.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/reached --max-trials 6/);
  });

  it('a lock held past the busy timeout: one line, exit 2, and the same command continues', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    await runOk([...SEARCH, '--max-trials', '1'], { cwd });
    const cli = startCli([...SEARCH, '--max-trials', '40'], { cwd, env: { GRADTUNE_BUSY_TIMEOUT: '2' } });
    await waitForTrials(cli, 1);
    const held = holdLock(join(cwd, 'gradtune.db'), 8000);
    expect(cli.child.exitCode, 'the search ended before the lock was held').toBeNull();
    await held;
    const done = await cli.done;
    expect(done.code, done.stdout).toBe(2);
    expect(done.stderr).toMatch(/^gradtune: error: store gradtune\.db stayed locked by another process for 2 s/);
    expect(done.stderr.trim().split('\n')).toHaveLength(1);
    const again = await runOk([...SEARCH, '--max-trials', '40'], { cwd, timeoutMs: 200_000 });
    expect(again.stdout).toMatch(/reached --max-trials 40/);
  });
});
