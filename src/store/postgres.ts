// The PostgreSQL store: the same store logic as SQLite (sql-store.ts) over node-postgres,
// for studies shared by processes on many machines.
import type { OpenStoreOptions } from './open-store.js';
import { PostgresDriver } from './postgres-driver.js';
import { DEFAULT_STALE_AFTER_MS, localOwnerAlive, processOwner } from './sqlite.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './store.js';

export interface PostgresStoreOptions extends OpenStoreOptions {
  /** Connections in this process's pool (default: the URL's pool_max, else 4). */
  poolMax?: number;
  /** How long a lost database is retried (default: the URL's retry_timeout, else 60 s). */
  retryTimeoutMs?: number;
}

/**
 * Opens the store in the database the URL names, creating or upgrading its tables unless
 * read-only. Throws GradtuneError, with the password shown as ***, when the server cannot
 * be reached, refuses the login, or holds a store from a newer gradtune.
 */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<Store> {
  const driver = await PostgresDriver.open(url, {
    now: opts.now,
    poolMax: opts.poolMax,
    retryTimeoutMs: opts.retryTimeoutMs,
    readOnly: opts.readOnly,
  });
  return new SqlStore(driver, {
    staleAfterMs: opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS,
    owner: opts.owner ?? processOwner(),
    // Another process on this machine that died lost its trials for certain; one on
    // another machine is judged by its heartbeat, on the server's clock.
    ownerAlive: opts.ownerAlive ?? localOwnerAlive,
  });
}
