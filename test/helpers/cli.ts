// Runs the gradtune CLI as a user would (`node bin/gradtune.js ...`) in a directory of
// the test's own, and gives back what it printed and its exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/** The launcher of this checkout (CI runs in another clone, so never an absolute path). */
export const CLI = fileURLToPath(new URL('../../bin/gradtune.js', import.meta.url));

/** Absolute path of a file under test/fixtures/. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

export interface CliResult {
  code: number | null;
  /** The signal that ended the process (SIGKILL from the test), or null. */
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  /** Kill the process after this long (default 45 s): a hang fails fast, not at the suite timeout. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Spawns the CLI asynchronously (spawnSync would block vitest's timers). stdout is a
 * pipe, so the progress reporter prints one plain line per trial instead of a bar.
 */
export function runCli(args: readonly string[], opts: RunOptions): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** A CLI process the test can signal (kill -9, Ctrl-C) while it runs. */
export interface RunningCli {
  child: ChildProcess;
  /** What it printed so far. */
  output(): { stdout: string; stderr: string };
  done: Promise<CliResult>;
}

/** Starts the CLI like runCli, without waiting for it. */
export function startCli(args: readonly string[], opts: RunOptions): RunningCli {
  // Most tests are about random search (trials counted by --max-trials); the CLI's default
  // algorithm is Hyperband, so a search without --algo says random here. Tests of the
  // default call the CLI with --algo hyperband or check the default explicitly.
  // A search continued by its name alone (no space or data given) keeps its own algorithm.
  const describesSearch = ['--space', '--dataset', '--data'].some((flag) => args.includes(flag));
  const argv = args[0] === 'search' && describesSearch && !args.includes('--algo') ? [...args, '--algo', 'random'] : [...args];
  const child = spawn(process.execPath, [CLI, ...argv], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 90_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gradtune ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

/** Like runCli, but fails the test with the CLI's output when the exit code is not 0. */
export async function runOk(args: readonly string[], opts: RunOptions): Promise<CliResult> {
  const result = await runCli(args, opts);
  if (result.code !== 0) {
    throw new Error(`gradtune ${args.join(' ')} exited with ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result;
}

/**
 * A fresh directory under the OS temp dir, removed when the current test finishes
 * (kept when GRADTUNE_KEEP_TMP is set, to look at after a failure). Call it inside a test.
 */
export function tempDir(prefix = 'gradtune-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!process.env.GRADTUNE_KEEP_TMP) {
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  }
  return dir;
}

/** The names in a directory, sorted: to check that a failed command created nothing. */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
