// Model-based samplers through the CLI: TPE, GP and Hyperband + TPE complete on iris,
// continue after kill -9, keep their sampler, and say which one they used.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli, runOk, startCli, tempDir } from './helpers/cli.js';

const BASE = ['--space', 'quick', '--dataset', 'iris', '--max-epochs', '2', '--workers', '2', '--seed', '3'];

function rows(file: string): { number: number; status: string }[] {
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'trials'`).get();
    return has ? (db.prepare('SELECT number, status FROM trials ORDER BY number').all() as { number: number; status: string }[]) : [];
  } finally {
    db.close();
  }
}

async function killAfter(args: string[], cwd: string, finished: number): Promise<void> {
  const cli = startCli(args, { cwd });
  const file = path.join(cwd, 'gradtune.db');
  const until = Date.now() + 150_000;
  while (rows(file).filter((t) => t.status === 'completed').length < finished || !rows(file).some((t) => t.status === 'running')) {
    if (cli.child.exitCode !== null) throw new Error(`search ended before the kill: ${cli.output().stdout}\n${cli.output().stderr}`);
    if (Date.now() > until) throw new Error('timed out waiting to kill');
    await new Promise((r) => setTimeout(r, 100));
  }
  cli.child.kill('SIGKILL');
  await cli.done;
}

describe('samplers through the CLI', () => {
  for (const [name, algo, trials] of [
    ['tpe', 'random', 13],
    ['gp', 'random', 24],
    ['tpe', 'hyperband', undefined],
  ] as const) {
    it(`--sampler ${name} with --algo ${algo}: completes after kill -9 and resume, and keeps its sampler`, { timeout: 600_000 }, async () => {
      const cwd = tempDir();
      const args = ['search', ...BASE, '--algo', algo, '--sampler', name, ...(trials ? ['--max-trials', String(trials)] : ['--max-epochs', '3'])];
      await killAfter(args, cwd, 4);
      // Continued by name alone: the study's sampler comes from the store.
      const done = await runOk(['search', '--study', 'quick-iris'], { cwd, timeoutMs: 500_000 });
      expect(done.stdout).toMatch(algo === 'hyperband' ? /the Hyperband schedule is complete/ : new RegExp(`reached --max-trials ${trials}`));
      const all = rows(path.join(cwd, 'gradtune.db'));
      expect(all.every((t) => t.status !== 'running' && t.status !== 'stale')).toBe(true);
      expect(new Set(all.map((t) => t.number)).size).toBe(all.length);
      const json = JSON.parse((await runOk(['report', '--study', 'quick-iris', '--format', 'json'], { cwd })).stdout);
      expect(json.study.settings.sampler).toEqual({ name });
      // The leaderboard's summary says how the study searched.
      expect(done.stdout).toMatch(new RegExp(`; search: ${algo}, ${name} sampler`));
      const other = await runCli(['search', '--study', 'quick-iris', '--sampler', 'random'], { cwd });
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(new RegExp(`created with --sampler ${name}, not random`));
    });
  }

  it('grid search draws nothing: --sampler with --algo grid is refused', async () => {
    const r = await runCli(['search', ...BASE, '--algo', 'grid', '--sampler', 'tpe'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sampler applies to random search, Hyperband and ASHA/);
  });
});
