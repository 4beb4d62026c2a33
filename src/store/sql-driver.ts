// What the store logic (sql-store.ts) needs from a database: a few async calls and a
// transaction. SQLite and PostgreSQL each implement it; the logic and its SQL are shared,
// so both stores behave alike by construction and one contract suite tests both.
//
// SQL is written once with `?` placeholders; the PostgreSQL driver numbers them ($1, $2).
// Only SQL both engines accept is used (RETURNING, coalesce, CASE, subqueries).

export type SqlValue = string | number | null | Buffer | Uint8Array | boolean;

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** The calls a transaction body and the store logic use. */
export interface SqlSession {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
}

export interface SqlDriver extends SqlSession {
  readonly dialect: 'sqlite' | 'postgres';
  /** Fit to print: a path, or a URL with its password replaced by `***`. */
  readonly location: string;
  /** Whether the store was opened read-only (reports of a read-only file). */
  readonly readOnly: boolean;
  /**
   * Runs `body` in one transaction. `write`: the body will write; SQLite takes the write
   * lock at BEGIN (IMMEDIATE), so what it reads is still true when it writes. PostgreSQL
   * serialises per study with `lockStudy` inside the body instead.
   */
  transaction<T>(mode: 'read' | 'write', body: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Inside a write transaction: waits for, then holds until the end of the transaction,
   * the right to decide for this study (PostgreSQL: a row lock; SQLite: already held).
   */
  lockStudy(session: SqlSession, studyId: number): Promise<void>;
  /**
   * Appended to a SELECT of one study's row to take lockStudy's lock in the same statement
   * (a round trip less per ask on a server): ' FOR UPDATE' on PostgreSQL, '' on SQLite.
   */
  readonly forUpdate: string;
  /** The time that heartbeats and staleness are judged by: the database server's, where there is one. */
  now(session: SqlSession): Promise<Date>;
  close(): Promise<void>;
}

/**
 * One operation at a time on a connection. Several trial loops of one process share the
 * connection, and a transaction's awaits must not let another loop's statement slip
 * into it (SQLite has one transaction per connection).
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
