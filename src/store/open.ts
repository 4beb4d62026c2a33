import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import Database from 'better-sqlite3';
import { GradtuneError } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

/** Every SQLite 3 database file starts with these 16 bytes. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Long enough to ride out another process's ask or tell (milliseconds each), short enough
 * that a wedged process shows up as an error rather than a silent hang.
 */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (creating if needed) the SQLite file at `file` and brings its schema up to date.
 * Every user mistake is caught before anything is written, so a wrong path never damages
 * the file it points at.
 */
export function openDatabase(file: string, opts: { readOnly?: boolean } = {}): Database.Database {
  const access = checkPath(file);
  if (access === 'read' && !opts.readOnly) {
    throw new GradtuneError(`store ${file} is read-only; make it writable (chmod u+w ${file}) or pass --storage <another file>`);
  }
  if (opts.readOnly) {
    // Readers never take the write lock; an older schema is brought forward once, by a
    // brief writable open, when the file may be written.
    // Looked at before anything opens the file (see openReadOnly).
    const walWasThere = fs.existsSync(`${file}-wal`);
    if (access === 'write' && needsMigration(file)) openWritable(file).close();
    return openReadOnly(file, walWasThere);
  }
  return openWritable(file);
}

function openWritable(file: string): Database.Database {
  const db = new Database(file);
  try {
    probe(db, file);
    // busy_timeout first: switching to WAL itself needs a lock another process may hold.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL lets readers (reports) run while a search writes, and makes commits cheap.
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    migrate(db, file);
    return db;
  } catch (err) {
    db.close();
    throw openError(err, file);
  }
}

function needsMigration(file: string): boolean {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('user_version', { simple: true });
  } catch (err) {
    // Not even readable in place: then it cannot be upgraded here either.
    if (cannotShareWal(err)) return false;
    throw openError(err, file);
  }
  try {
    probe(db, file);
    return (db.pragma('user_version', { simple: true }) as number) < SCHEMA_VERSION;
  } finally {
    db.close();
  }
}

/**
 * Reports read a store without writing to it: opened read-only, no journal-mode switch
 * and no migration (an older schema must be upgraded by a writer).
 */
function openReadOnly(file: string, walWasThere: boolean): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    // A WAL store needs its -shm file: where it cannot be created (a read-only mount, a
    // directory this user cannot write), opening fails only at the first read.
    db.pragma('user_version', { simple: true });
  } catch (err) {
    if (!cannotShareWal(err)) throw openError(err, file);
    db = openSnapshot(file);
  }
  try {
    probe(db, file);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < SCHEMA_VERSION) {
      throw new GradtuneError(`store ${file} is read-only and from an older gradtune (schema version ${version}); make it writable (chmod u+w ${file}) so it can be upgraded`);
    }
    // A read-only connection to a WAL store creates its -wal and -shm files when they are
    // missing (no search is running) and, unlike a writer, cannot remove them when it
    // closes: a report would leave two files behind in the user's directory.
    if (!walWasThere && db.name === file) removeWalOnClose(db, file);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * After `db` (read-only) closes, a brief read by a writable connection that then closes:
 * when it is the store's last connection, SQLite folds the (empty) log back and removes
 * -wal and -shm; when a search has opened the store meanwhile, it leaves them to it. The
 * store file is not changed: the log holds nothing a reader could have written.
 */
function removeWalOnClose(db: Database.Database, file: string): void {
  const close = db.close.bind(db);
  db.close = () => {
    close();
    try {
      const tidy = new Database(file, { fileMustExist: true });
      try {
        tidy.pragma('user_version', { simple: true });
      } finally {
        tidy.close();
      }
    } catch {
      // Left for the next writer to remove: nothing is lost.
    }
    return db;
  };
}

function cannotShareWal(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY');
}

/**
 * A store in a place nothing can write to cannot be being written either: reading a copy
 * of it (with its WAL, if the last writer left one) is reading the store. The copy is made
 * self-contained (rollback journal), opened read-only and unlinked at once.
 */
function openSnapshot(file: string): Database.Database {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradtune-ro-'));
  const copy = path.join(dir, 'store.db');
  try {
    fs.copyFileSync(file, copy);
    if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
    // The copies keep the originals' modes (a store marked read-only): ours to write.
    for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o600);
    const writable = new Database(copy);
    writable.pragma('journal_mode = DELETE');
    writable.close();
    return new Database(copy, { readonly: true, fileMustExist: true });
  } finally {
    // The open connection keeps the unlinked file; where unlinking an open file fails, the temp dir stays.
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // left in the system's temp directory
    }
  }
}

/**
 * The permission bits decide, not only access(2): root may write anything, yet a store
 * its owner marked read-only (chmod a-w) must not be changed behind their back.
 */
function permits(file: string, stat: fs.Stats, mode: number, bits: number): boolean {
  try {
    fs.accessSync(file, mode);
  } catch {
    return false;
  }
  return (stat.mode & bits) !== 0;
}

/**
 * Refuses directories, missing parents, unreadable files and files that are not SQLite,
 * by looking only. Returns whether the file may be written ('read': read-only).
 */
function checkPath(file: string): 'read' | 'write' {
  const stat = statOrUndefined(file);
  if (stat === undefined) {
    const dir = path.dirname(path.resolve(file));
    const dirStat = statOrUndefined(dir);
    if (dirStat === undefined) {
      throw new GradtuneError(`cannot create store ${file}: directory ${dir} does not exist; create it first (mkdir -p ${dir})`);
    }
    if (!dirStat.isDirectory()) {
      throw new GradtuneError(`cannot create store ${file}: ${dir} is not a directory; choose a store path inside a directory`);
    }
    return 'write';
  }
  if (stat.isDirectory()) {
    throw new GradtuneError(`store path ${file} is a directory; pass a file path such as ${path.join(file, 'gradtune.db')}`);
  }
  if (!stat.isFile()) {
    throw new GradtuneError(`store path ${file} is not a regular file (a device, a pipe or a socket); pass a file path such as gradtune.db`);
  }
  // An empty file is a valid empty database to SQLite (e.g. made by mktemp); anything else
  // must carry the header. better-sqlite3 would only notice on the first statement.
  if (!permits(file, stat, fs.constants.R_OK, 0o444)) {
    throw new GradtuneError(`cannot read store ${file}: permission denied; give yourself read access (chmod u+r ${file}) or pass --storage <another file>`);
  }
  if (stat.size > 0 && !hasSqliteHeader(file)) {
    throw notADatabase(file);
  }
  return permits(file, stat, fs.constants.W_OK, 0o222) ? 'write' : 'read';
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (err) {
    // ENOTDIR: a parent is a file; the caller's directory check names it.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function hasSqliteHeader(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return n === head.length && head.equals(SQLITE_HEADER);
  } finally {
    fs.closeSync(fd);
  }
}

/** What went wrong reading a store as it was opened, as the user's problem to fix when it is one. */
function openError(err: unknown, file: string): unknown {
  const code = (err as { code?: string }).code ?? '';
  // With the SQLite header, the file was a database: it is damaged (truncated, overwritten), not foreign.
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return hasSqliteHeader(file) ? damaged(file, code) : notADatabase(file);
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
    const free = freeBytes(file);
    if (code === 'SQLITE_FULL' || (free !== undefined && free < 256 * 1024)) {
      return new GradtuneError(`the disk holding store ${file} is full (${free ?? 0} bytes free); free some space and run the same command again (the store is intact)`);
    }
    return new GradtuneError(`cannot open store ${file}: disk I/O error (${code}); check the disk it is on`);
  }
  return err;
}

function freeBytes(file: string): number | undefined {
  try {
    const s = fs.statfsSync(path.dirname(path.resolve(file)));
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

function damaged(file: string, detail: string): GradtuneError {
  return new GradtuneError(
    `store ${file} is damaged (${detail}); restore your last good copy, or recover what can be read: sqlite3 ${file} .recover | sqlite3 recovered.db`,
  );
}

function notADatabase(file: string): GradtuneError {
  return new GradtuneError(`${file} is not a gradtune store (not a SQLite database); choose another store path or move the file away`);
}

/** Reads only: rejects stores from a newer gradtune, corrupt files, and other programs' databases. */
function probe(db: Database.Database, file: string): void {
  let version: number;
  let foreignTables: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    foreignTables = (
      db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`).get() as { n: number }
    ).n;
  } catch (err) {
    throw openError(err, file);
  }
  if (version > SCHEMA_VERSION) throw newerSchema(file, version);
  if (version > 0) checkIntegrity(db, file);
  // user_version 0 with tables in it: some other program's database, not ours to alter.
  if (version === 0 && foreignTables > 0) {
    throw new GradtuneError(`${file} is a SQLite database but not a gradtune store; choose another store path`);
  }
}

/**
 * `PRAGMA quick_check` on every open of a store: it reads every page once (milliseconds for
 * a typical store), and a store with damaged pages must not be reported from or written to.
 */
function checkIntegrity(db: Database.Database, file: string): void {
  let problems: string[];
  try {
    problems = db.pragma('quick_check(5)', { simple: false }) as string[];
    problems = (problems as unknown as { quick_check: string }[]).map((r) => r.quick_check);
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw damaged(file, code);
  }
  if (problems.length !== 1 || problems[0] !== 'ok') throw damaged(file, `quick_check: ${(problems[0] ?? 'failed').split('\n').find((l) => l.trim() && !l.includes('***')) ?? 'failed'}`);
}

function newerSchema(file: string, version: number): GradtuneError {
  return new GradtuneError(
    `${file} was created by a newer gradtune (schema version ${version}, this gradtune knows up to ${SCHEMA_VERSION}); upgrade gradtune`,
  );
}

/**
 * Applies the missing migrations in one IMMEDIATE transaction: two processes opening a new
 * file at once serialise here, and the second finds the schema already in place.
 */
function migrate(db: Database.Database, file: string): void {
  // Most opens find the schema current: reading the version takes no lock, so opening a
  // store while another process holds its write lock does not wait (synchronously, up to
  // the busy timeout) for a transaction that would change nothing.
  const seen = db.pragma('user_version', { simple: true }) as number;
  if (seen > SCHEMA_VERSION) throw newerSchema(file, seen);
  if (seen === SCHEMA_VERSION) return;
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) throw newerSchema(file, current);
    for (let v = current; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v]);
      // user_version lives in the file header and commits or rolls back with the rest.
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}
