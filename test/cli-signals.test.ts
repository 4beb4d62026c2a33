// A search stopped from outside ends the way Ctrl-C ends it: SIGTERM (kill, systemd,
// Docker, CI) and a reader that leaves (`| head -3`) give the running trials back to the
// store and exit with their own code (143, 141), never with an EPIPE stack or the wasm
// backend's minified source; a study deleted under a running search (--overwrite in
// another process) ends it with one line. And --workers far above the cores is capped.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CLI, fixture, runOk, startCli, tempDir, type RunningCli } from './helpers/cli.js';

interface Row {
  study_id: number;
  number: number;
  status: string;
  params_json: string;
}

function rows(file: string): Row[] {
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hasTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'trials'`).get();
    return hasTable ? (db.prepare('SELECT study_id, number, status, params_json FROM trials ORDER BY number').all() as Row[]) : [];
  } finally {
    db.close();
  }
}

async function waitForRunning(file: string, cli: RunningCli): Promise<Row[]> {
  const until = Date.now() + 60_000;
  for (;;) {
    const now = rows(file);
    if (now.some((r) => r.status === 'running')) return now;
    if (cli.child.exitCode !== null) throw new Error(`gradtune exited (${cli.child.exitCode}) before a trial ran:\n${cli.output().stdout}\n${cli.output().stderr}`);
    if (Date.now() > until) throw new Error('no trial started within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Slow trials to stop; a resume shortens them (same params) so it ends quickly. */
const SLOW = ['search', '--space', fixture('slow-space.ts'), '--dataset', 'iris', '--max-epochs', '400', '--workers', '1', '--storage', 'study.db', '--max-trials', '2', '--algo', 'random'];
const shortTrials = { GRADTUNE_SLOW_EPOCHS: '2' };

/** Signs that an uncaught error was printed through the emscripten module, or a stack. */
function expectNoCrashOutput(stderr: string): void {
  expect(stderr).not.toContain('WasmBackendModule');
  expect(stderr).not.toContain('EPIPE');
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.length).toBeLessThan(1000);
}

describe('SIGTERM', () => {
  it('is handled as Ctrl-C: trials given back, leaderboard printed, exit 143; the same command resumes', async () => {
    const cwd = tempDir();
    const file = join(cwd, 'study.db');
    const cli = startCli(SLOW, { cwd, timeoutMs: 150_000 });
    const running = (await waitForRunning(file, cli)).filter((r) => r.status === 'running');
    cli.child.kill('SIGTERM');
    const result = await cli.done;
    expect(result.code).toBe(143);
    expect(result.stderr).toBe('\nterminated: stopping the running trials; they run again when the same command is run (SIGTERM again to exit at once)\n');
    expect(result.stdout).toMatch(/interrupted: the trials that were running will run again/);
    const after = rows(file);
    for (const r of running) expect(after.find((a) => a.number === r.number)!.status).toBe('stale');
    expect(after.filter((r) => r.status === 'running')).toEqual([]);

    const resumed = await runOk(SLOW, { cwd, env: shortTrials, timeoutMs: 90_000 });
    expect(resumed.stdout).toMatch(/runs again \(its process was lost\)/);
    const final = rows(file);
    expect(final.map((r) => [r.number, r.status])).toEqual([[0, 'completed'], [1, 'completed']]);
    for (const r of running) expect(final.find((f) => f.number === r.number)!.params_json).toBe(r.params_json);
  }, 180_000);
});

describe('a reader that leaves (search | head -3)', () => {
  it('stops the search like Ctrl-C, exit 141, nothing on stderr but one line, no trial left running; the same command completes it', async () => {
    const cwd = tempDir();
    const work = mkdtempSync(join(tmpdir(), 'gradtune-head-'));
    const args = ['search', '--space', 'quick', '--dataset', 'iris', '--algo', 'random', '--max-trials', '6', '--workers', '2', '--storage', 'study.db'];
    const script = `"${process.execPath}" "${CLI}" ${args.join(' ')} 2>"${work}/err" | head -3 > "${work}/head"; echo "\${PIPESTATUS[0]}" > "${work}/code"`;
    await new Promise<void>((resolve, reject) => {
      const child = spawn('bash', ['-c', script], { cwd, stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', () => resolve());
    });
    const read = (name: string) => readFileSync(join(work, name), 'utf8');
    const [code, head, stderr] = [Number(read('code').trim()), read('head'), read('err')];
    rmSync(work, { recursive: true, force: true });
    expect(head.split('\n').slice(0, 3)).toEqual([expect.stringMatching(/^backend: /), expect.stringMatching(/^study: quick-iris /), expect.stringMatching(/^data: iris: /)]);
    expect(code).toBe(141);
    expectNoCrashOutput(stderr);
    expect(stderr).toBe('\nthe output was closed: stopping the running trials; they run again when the same command is run\n');
    const stopped = rows(join(cwd, 'study.db'));
    expect(stopped.filter((r) => r.status === 'running')).toEqual([]);
    expect(stopped.length).toBeLessThan(6);

    await runOk(args, { cwd, timeoutMs: 90_000 });
    const final = rows(join(cwd, 'study.db'));
    expect(final.map((r) => r.number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(final.every((r) => r.status === 'completed')).toBe(true);
  }, 180_000);
});

describe('--overwrite while another process runs the study', () => {
  it('the running process ends with one line and exit 2 within seconds, writing nothing into the new study', async () => {
    const cwd = tempDir();
    const file = join(cwd, 'study.db');
    const first = startCli([...SLOW, '--study', 'shared'], { cwd, timeoutMs: 150_000 });
    const before = await waitForRunning(file, first);
    // The other process starts the study afresh, with short trials; the first one's trial
    // would run for minutes, yet it notices the deletion and stops.
    const second = runOk([...SLOW, '--study', 'shared', '--overwrite'], { cwd, env: shortTrials, timeoutMs: 90_000 });
    const result = await first.done;
    await second;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^gradtune: error: study "shared" was deleted while this search ran \(gradtune search --overwrite, run by another process\?\); this process stopped its trials without writing anything more: [^\n]+\n$/,
    );
    expectNoCrashOutput(result.stderr);
    const fresh = rows(file);
    expect(fresh.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(new Set(fresh.map((r) => r.study_id)).size).toBe(1);
    expect(fresh[0].study_id).not.toBe(before[0].study_id);
  }, 180_000);
});

describe('--workers far above the cores', () => {
  it('is capped at the number of cores with a one-line warning', async () => {
    const cwd = tempDir();
    const r = await runOk(['search', '--space', 'quick', '--dataset', 'iris', '--max-trials', '1', '--workers', '64', '--max-epochs', '2'], { cwd, timeoutMs: 90_000 });
    const cores = availableParallelism();
    expect(r.stderr).toBe(
      `gradtune: warning: --workers 64 is more than the ${cores} core${cores === 1 ? '' : 's'} of this machine; using ${cores} ` +
        '(each worker holds its own tfjs and copy of the data, and more threads than cores only share the same cores)\n',
    );
    expect(r.stdout).toMatch(new RegExp(`^workers: ${cores} \\|`, 'm'));
  }, 120_000);
});
