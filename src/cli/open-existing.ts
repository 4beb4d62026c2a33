// Read-only commands (report, best, studies) must not create a store that is not there.
import { existsSync } from 'node:fs';
import { GradtuneError } from '../errors.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite.js';
import type { StudyRecord } from '../store/store.js';

export function openExistingStore(path: string): SqliteStore {
  if (!existsSync(path)) {
    throw new GradtuneError(`no study store at ${path}: run gradtune search first, or point --storage at your store`);
  }
  return openSqliteStore(path, { readOnly: true });
}

export function requireStudy(store: SqliteStore, name: string): StudyRecord {
  const study = store.getStudy(name);
  if (!study) {
    const known = store.listStudies().map((s) => s.name);
    const hint = known.length ? `studies in ${store.path}: ${known.join(', ')}` : `${store.path} has no studies yet`;
    throw new GradtuneError(`unknown study "${name}" (${hint}); run gradtune studies to list them`);
  }
  return study;
}
