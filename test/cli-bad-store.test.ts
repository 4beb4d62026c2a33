// Bad --storage paths: one line, exit code 2, and the file exactly as it was.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../src/store/schema.js';
import { listDir, runCli, runOk, sha256, tempDir } from './helpers/cli.js';

const SEARCH = ['search', '--space', 'quick', '--dataset', 'iris', '--max-trials', '1', '--max-epochs', '1', '--workers', '1'];

async function expectRefused(args: string[], cwd: string, file: string, message: RegExp): Promise<void> {
  const before = fs.statSync(file).isDirectory() ? listDir(file).join(',') : sha256(file);
  const entries = listDir(cwd);
  const result = await runCli(args, { cwd });
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(fs.statSync(file).isDirectory() ? listDir(file).join(',') : sha256(file)).toBe(before);
  expect(listDir(cwd)).toEqual(entries); // no -wal, -shm or journal left beside it
}

describe('bad stores', () => {
  it('a directory', async () => {
    const cwd = tempDir();
    fs.mkdirSync(path.join(cwd, 'stores'));
    await expectRefused([...SEARCH, '--storage', 'stores'], cwd, path.join(cwd, 'stores'), /store path stores is a directory; pass a file path such as stores\/gradtune\.db/);
  });

  it('a file that is not a database', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'notes.db'), 'my notes\n'.repeat(100));
    await expectRefused([...SEARCH, '--storage', 'notes.db'], cwd, path.join(cwd, 'notes.db'), /notes\.db is not a gradtune store \(not a SQLite database\)/);
  });

  it('a store from a newer gradtune', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'future.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.exec('CREATE TABLE studies (id INTEGER)');
    db.close();
    await expectRefused([...SEARCH, '--storage', 'future.db'], cwd, file, /created by a newer gradtune \(schema version \d+, this gradtune knows up to \d+\); upgrade gradtune/);
  });

  it('an unreadable store, for search and for report', async () => {
    const cwd = tempDir();
    await runOk([...SEARCH, '--storage', 's.db'], { cwd });
    const file = path.join(cwd, 's.db');
    fs.chmodSync(file, 0o000);
    try {
      await expectRefused([...SEARCH, '--storage', 's.db'], cwd, file, /cannot read store s\.db: permission denied; give yourself read access \(chmod u\+r s\.db\)/);
      await expectRefused(['report', '--study', 'quick-iris', '--storage', 's.db'], cwd, file, /cannot read store s\.db: permission denied/);
    } finally {
      fs.chmodSync(file, 0o644);
    }
  }, 60_000);

  it('a read-only store: search refuses to write it, report reads it', async () => {
    const cwd = tempDir();
    await runOk([...SEARCH, '--storage', 's.db'], { cwd });
    const file = path.join(cwd, 's.db');
    fs.chmodSync(file, 0o444);
    try {
      await expectRefused([...SEARCH, '--max-trials', '2', '--storage', 's.db'], cwd, file, /store s\.db is read-only; make it writable \(chmod u\+w s\.db\)/);
      const hash = sha256(file);
      const report = await runOk(['report', '--study', 'quick-iris', '--storage', 's.db', '--format', 'json'], { cwd });
      expect(JSON.parse(report.stdout).trials).toHaveLength(1);
      expect(sha256(file)).toBe(hash);
    } finally {
      fs.chmodSync(file, 0o644);
    }
  }, 60_000);
});
