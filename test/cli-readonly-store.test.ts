// Reports read a store where nothing can be written: a directory the user cannot write
// (as on a read-only mount), with the store in WAL mode and no -shm file beside it.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, runOk, sha256, tempDir } from './helpers/cli.js';

/** Runs the CLI as a user who cannot write `dir` (root writes anywhere, so root runs it as nobody). */
function runAsReader(args: string[], cwd: string) {
  const command = [process.execPath, CLI, ...args];
  if (process.getuid?.() === 0) {
    const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return spawnSync('su', ['nobody', '-s', '/bin/sh', '-c', `cd '${cwd}' && HOME=/tmp ${quoted}`], { encoding: 'utf8' });
  }
  return spawnSync(command[0], command.slice(1), { cwd, encoding: 'utf8' });
}

describe('a store in a directory nobody can write', () => {
  it('report, best and studies read it; nothing is written', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    await runOk(['search', '--space', 'quick', '--dataset', 'iris', '--max-trials', '2', '--max-epochs', '2', '--workers', '1'], { cwd: dir });
    writeFileSync(join(dir, 'marker'), 'x');
    const before = sha256(join(dir, 'gradtune.db'));
    chmodSync(join(dir, 'gradtune.db'), 0o444);
    chmodSync(dir, 0o555);
    try {
      for (const args of [['studies'], ['report', '--study', 'quick-iris'], ['best', '--study', 'quick-iris'], ['report', '--study', 'quick-iris', '--format', 'json']]) {
        const r = runAsReader(args, dir);
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(/quick-iris|trial/);
      }
    } finally {
      chmodSync(dir, 0o755);
    }
    expect(sha256(join(dir, 'gradtune.db'))).toBe(before);
  });
});
