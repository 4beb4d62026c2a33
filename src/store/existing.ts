// Read-only commands (report, best, studies, export) must not create a store that is not
// there, and never take its write lock: they read while a search writes.
import { existsSync } from 'node:fs';
import { GradtuneError } from '../errors.js';
import { openStore, parseStorage } from './open-store.js';
import type { Store, StudyRecord } from './store.js';

export async function openExistingStore(storage: string): Promise<Store> {
  const location = parseStorage(storage);
  if (location.kind === 'sqlite' && !existsSync(location.path)) {
    throw new GradtuneError(`no study store at ${location.path}: run gradtune search first, or point --storage at your store`);
  }
  return openStore(storage, { readOnly: true });
}

export async function requireStudy(store: Store, name: string): Promise<StudyRecord> {
  const study = await store.getStudy(name);
  if (!study) {
    const known = (await store.listStudies()).map((s) => s.name);
    const hint = known.length ? `studies in ${store.location}: ${known.join(', ')}` : `${store.location} has no studies yet`;
    throw new GradtuneError(`unknown study "${name}" (${hint}); run gradtune studies to list them`);
  }
  return study;
}

/** Opens the store, runs `body`, closes the store whatever happens. */
export async function withExistingStore<T>(storage: string, body: (store: Store) => Promise<T>): Promise<T> {
  const store = await openExistingStore(storage);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}
