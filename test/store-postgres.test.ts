// The PostgreSQL store: the Store contract (test/store-contract.ts), unchanged, plus what
// only a database server has: its schema and migrations, its clock, lost connections, and
// passwords that must never show. Needs GRADTUNE_TEST_POSTGRES_URL (scripts/with-postgres.sh).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GradtuneError } from '../src/errors.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { POSTGRES_SCHEMA_VERSION, POSTGRES_TABLES } from '../src/store/postgres-schema.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { newStudy, storeContract } from './store-contract.js';
import { POSTGRES_URL, freshSchema, sql, warnIfNoPostgres } from './helpers/postgres.js';

warnIfNoPostgres('test/store-postgres.test.ts');

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe.skipIf(!POSTGRES_URL)('PostgreSQL', () => {
  let url = '';
  let drop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ url, drop } = await freshSchema('contract'));
    // Creates the tables once; each test then starts from empty tables.
    await (await openPostgresStore(url)).close();
  });
  afterAll(async () => {
    await drop();
  });

  storeContract('PostgreSQL', {
    async reset() {
      await sql(url, `TRUNCATE ${POSTGRES_TABLES.join(', ')} RESTART IDENTITY CASCADE`);
    },
    open: (opts) => openPostgresStore(url, opts),
  });

  describe('PostgreSQL: schema', () => {
    it('has the same tables and columns as the SQLite store, in the same order', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradtune-pg-schema-'));
      try {
        const file = path.join(dir, 's.db');
        await (await openSqliteStore(file)).close();
        const db = new Database(file, { readonly: true });
        const sqlite: Record<string, string[]> = {};
        for (const table of POSTGRES_TABLES) sqlite[table] = (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
        db.close();
        const pgColumns: Record<string, string[]> = {};
        const schema = new URL(url).searchParams.get('options')!.split('=')[1];
        for (const table of POSTGRES_TABLES) {
          pgColumns[table] = (
            await sql<{ column_name: string }>(url, 'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position', [schema, table])
          ).map((c) => c.column_name);
        }
        expect(pgColumns).toEqual(sqlite);
        expect(pgColumns.trials).toContain('seed');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('processes opening an empty database at once serialise: one creates the schema, all open', async () => {
      const fresh = await freshSchema('migrate');
      try {
        const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(fresh.url)));
        await stores[0].createStudy(newStudy());
        for (const store of stores) expect((await store.listStudies()).map((s) => s.name)).toEqual(['iris-random']);
        await Promise.all(stores.map((s) => s.close()));
        expect(await sql(fresh.url, 'SELECT version FROM gradtune_schema')).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
      } finally {
        await fresh.drop();
      }
    });

    it('refuses a store from a newer gradtune, and tables gradtune did not make, with one line, touching nothing', async () => {
      const fresh = await freshSchema('refuse');
      try {
        await (await openPostgresStore(fresh.url)).close();
        await sql(fresh.url, 'UPDATE gradtune_schema SET version = 99');
        const newer = await rejection(openPostgresStore(fresh.url));
        expect(newer).toBeInstanceOf(GradtuneError);
        expect(newer.message).toMatch(/newer gradtune \(PostgreSQL schema version 99.*upgrade gradtune/);
        expect(await sql(fresh.url, 'SELECT version FROM gradtune_schema')).toEqual([{ version: 99 }]);
      } finally {
        await fresh.drop();
      }
      const other = await freshSchema('foreign');
      try {
        await sql(other.url, 'CREATE TABLE studies (x INTEGER)');
        const foreign = await rejection(openPostgresStore(other.url));
        expect(foreign).toBeInstanceOf(GradtuneError);
        expect(foreign.message).toMatch(/already has a table studies that gradtune did not create/);
        expect(foreign.message).not.toContain('\n');
        // Nothing was made beside it (the migration rolled back whole).
        expect(await sql(other.url, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [other.schema])).toEqual([{ table_name: 'studies' }]);
      } finally {
        await other.drop();
      }
    });

    it('a read-only open (reports) of an empty database creates nothing and says what to do', async () => {
      const fresh = await freshSchema('readonly');
      try {
        const err = await rejection(openStore(fresh.url, { readOnly: true }));
        expect(err).toBeInstanceOf(GradtuneError);
        expect(err.message).toMatch(/no gradtune store in .*run gradtune search first/);
        expect(await sql(fresh.url, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [fresh.schema])).toEqual([]);
        // Once a search made it, a read-only store reads and may not write.
        const writer = await openStore(fresh.url);
        await writer.createStudy(newStudy());
        await writer.close();
        const reader = await openStore(fresh.url, { readOnly: true });
        try {
          expect((await reader.listStudies()).map((s) => s.name)).toEqual(['iris-random']);
          await expect(reader.createStudy(newStudy({ name: 'other' }))).rejects.toThrow(/read-only transaction/);
        } finally {
          await reader.close();
        }
      } finally {
        await fresh.drop();
      }
    });

    it('keeps seeds above 2^31 (BIGINT) and checkpoints of any bytes (BYTEA), and reads numbers as numbers', async () => {
      const store = await openPostgresStore(url);
      try {
        const study = await store.createStudy(newStudy({ name: 'big-seed', seed: 4_000_000_000 }));
        expect(study.seed).toBe(4_000_000_000);
        await store.ask(study.id, () => ({ kind: 'run', params: { lr: 0.1 } }));
        const bytes = new Uint8Array(256).map((_, i) => i);
        await store.tell(study.id, 0, { status: 'completed', score: 0.123456789012345, bestEpoch: 2, epochsRun: 3, history: [], backend: 'cpu', durationMs: 12.5, checkpoint: bytes });
        expect(Array.from((await store.checkpoint(study.id, 0))!)).toEqual(Array.from(bytes));
        const trial = (await store.trial(study.id, 0))!;
        expect(trial.score).toBe(0.123456789012345);
        expect(trial.durationMs).toBe(12.5);
        expect(typeof trial.seed).toBe('number');
        expect(await store.countTrials(study.id)).toEqual({ completed: 1 });
      } finally {
        await store.close();
      }
    });
  });

  describe('PostgreSQL: the server clock and lost connections', () => {
    it("stamps trials with the database server's clock, not this machine's", async () => {
      const store = await openPostgresStore(url);
      try {
        const study = await store.createStudy(newStudy({ name: 'clock' }));
        // This machine's clock is 20 years behind; the server's is not.
        vi.useFakeTimers({ toFake: ['Date'], now: new Date('2004-01-01T00:00:00Z') });
        let asked;
        try {
          asked = await store.ask(study.id, () => ({ kind: 'run', params: { lr: 0.1 } }));
        } finally {
          vi.useRealTimers();
        }
        const [{ server }] = await sql<{ server: Date }>(url, 'SELECT now() AS server');
        if (asked.kind !== 'run') throw new Error('expected a trial');
        expect(Math.abs(Date.parse(asked.trial.startedAt) - server.getTime())).toBeLessThan(60_000);
      } finally {
        await store.close();
      }
    });

    it('goes on after its connections are cut (a server that ended them), retrying on new ones', async () => {
      const named = new URL(url);
      named.searchParams.set('application_name', 'gradtune-cut');
      const store = await openPostgresStore(named.toString());
      try {
        const study = await store.createStudy(newStudy({ name: 'cut' }));
        for (let i = 0; i < 3; i++) {
          await store.ask(study.id, () => ({ kind: 'run', params: { i } }));
          // Every connection of this store is ended by the server (as on a restart or failover).
          const cut = await sql<{ ok: boolean }>(url, `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'gradtune-cut'`);
          expect(cut.length).toBeGreaterThan(0);
        }
        await store.tell(study.id, 2, { status: 'completed', score: 0.5, bestEpoch: 1, epochsRun: 1, history: [], backend: 'cpu', durationMs: 1, attempt: 1 });
        expect((await store.summaries(study.id)).map((t) => [t.number, t.status])).toEqual([
          [0, 'running'],
          [1, 'running'],
          [2, 'completed'],
        ]);
      } finally {
        await store.close();
      }
    });
  });

  describe('PostgreSQL: secrets', () => {
    it('never shows the password: not in location, nor a refused login, nor an unreachable server', async () => {
      const good = new URL(url);
      const password = decodeURIComponent(good.password);
      const store = await openPostgresStore(url);
      expect(store.location).not.toContain(password);
      expect(store.location).toContain(':***@');
      await store.close();

      const wrong = new URL(url);
      wrong.password = 'not-the-password-' + password.slice(0, 6);
      const refused = await rejection(openPostgresStore(wrong.toString()));
      expect(refused).toBeInstanceOf(GradtuneError);
      expect(refused.message).toMatch(/refused the login.*check the user and password/);
      expect(refused.message + refused.stack).not.toContain(wrong.password);
      expect(refused.message).not.toContain('\n');

      // Nothing listens on this port: one line after retry_timeout, no password.
      const closed = new URL(url);
      closed.port = '1';
      closed.searchParams.set('retry_timeout', '1');
      const started = Date.now();
      const unreachable = await rejection(openPostgresStore(closed.toString()));
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(unreachable).toBeInstanceOf(GradtuneError);
      expect(unreachable.message).toMatch(/cannot reach the PostgreSQL store postgresql:\/\/gradtune:\*\*\*@127\.0\.0\.1:1\//);
      expect(unreachable.message + unreachable.stack).not.toContain(password);
    });
  });
});
