// The embedded store: one SQLite file that several processes on one machine share.
import { hostname } from 'node:os';
import { openDatabase } from './open.js';
import { SqliteDriver } from './sqlite-driver.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './store.js';

export interface SqliteStoreOptions {
  /** Clock for created_at/started_at/heartbeat_at/finished_at; tests pin it. */
  now?: () => Date;
  /**
   * A running trial whose heartbeat is older than this lost its worker (a killed process):
   * the next ask marks it stale, so the oracle can hand its slot out again. Default 60 s;
   * the Tuner beats every 10 s.
   */
  staleAfterMs?: number;
  /** This process, as written in a trial's owner column. Default host:pid. */
  owner?: string;
  /**
   * Whether the process that owns a running trial is still alive; undefined when this
   * process cannot tell (another machine). Default: a signal-0 probe of a pid on this host.
   */
  ownerAlive?: (owner: string) => boolean | undefined;
  /** Reports only: opened read-only (no migration, no write); a read-only file is fine. */
  readOnly?: boolean;
  /** How long an operation waits for another process's lock before giving up (default 60 s). */
  busyTimeoutMs?: number;
}

export const DEFAULT_STALE_AFTER_MS = 60_000;

/** This process as a trial owner: the host lets a process on the same machine check the pid. */
export function processOwner(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * A process on this host that owned a running trial and no longer exists lost that trial
 * for certain (kill -9, a crash, a second Ctrl-C): it need not wait out the grace period.
 */
export function localOwnerAlive(owner: string): boolean | undefined {
  const at = owner.lastIndexOf(':');
  const pid = Number(owner.slice(at + 1));
  if (at < 0 || owner.slice(0, at) !== hostname() || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists but belongs to another user; only ESRCH means it is gone.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Opens the store at `path`, creating the file and its schema when it does not exist
 * (unless read-only). Throws GradtuneError, touching nothing, when the path is a
 * directory, its directory is missing, the file is not a SQLite database or is damaged,
 * or it was written by a newer gradtune.
 */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<Store> {
  const readOnly = opts.readOnly ?? false;
  const db = openDatabase(path, { readOnly });
  const now = opts.now ?? (() => new Date());
  return new SqlStore(new SqliteDriver(path, db, { now, readOnly, busyTimeoutMs: opts.busyTimeoutMs }), {
    staleAfterMs: opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS,
    owner: opts.owner ?? processOwner(),
    ownerAlive: opts.ownerAlive ?? localOwnerAlive,
  });
}
