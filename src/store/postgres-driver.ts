// The PostgreSQL driver: node-postgres (`pg`) behind the SqlDriver calls, for studies that
// many processes on many machines share.
//
// - A small pool of connections per process (default 4; `?pool_max=N` in the URL).
// - A transaction runs on one checked-out connection; a write transaction serialises per
//   study with a row lock (`lockStudy`), so any number of processes never hand out the
//   same trial, while other studies' trials go on.
// - Time comes from the database server's clock: machines' clocks differ, and heartbeats
//   and staleness are compared across machines.
// - A dropped connection or a restarted server is retried with backoff; a database that
//   stays away past `retry_timeout` (default 60 s) ends the operation with one line.
//   Nothing is lost: a transaction that did not commit changed nothing, and the trials a
//   process was running become stale and are run again.
// - The URL's password never appears in an error (driver messages are redacted).
import pg from 'pg';
import { createHash } from 'node:crypto';
import { GradtuneError } from '../errors.js';
import { migratePostgres } from './postgres-migrate.js';
import { redactError, redactText, redactUrl, urlSecrets } from './redact.js';
import type { RunResult, SqlDriver, SqlSession, SqlValue } from './sql-driver.js';

export const DEFAULT_POOL_MAX = 4;
export const DEFAULT_RETRY_TIMEOUT_MS = 60_000;
/** How long opening the store keeps trying a server that does not answer (it may be starting). */
const OPEN_RETRY_MS = 10_000;
/** How often the server's clock is read again (this machine's may drift or be stepped). */
const CLOCK_RESYNC_MS = 60_000;

export interface PostgresDriverOptions {
  /** Clock for the timestamps the store writes; default the database server's. Tests pin it. */
  now?: () => Date;
  /** Connections in this process's pool (default: the URL's pool_max, else 4). */
  poolMax?: number;
  /** How long a lost database is retried before giving up (default: the URL's retry_timeout in seconds, else 60 s). */
  retryTimeoutMs?: number;
  /** Reports: no migration, and every transaction read-only. */
  readOnly?: boolean;
}

/** Error codes of a connection that went away or a server that is (re)starting: worth retrying. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: the server is stopping (or restarting)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up
  '53300', // too_many_connections: others will leave
]);
/** A transaction that lost a race with another: run it again. */
const RETRY_TRANSACTION_CODES = new Set(['40001', '40P01']);
const CONNECTION_MESSAGES = /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Connection ended|terminating connection/i;

export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  // Node's AggregateError when every address of a host refused.
  const inner = (err as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.length > 0 && inner.every(isConnectionError)) return true;
  return CONNECTION_MESSAGES.test(err.message);
}

function isRetryable(err: unknown): boolean {
  return isConnectionError(err) || RETRY_TRANSACTION_CODES.has((err as { code?: string }).code ?? '');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `?` placeholders, numbered as PostgreSQL wants them ($1, $2, ...); none are inside string literals. */
function numberPlaceholders(sql: string): string {
  let n = 0;
  let quoted = false;
  let out = '';
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  return out;
}

/** BIGINT (seeds, counts, change counters) as numbers: all of ours are far below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
}

/** The settings of ours in the URL (not PostgreSQL's), taken out before pg sees it. */
function ownParams(url: string): { url: string; poolMax?: number; retryTimeoutMs?: number; connectTimeoutMs?: number } {
  const parsed = new URL(url);
  const read = (name: string, min: number): number | undefined => {
    const raw = parsed.searchParams.get(name);
    if (raw === null) return undefined;
    parsed.searchParams.delete(name);
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < min) {
      throw new GradtuneError(`--storage ${redactUrl(url)}: ${name}=${raw} must be a number >= ${min}`);
    }
    return value;
  };
  const poolMax = read('pool_max', 1);
  const retry = read('retry_timeout', 0);
  // libpq's connect_timeout (seconds); pg reads it only as an option, so it is passed as one.
  const connect = read('connect_timeout', 0);
  if (poolMax !== undefined && !Number.isInteger(poolMax)) throw new GradtuneError(`--storage ${redactUrl(url)}: pool_max=${poolMax} must be a whole number`);
  return {
    url: parsed.toString(),
    poolMax,
    retryTimeoutMs: retry === undefined ? undefined : retry * 1000,
    connectTimeoutMs: connect === undefined || connect === 0 ? undefined : connect * 1000,
  };
}

export class PostgresDriver implements SqlDriver {
  readonly forUpdate = ' FOR UPDATE';
  readonly dialect = 'postgres' as const;
  readonly location: string;
  private readonly secrets: string[];
  private readonly pool: pg.Pool;
  private readonly retryTimeoutMs: number;
  private readonly statementNames = new Map<string, string>();
  private closed = false;
  /**
   * Set once the database stayed away past the retry timeout: what follows (giving running
   * trials back on the way out) tries once instead of waiting the whole timeout again.
   */
  private lost = false;
  /** The database server's clock minus this machine's, and when it was measured. */
  private clock: { offsetMs: number; at: number } | undefined;

  private constructor(
    url: string,
    private readonly opts: PostgresDriverOptions,
  ) {
    this.location = redactUrl(url);
    this.secrets = urlSecrets(url);
    const own = ownParams(url);
    this.retryTimeoutMs = opts.retryTimeoutMs ?? own.retryTimeoutMs ?? DEFAULT_RETRY_TIMEOUT_MS;
    this.pool = new pg.Pool({
      // pg parses the rest of the URL: host, port, database, user, password, and the TLS
      // settings (sslmode, sslrootcert, sslcert, sslkey), passed through as given.
      connectionString: own.url,
      max: opts.poolMax ?? own.poolMax ?? DEFAULT_POOL_MAX,
      // Long enough that a process heartbeating every 10 s keeps its connections.
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: own.connectTimeoutMs ?? 10_000,
      // A server on another machine that vanishes (power, network) shows up as a dead socket.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'gradtune',
      types,
    });
    // An idle connection that the server ends (a restart) is dropped by the pool; without a
    // listener its error would end the process.
    this.pool.on('error', () => undefined);
    if (opts.readOnly) {
      // Reports: the database itself refuses a write, whatever the code does.
      this.pool.on('connect', (client) => {
        client.query('SET default_transaction_read_only = on').catch(() => undefined);
      });
    }
  }

  /** Connects (retrying a server that is starting for a few seconds) and brings the schema up to date. */
  static async open(url: string, opts: PostgresDriverOptions = {}): Promise<PostgresDriver> {
    const driver = new PostgresDriver(url, opts);
    try {
      await driver.retrying(Math.min(OPEN_RETRY_MS, driver.retryTimeoutMs), 'open', async () => {
        const client = await driver.pool.connect();
        let broken = false;
        const onError = () => (broken = true);
        client.on('error', onError);
        try {
          await migratePostgres(client, driver.location, { readOnly: opts.readOnly ?? false });
        } catch (err) {
          if (isConnectionError(err)) broken = true;
          throw err;
        } finally {
          client.off('error', onError);
          client.release(broken);
        }
      });
    } catch (err) {
      await driver.pool.end().catch(() => undefined);
      throw err;
    }
    return driver;
  }

  get readOnly(): boolean {
    return this.opts.readOnly ?? false;
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.retrying(this.retryTimeoutMs, 'run', async () => (await this.query<T>(this.pool, sql, params)).rows);
  }

  async get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.retrying(this.retryTimeoutMs, 'run', async () => ({ changes: (await this.query(this.pool, sql, params)).rowCount ?? 0 }));
  }

  transaction<T>(mode: 'read' | 'write', body: (session: SqlSession) => Promise<T>): Promise<T> {
    // A transaction that fails on a lost connection did not commit (the server rolls it
    // back), so it is run again from the start on a new connection. One that fails while
    // committing may have committed; running it again is still safe for this store's
    // writes (see sql-store.ts: an outcome told twice by the same attempt counts once).
    return this.retrying(this.retryTimeoutMs, 'run', async () => {
      const client = await this.pool.connect();
      let broken = false;
      const onError = () => (broken = true);
      client.on('error', onError);
      const session: SqlSession = {
        all: async <R>(sql: string, params?: readonly SqlValue[]) => (await this.query<R>(client, sql, params)).rows,
        get: async <R>(sql: string, params?: readonly SqlValue[]) => (await this.query<R>(client, sql, params)).rows[0],
        run: async (sql: string, params?: readonly SqlValue[]) => ({ changes: (await this.query(client, sql, params)).rowCount ?? 0 }),
      };
      try {
        // A read sees one snapshot (the study's seq and its trials agree); a write sees the
        // latest committed rows once it holds the study's lock.
        await client.query(mode === 'read' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
        const result = await body(session);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (isConnectionError(err)) broken = true;
        if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      } finally {
        client.off('error', onError);
        // A broken connection is closed, not given back to the pool.
        client.release(broken);
      }
    });
  }

  async lockStudy(session: SqlSession, studyId: number): Promise<void> {
    // Held until the transaction ends; asks, tells and changes of one study queue here,
    // other studies are not held up.
    await session.get('SELECT id FROM studies WHERE id = ? FOR UPDATE', [studyId]);
  }

  async now(session: SqlSession): Promise<Date> {
    if (this.opts.now) return this.opts.now();
    const local = Date.now();
    if (!this.clock || local - this.clock.at > CLOCK_RESYNC_MS || local < this.clock.at) {
      // The server's clock as an offset from this machine's, measured at the midpoint of a
      // round trip (within a fraction of a millisecond on a LAN) and measured again every
      // minute: heartbeats and staleness agree across machines without a query per stamp.
      // clock_timestamp, not now(): now() is when the transaction began.
      const before = Date.now();
      const row = await session.get<{ now: Date }>('SELECT clock_timestamp() AS now');
      const after = Date.now();
      this.clock = { offsetMs: row!.now.getTime() - (before + after) / 2, at: after };
    }
    return new Date(Date.now() + this.clock.offsetMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** Runs one statement; the same statement text is parsed once per connection (a named prepared statement). */
  private async query<T>(on: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[] = []): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
    if (this.closed) throw new Error(`store ${this.location} is closed`);
    let name = this.statementNames.get(sql);
    if (name === undefined && this.statementNames.size < 500) {
      name = `gt_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
      this.statementNames.set(sql, name);
    }
    return on.query<T & pg.QueryResultRow>({ name, text: numberPlaceholders(sql), values: bind(params) });
  }

  /**
   * Runs `fn`, again with backoff while the database is unreachable, for up to `timeoutMs`;
   * every error leaves with the URL's secrets redacted.
   */
  private async retrying<T>(timeoutMs: number, phase: 'open' | 'run', fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.lost ? 0 : timeoutMs);
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await fn();
        this.lost = false;
        return result;
      } catch (err) {
        if (err instanceof GradtuneError) throw err;
        if (this.closed || !isRetryable(err)) throw this.explain(err, phase);
        if (Date.now() >= deadline) {
          this.lost = true;
          throw this.unreachable(err, phase, timeoutMs);
        }
        await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
      }
    }
  }

  /** Errors a user can fix become one line; anything else keeps its class and code, redacted. */
  private explain(err: unknown, phase: 'open' | 'run'): unknown {
    const code = (err as { code?: string }).code;
    const message = redactText(err instanceof Error ? err.message : String(err), this.secrets);
    if (code === '28P01' || code === '28000') {
      return new GradtuneError(`the PostgreSQL server refused the login to ${this.location} (${message}); check the user and password in the URL`);
    }
    if (code === '3D000') {
      return new GradtuneError(`${message} on the server of ${this.location}; create it (createdb) or fix the database name in the URL`);
    }
    if (code === 'ENOTFOUND') {
      return new GradtuneError(`cannot find the PostgreSQL server of ${this.location} (${message}); check the host name in the URL`);
    }
    if (phase === 'open' && (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /SSL|TLS|certificate/i.test(message))) {
      return new GradtuneError(`TLS to ${this.location} failed (${message}); check sslmode and sslrootcert in the URL`);
    }
    return redactError(err, this.secrets);
  }

  private unreachable(err: unknown, phase: 'open' | 'run', timeoutMs: number): GradtuneError {
    const reason = redactText(err instanceof Error ? err.message || (err as { code?: string }).code || err.name : String(err), this.secrets).replace(/\s+/g, ' ');
    const seconds = Math.round(timeoutMs / 1000);
    if (phase === 'open') {
      return new GradtuneError(`cannot reach the PostgreSQL store ${this.location} (${reason}); check that the server runs and the host and port in the URL, then run the command again`);
    }
    return new GradtuneError(
      `lost the PostgreSQL store ${this.location} and it did not come back within ${seconds} s (${reason}); nothing is lost: run the same command again once the database is back, and the trials that were running will run again`,
    );
  }
}
