// `gradtune worker` and continuing a study, on SQLite and (when GRADTUNE_TEST_POSTGRES_URL
// is set) PostgreSQL: a worker finds the study's space and data wherever this machine keeps
// them, and refuses, with one line and writing nothing, a space or data that is not the
// study's; a search continued with a flag that contradicts the study's settings is refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runOk } from './helpers/cli.js';
import { POSTGRES_URL, freshSchema, sql, warnIfNoPostgres } from './helpers/postgres.js';

warnIfNoPostgres('test/cli-worker.test.ts (its PostgreSQL half)');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INDEX = path.join(ROOT, 'src/index.ts');

/** A small space module; `maxUnits` changes its source (and so its fingerprint). */
const spaceSource = (maxUnits: number) => `import { defineSearchSpace } from ${JSON.stringify(INDEX)};
export default defineSearchSpace({
  name: 'tiny',
  description: 'one hidden layer',
  build(hp) {
    const units = hp.int('units', 4, ${maxUnits});
    return {
      model: { kind: 'mlp', hidden: [{ units, activation: 'relu', initializer: 'heNormal' }] },
      training: { optimizer: 'adam', learningRate: 0.01, batchSize: 32 },
    };
  },
});
`;

interface StoreKind {
  name: string;
  /** The --storage value for a store in `dir`. */
  storage(dir: string): Promise<string>;
  /** Everything the store holds, to compare before and after a refused command. */
  snapshot(storage: string): Promise<unknown>;
  cleanup(): Promise<void>;
}

const sqlite: StoreKind = {
  name: 'SQLite',
  storage: async (dir) => path.join(dir, 'study.db'),
  async snapshot(file) {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return ['studies', 'trials', 'trial_attempts', 'queue'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all());
    } finally {
      db.close();
    }
  },
  async cleanup() {},
};

const drops: (() => Promise<void>)[] = [];
const postgres: StoreKind = {
  name: 'PostgreSQL',
  async storage() {
    const fresh = await freshSchema('cli_worker');
    drops.push(fresh.drop);
    return fresh.url;
  },
  async snapshot(url) {
    const out: unknown[] = [];
    for (const t of ['studies', 'trials', 'trial_attempts', 'queue']) out.push(await sql(url, `SELECT * FROM ${t} ORDER BY 1, 2`));
    return out;
  },
  async cleanup() {
    for (const drop of drops.splice(0)) await drop();
  },
};

describe.each([sqlite, ...(POSTGRES_URL ? [postgres] : [])])('$name', (kind) => {
  let dir: string;
  let storage: string;
  // Study "hb": Hyperband on the tiny space and a CSV in `dir`, with a threshold of its own,
  // started with a time budget so that most of its schedule is left for a worker.
  const HB = ['--space', './space.ts', '--data', 'iris.csv', '--algo', 'hyperband', '--max-epochs', '3', '--factor', '3', '--max-trials', '4', '--vanishing-floor', '0.000001'];
  const GRID = ['--space', 'quick', '--dataset', 'iris', '--algo', 'grid', '--grid-points', '3', '--max-trials', '1', '--max-epochs', '1'];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradtune-worker-'));
    fs.writeFileSync(path.join(dir, 'space.ts'), spaceSource(16));
    fs.copyFileSync(path.join(ROOT, 'datasets/iris.csv'), path.join(dir, 'iris.csv'));
    storage = await kind.storage(dir);
    const run = ['--storage', storage, '--workers', '1'];
    await runOk(['search', ...HB, '--study', 'hb', '--timeout', '1ms', ...run], { cwd: dir, timeoutMs: 120_000 });
    await runOk(['search', ...GRID, '--study', 'grid', ...run], { cwd: dir, timeoutMs: 120_000 });
  }, 300_000);

  afterAll(async () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await kind.cleanup();
  });

  /** Runs a command that must fail with exit 2 and one line matching `message`, leaving the store as it was. */
  async function refused(args: string[], message: RegExp, cwd = dir): Promise<void> {
    const before = await kind.snapshot(storage);
    const result = await runCli([...args, '--storage', storage], { cwd, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(result.stdout).toBe('');
    expect(await kind.snapshot(storage)).toEqual(before);
  }

  it.each([
    // --algo as stored: the test helper would otherwise add --algo random to a search.
    ['--factor', ['search', '--study', 'hb', '--algo', 'hyperband', '--factor', '2'], /^gradtune: error: study "hb" was created with --factor 3, not 2: drop the flag/],
    ['a threshold', ['search', '--study', 'hb', '--algo', 'hyperband', '--vanishing-floor', '0.00001'], /^gradtune: error: study "hb" was created with --vanishing-floor 0\.000001, not 0\.00001: drop the flag/],
    ['--grid-points', ['search', '--study', 'grid', '--algo', 'grid', '--grid-points', '4'], /^gradtune: error: study "grid" was created with --grid-points 3, not 4: drop the flag/],
  ])('continuing a study with %s that contradicts it: exit 2, one line naming both values, nothing written', async (_what, args, message) => {
    await refused([...args, '--workers', '1'], message);
  }, 120_000);

  it('a worker with a space whose source is not the study\'s: exit 2, one line, nothing written', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'gradtune-worker-other-'));
    try {
      fs.writeFileSync(path.join(other, 'space.ts'), spaceSource(32));
      await refused(['worker', '--study', 'hb', '--space', path.join(other, 'space.ts')], /^gradtune: error: the space module .*space\.ts is not the one study "hb" was created with \(\.\/space\.ts: its source differs\); give this worker a copy of that file/);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  }, 120_000);

  it('a worker with data whose contents are not the study\'s: exit 2, one line, nothing written', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'gradtune-worker-other-'));
    try {
      const csv = fs.readFileSync(path.join(dir, 'iris.csv'), 'utf8').split('\n');
      csv[1] = csv[1].replace(/^[0-9.]+/, '9.9');
      fs.writeFileSync(path.join(other, 'iris.csv'), csv.join('\n'));
      await refused(['worker', '--study', 'hb', '--data', path.join(other, 'iris.csv')], /^gradtune: error: the data .*iris\.csv is not the data study "hb" was created on \(iris\.csv: other contents\); give this worker a copy of that file/);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  }, 120_000);

  it('a worker on a study that does not exist: exit 2, one line, nothing written', async () => {
    await refused(['worker', '--study', 'nope'], /^gradtune: error: no study "nope" in .*: a worker joins an existing study; start it with gradtune search --study nope$/);
  }, 120_000);

  it('a worker elsewhere, with copies of the space and data at other paths, finishes the study', async () => {
    // Another directory, as on another machine: the study's ./space.ts and iris.csv are not here.
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'gradtune-worker-elsewhere-'));
    try {
      fs.mkdirSync(path.join(elsewhere, 'copies'));
      fs.copyFileSync(path.join(dir, 'space.ts'), path.join(elsewhere, 'copies', 'my-space.ts'));
      fs.copyFileSync(path.join(dir, 'iris.csv'), path.join(elsewhere, 'copies', 'data.csv'));
      const result = await runOk(['worker', '--study', 'hb', '--space', 'copies/my-space.ts', '--data', 'copies/data.csv', '--storage', storage, '--workers', '1'], { cwd: elsewhere, timeoutMs: 180_000 });
      expect(result.stdout).toMatch(/reached --max-trials 4/);
      const trials = JSON.parse((await runOk(['report', '--study', 'hb', '--format', 'json', '--storage', storage], { cwd: elsewhere })).stdout) as unknown;
      const list = (Array.isArray(trials) ? trials : (trials as { trials: { status: string }[] }).trials) as { status: string }[];
      expect(list.map((t) => t.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 240_000);
});
