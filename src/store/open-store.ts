// `--storage`: a SQLite file path (or `sqlite:` URL), or a `postgresql://` URL. The one
// place that turns what the user typed into a Store; nothing else knows which it is.
import { GradtuneError } from '../errors.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type { Store } from './store.js';
import { redactUrl } from './redact.js';

/** The store a command uses when neither --storage nor GRADTUNE_STORAGE says otherwise. */
export const DEFAULT_STORAGE = 'gradtune.db';

export type StorageLocation =
  | { kind: 'sqlite'; path: string; display: string }
  | { kind: 'postgres'; url: string; display: string };

/** --storage as given, else GRADTUNE_STORAGE, else gradtune.db. */
export function storageFromEnv(given: string | undefined): string {
  if (given !== undefined) return given;
  const env = process.env.GRADTUNE_STORAGE;
  return env !== undefined && env !== '' ? env : DEFAULT_STORAGE;
}

/**
 * What a --storage value names. Anything that is neither a file path nor a supported URL
 * is refused with one line: a throw-away database (`:memory:`, "") would run a search
 * and keep nothing.
 */
export function parseStorage(value: string): StorageLocation {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new GradtuneError('--storage is empty; give a SQLite file path (e.g. gradtune.db) or a postgresql:// URL');
  }
  if (value === ':memory:' || /^file::memory:/i.test(value) || /mode=memory/i.test(value)) {
    throw new GradtuneError(`--storage ${value} is an in-memory database, which keeps nothing once the command ends; give a file path (e.g. gradtune.db) or a postgresql:// URL`);
  }
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new GradtuneError(`--storage ${redactUrl(value)} is not a valid URL; use postgresql://user:password@host:5432/database`);
    }
    if (url.pathname === '' || url.pathname === '/') {
      throw new GradtuneError(`--storage ${redactUrl(value)} names no database; use postgresql://user:password@host:5432/database`);
    }
    return { kind: 'postgres', url: value, display: redactUrl(value) };
  }
  if (/^sqlite:/i.test(value)) {
    // sqlite:relative/path.db, sqlite:///absolute/path.db, sqlite://relative (as some tools write it)
    const path = value.replace(/^sqlite:(\/\/)?/i, '');
    if (path === '' || path === ':memory:') return parseStorage(path === '' ? '' : ':memory:');
    return { kind: 'sqlite', path: decodeURIComponent(path), display: value };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const scheme = value.slice(0, value.indexOf(':'));
    throw new GradtuneError(`--storage ${redactUrl(value)}: "${scheme}" stores are not supported; give a SQLite file path, a sqlite: URL or a postgresql:// URL`);
  }
  if (/[\\/]$/.test(value)) {
    throw new GradtuneError(`--storage ${value} ends with a path separator, so it names a directory; give a file path such as ${value}gradtune.db`);
  }
  return { kind: 'sqlite', path: value, display: value };
}

export interface OpenStoreOptions extends Pick<SqliteStoreOptions, 'staleAfterMs' | 'readOnly' | 'now' | 'owner' | 'ownerAlive' | 'busyTimeoutMs'> {}

export async function openStore(value: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const location = parseStorage(value);
  if (location.kind === 'sqlite') return openSqliteStore(location.path, opts);
  const { openPostgresStore } = await import('./postgres.js');
  return openPostgresStore(location.url, opts);
}
