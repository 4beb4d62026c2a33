// The SQLite driver: better-sqlite3 (synchronous) behind the async SqlDriver calls.
//
// Waiting for a lock held by another process never blocks this process for long: each
// attempt waits at most BUSY_SLICE_MS inside SQLite, then the driver yields to the event
// loop (heartbeats, Ctrl-C) and tries again, with backoff, for up to `busyTimeoutMs`.
import type Database from 'better-sqlite3';
import { GradtuneError } from '../errors.js';
import { Mutex, type RunResult, type SqlDriver, type SqlSession, type SqlValue } from './sql-driver.js';

/** How long one attempt may block the event loop waiting for another process's lock. */
export const BUSY_SLICE_MS = 100;
/** How long an operation keeps retrying a locked store before giving up with one line. */
export const DEFAULT_BUSY_TIMEOUT_MS = 60_000;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SqliteDriverOptions {
  now: () => Date;
  busyTimeoutMs?: number;
  readOnly: boolean;
}

export class SqliteDriver implements SqlDriver {
  /** BEGIN IMMEDIATE holds the lock already. */
  readonly forUpdate = '';
  readonly dialect = 'sqlite' as const;
  private readonly mutex = new Mutex();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly session: SqlSession;
  private readonly busyTimeoutMs: number;
  private closed = false;

  constructor(
    readonly location: string,
    private readonly db: Database.Database,
    private readonly opts: SqliteDriverOptions,
  ) {
    // GRADTUNE_BUSY_TIMEOUT (seconds) overrides the default, e.g. to fail fast in scripts.
    const fromEnv = Number(process.env.GRADTUNE_BUSY_TIMEOUT);
    this.busyTimeoutMs = opts.busyTimeoutMs ?? (fromEnv > 0 ? fromEnv * 1000 : DEFAULT_BUSY_TIMEOUT_MS);
    db.pragma(`busy_timeout = ${BUSY_SLICE_MS}`);
    const exec = {
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).all(...bind(params)) as T[],
      get: async <T>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).get(...bind(params)) as T | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []): Promise<RunResult> => ({ changes: this.prepare(sql).run(...bind(params)).changes }),
    };
    this.session = exec;
  }

  get readOnly(): boolean {
    return this.opts.readOnly;
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.exclusive(() => this.session.all<T>(sql, params));
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.exclusive(() => this.session.get<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.exclusive(() => this.session.run(sql, params));
  }

  transaction<T>(mode: 'read' | 'write', body: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      // IMMEDIATE takes the write lock before the first read: what the body reads is what
      // it writes against. A read transaction sees one consistent snapshot (WAL).
      this.db.exec(mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN');
      try {
        const result = await body(this.session);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async lockStudy(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's only write lock.
  }

  async now(): Promise<Date> {
    return this.opts.now();
  }

  async close(): Promise<void> {
    await this.mutex.run(() => {
      if (this.closed) return;
      this.closed = true;
      this.db.close();
    });
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** One operation at a time on the connection; a locked store is retried with backoff. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      if (this.closed) throw new Error(`store ${this.location} is closed`);
      const deadline = Date.now() + this.busyTimeoutMs;
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn();
        } catch (err) {
          if (!isBusy(err)) throw storageError(err, this.location);
          if (Date.now() >= deadline) {
            throw new GradtuneError(
              `store ${this.location} stayed locked by another process for ${Math.round(this.busyTimeoutMs / 1000)} s; ` +
                `find the process holding it (e.g. fuser ${this.location}) and run the command again`,
            );
          }
          // Yield between attempts so timers (heartbeats) and signals (Ctrl-C) run.
          await sleep(Math.min(1000, 20 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
        }
      }
    });
  }
}

/**
 * What the file system or the file did to a write, as the user's problem to fix: the
 * transaction was rolled back, so the store is as it was before the failed change.
 */
function storageError(err: unknown, location: string): unknown {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL') {
    return new GradtuneError(`the disk holding store ${location} is full; free some space and run the same command again (the store is intact: the last change was not written)`);
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new GradtuneError(`cannot write store ${location}: disk I/O error (${code}); check the disk and run the same command again (the store is intact: the last change was not written)`);
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new GradtuneError(`store ${location} became read-only while in use (${code}); make it writable again and run the same command`);
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new GradtuneError(`store ${location} is damaged (${code}); restore your last good copy, or recover what can be read: sqlite3 ${location} .recover | sqlite3 recovered.db`);
  }
  return err;
}

/** better-sqlite3 binds Buffers, not Uint8Array views, and 0/1 for booleans. */
function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => {
    if (typeof p === 'boolean') return p ? 1 : 0;
    if (p instanceof Uint8Array && !Buffer.isBuffer(p)) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    return p;
  });
}
