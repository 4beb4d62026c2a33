// Stores the file system or a crash damaged, and places a store cannot be: one line,
// exit 2, the file left as it was.
import { copyFileSync, existsSync, rmSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runOk, sha256, tempDir } from './helpers/cli.js';

const SEARCH = ['search', '--space', 'quick', '--dataset', 'iris', '--max-epochs', '2', '--workers', '1'];

async function storeWithTrials(cwd: string): Promise<string> {
  await runOk([...SEARCH, '--max-trials', '3'], { cwd });
  return join(cwd, 'gradtune.db');
}

describe('a damaged store', () => {
  it('with overwritten pages: report and search refuse it with one line and how to recover', { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    const file = await storeWithTrials(cwd);
    const size = statSync(file).size;
    const fd = openSync(file, 'r+');
    // Garbage over the pages after the first two (the header and schema stay readable).
    writeSync(fd, Buffer.alloc(4096 * 3, 0xab), 0, 4096 * 3, Math.min(8192, size - 4096 * 3));
    closeSync(fd);
    const before = sha256(file);
    for (const args of [['report', '--study', 'quick-iris'], [...SEARCH, '--study', 'new-one', '--max-trials', '1']]) {
      const r = await runCli(args, { cwd });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^gradtune: error: store gradtune\.db is damaged \(.*\); restore your last good copy, or recover what can be read: sqlite3 gradtune\.db \.recover/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(sha256(file)).toBe(before);
  });

  it('truncated: called damaged, not "not a SQLite database"', { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    const file = await storeWithTrials(cwd);
    truncateSync(file, 6000);
    const r = await runCli(['studies'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is damaged/);
  });
});

describe('places a store cannot be', () => {
  it('a device, a path under a file, an empty or in-memory --storage: one line, exit 2', { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'notes.txt'), 'mine');
    for (const [storage, said] of [
      ['/dev/null', /not a regular file/],
      ['notes.txt/x.db', /is not a directory/],
      ['', /--storage is empty/],
      [':memory:', /in-memory database, which keeps nothing/],
      ['runs/', /names a directory/],
    ] as const) {
      const r = await runCli([...SEARCH, '--max-trials', '1', '--storage', storage], { cwd });
      expect(r.code, `${storage}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(said);
    }
    expect(readFileSync(join(cwd, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

/** A tiny file system that fills up, where the test may mount one (root on Linux). */
function smallDisk(dir: string): (() => void) | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return () => execFileSync('umount', [dir], { stdio: 'ignore' });
}

describe('a full disk', () => {
  it('ends the search with one line, exit 2, and the store intact', { timeout: 180_000 }, async (ctx) => {
    const cwd = tempDir();
    const disk = join(cwd, 'disk');
    const unmount = smallDisk(disk);
    if (!unmount) {
      ctx.skip();
      return;
    }
    try {
      const file = await storeWithTrials(cwd);
      copyFileSync(file, join(disk, 'gradtune.db'));
      // Fill the rest of the disk, but leave a little room for the search to start.
      const fd = openSync(join(disk, 'filler'), 'w');
      try {
        for (;;) writeSync(fd, Buffer.alloc(4096));
      } catch {
        // ENOSPC: full
      } finally {
        closeSync(fd);
      }
      const r = await runCli(['search', '--study', 'quick-iris', '--max-trials', '40', '--storage', join(disk, 'gradtune.db')], { cwd });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/the disk holding store .* is full .*free some space and run the same command again \(the store is intact/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      // Intact: once there is room again, it opens and still has its trials.
      rmSync(join(disk, 'filler'));
      const list = await runOk(['studies', '--json', '--storage', join(disk, 'gradtune.db')], { cwd });
      expect(JSON.parse(list.stdout)[0].name).toBe('quick-iris');
    } finally {
      unmount();
    }
    expect(existsSync(disk)).toBe(true);
  });
});
