// PostgreSQL store: placeholder until the driver lands (see issue 16).
import { GradtuneError } from '../errors.js';
import type { OpenStoreOptions } from './open-store.js';
import type { Store } from './store.js';
import { redactUrl } from './redact.js';

export async function openPostgresStore(url: string, _opts: OpenStoreOptions = {}): Promise<Store> {
  throw new GradtuneError(`PostgreSQL stores are not available in this build (${redactUrl(url)}); use a SQLite file path`);
}
