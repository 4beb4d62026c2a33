// The SQLite store: the Store contract (test/store-contract.ts), plus what only a file
// store has: processes sharing one file, the schema, and files that are not stores.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateStudyName } from '../src/store/names.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/store/schema.js';
import { localOwnerAlive, openSqliteStore, processOwner } from '../src/store/sqlite.js';
import { parseStorage } from '../src/store/open-store.js';
import { GradtuneError } from '../src/errors.js';
import { expectGradtuneError } from './helpers/errors.js';
import { newStudy, storeContract } from './store-contract.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradtune-store-'));
  file = path.join(dir, 'study.db');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

storeContract('SQLite', {
  // beforeEach above made a new directory: the store file is new in every test.
  async reset() {},
  open: (opts) => openSqliteStore(file, opts),
});

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GradtuneError);
  expect((err as Error).message).toMatch(pattern);
}

describe('SQLite: sharing one file', () => {
  it('processes asking at the same time never duplicate a number', async () => {
    const store = await openSqliteStore(file);
    const { id } = await store.createStudy(newStudy());
    await store.close();
    // A script per process; tsx lets it import the TypeScript source directly.
    const script = path.join(dir, 'asker.mts');
    const source = pathToFileURL(path.join(ROOT, 'src/store/sqlite.ts')).href;
    fs.writeFileSync(
      script,
      `import { openSqliteStore } from ${JSON.stringify(source)};
       const store = await openSqliteStore(process.argv[2]);
       // Start together, whatever each process's startup time, so the asks really overlap.
       const wait = Math.max(0, Number(process.argv[3]) - Date.now());
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
       // Each trial finishes before the process exits: a running trial of an exited process
       // would (rightly) be handed out again by the others.
       for (let i = 0; i < 100; i++) {
         const asked = await store.ask(${id}, () => ({ kind: 'run', params: { pid: process.pid, i } }));
         if (asked.kind !== 'run') throw new Error('expected run');
         await store.tell(${id}, asked.trial.number, { status: 'completed', score: 1, bestEpoch: 1, epochsRun: 1, history: [], backend: 'cpu', durationMs: 1 });
       }
       await store.close();`,
    );
    const startAt = String(Date.now() + 3000);
    const procs = [0, 1, 2].map(
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', script, file, startAt], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`asker exited ${code}: ${firstLines(stderr)}`))));
        }),
    );
    await Promise.all(procs);
    const reader = await openSqliteStore(file);
    const trials = await reader.trials(id);
    await reader.close();
    expect(trials.map((t) => t.number)).toEqual([...Array(300).keys()]);
    expect(new Set(trials.map((t) => t.params.pid)).size).toBe(3);
  });

  it('finds a local process gone by its pid', () => {
    expect(localOwnerAlive(processOwner())).toBe(true);
    expect(localOwnerAlive(`${os.hostname()}:2147483646`)).toBe(false);
    expect(localOwnerAlive('some-other-machine:1')).toBeUndefined();
  });

  it('creates a new file with the current schema in WAL mode', async () => {
    await (await openSqliteStore(file)).close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['studies', 'trials', 'trial_attempts', 'queue']));
    db.close();
  });

  it('brings a store of the previous schema forward, keeping its trials (seeded as they were, by number)', async () => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.slice(0, 4)) db.exec(m);
    db.pragma('user_version = 4');
    db.prepare(`INSERT INTO studies (name, space, dataset_name, dataset_fingerprint, data_json, objective_metric, objective_direction, algorithm, settings_json, seed, max_epochs, created_at)
      VALUES ('old', 'quick', 'iris', 'f', '{"builtin":"iris","valSplit":0.2,"seed":1}', 'val_accuracy', 'max', 'random', '{"maxTrials":3}', 1, 5, '2024-01-01T00:00:00.000Z')`).run();
    db.prepare(`INSERT INTO trials (study_id, number, status, params_json, started_at, score) VALUES (1, 0, 'completed', '{"a":1}', '2024-01-01T00:00:00.000Z', 0.5)`).run();
    db.close();
    const store = await openSqliteStore(file);
    const study = (await store.getStudy('old'))!;
    expect(study.spaceFingerprint).toBe('');
    expect(await store.summaries(study.id)).toMatchObject([{ number: 0, score: 0.5, seed: null }]);
    const next = await store.ask(study.id, () => ({ kind: 'run', params: { a: 2 } }));
    expect(next).toMatchObject({ kind: 'run', trial: { number: 1 } });
    await store.close();
  });

  it('reads a store that is being written, read-only, without taking its write lock', async () => {
    const writer = await openSqliteStore(file);
    const { id } = await writer.createStudy(newStudy());
    // Another connection holds the write lock for the whole read.
    const locker = new Database(file);
    locker.exec('BEGIN IMMEDIATE');
    const reader = await openSqliteStore(file, { readOnly: true });
    expect((await reader.getStudy('iris-random'))!.id).toBe(id);
    expect(await reader.listStudies()).toHaveLength(1);
    await reader.close();
    locker.exec('ROLLBACK');
    locker.close();
    await writer.close();
  });

  it('a store locked longer than the busy timeout ends the operation with one line, not a hang', async () => {
    const store = await openSqliteStore(file, { busyTimeoutMs: 300 });
    const { id } = await store.createStudy(newStudy());
    const locker = new Database(file);
    locker.exec('BEGIN IMMEDIATE');
    await rejects(store.ask(id, () => ({ kind: 'run', params: { a: 1 } })), /stayed locked by another process/);
    locker.exec('ROLLBACK');
    locker.close();
    // Once the lock is gone, the same connection works again.
    expect(await store.ask(id, () => ({ kind: 'run', params: { a: 1 } }))).toMatchObject({ kind: 'run' });
    await store.close();
  });
});

describe('SQLite: opening errors', () => {
  it('refuses a directory', async () => {
    await rejects(openSqliteStore(dir), /is a directory.*gradtune\.db/);
  });

  it('refuses a text file and leaves its bytes unchanged', async () => {
    const text = path.join(dir, 'notes.txt');
    const bytes = Buffer.from('these are my notes, not a database\n'.repeat(200));
    fs.writeFileSync(text, bytes);
    await rejects(openSqliteStore(text), /not a gradtune store \(not a SQLite database\)/);
    expect(fs.readFileSync(text).equals(bytes)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('refuses a store from a newer gradtune and leaves it unchanged', async () => {
    const db = new Database(file);
    db.exec('CREATE TABLE future (x)');
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const bytes = fs.readFileSync(file);
    await rejects(openSqliteStore(file), /created by a newer gradtune.*upgrade gradtune/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it("refuses another program's SQLite database", async () => {
    const db = new Database(file);
    db.exec('CREATE TABLE contacts (name TEXT)');
    db.close();
    const bytes = fs.readFileSync(file);
    await rejects(openSqliteStore(file), /SQLite database but not a gradtune store/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('refuses a path whose directory does not exist, creating nothing', async () => {
    const missing = path.join(dir, 'no', 'such', 'dir');
    await rejects(openSqliteStore(path.join(missing, 'x.db')), /does not exist; create it first/);
    expect(fs.existsSync(path.join(dir, 'no'))).toBe(false);
  });
});

describe('--storage', () => {
  it('takes a file path, a sqlite: URL or a postgresql:// URL', () => {
    expect(parseStorage('gradtune.db')).toMatchObject({ kind: 'sqlite', path: 'gradtune.db' });
    expect(parseStorage('sqlite:runs/a.db')).toMatchObject({ kind: 'sqlite', path: 'runs/a.db' });
    expect(parseStorage('sqlite:///tmp/a.db')).toMatchObject({ kind: 'sqlite', path: '/tmp/a.db' });
    expect(parseStorage('postgresql://tuner:secret@db:5432/gradtune')).toMatchObject({ kind: 'postgres', display: 'postgresql://tuner:***@db:5432/gradtune' });
    expect(parseStorage('postgres://db/gradtune')).toMatchObject({ kind: 'postgres' });
  });

  it('refuses what is neither, with one line', () => {
    expectGradtuneError(() => parseStorage(''), /--storage is empty/);
    expectGradtuneError(() => parseStorage(':memory:'), /in-memory database, which keeps nothing/);
    expectGradtuneError(() => parseStorage('sqlite::memory:'), /in-memory/);
    expectGradtuneError(() => parseStorage('mysql://x/y'), /"mysql" stores are not supported/);
    expectGradtuneError(() => parseStorage('runs/'), /names a directory/);
    expectGradtuneError(() => parseStorage('postgresql://u:pw@host'), /names no database/);
    const message = expectGradtuneError(() => parseStorage('postgresql://u:hunter2@host'), /names no database/);
    expect(message).not.toContain('hunter2');
  });
});

describe('validateStudyName', () => {
  it('accepts 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit', () => {
    for (const name of ['a', '7', 'iris_random-v1.2', 'A'.repeat(64)]) {
      expect(validateStudyName(name)).toBe(name);
    }
  });

  it('refuses anything else, naming the allowed set', () => {
    for (const name of ['', 'A'.repeat(65), '-flag', '.hidden', '_x', 'with space', 'a/b', 'étude', 'x;drop']) {
      expectGradtuneError(() => validateStudyName(name), /1-64 characters from A-Z a-z 0-9 \. _ -/);
    }
  });
});

/**
 * A child's stderr without its stack frames: vitest reads source maps for every path in a
 * failure's stack, and chokes on the native addon's binary file.
 */
function firstLines(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => line.trim() && !line.trimStart().startsWith('at '))
    .slice(0, 5)
    .join(' | ');
}
