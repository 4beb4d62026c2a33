// `--out <file>`: where a command writes a file (a report, predictions). One rule for
// every command, checked before any work is done, so a wrong path costs nothing:
// - never the study store (nor its -wal/-shm/-journal files) nor an input of the same
//   command, even with --force: the same file under another name (./x, a symlink, a
//   hard link) is the same file, compared by device and inode;
// - an existing file only with --force;
// - written atomically, through a temporary file beside it and a rename, so a failed or
//   interrupted write never leaves half a file and a reader never sees one.
import { realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { GradtuneError } from '../errors.js';
import { parseStorage } from '../store/open-store.js';

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    // ENOTDIR: a parent is a file; the directory check below names it.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw err;
  }
}

/** A file the command reads or keeps, which its --out must never replace. */
export interface ProtectedFile {
  path: string;
  /** What it is, for the message: `the study store`, `the --data file`. */
  what: string;
}

export interface OutPathOptions {
  /** --force: replacing an existing file is what the user asked for. */
  force?: boolean;
  /** Files --out must not be, --force or not. */
  protect?: readonly ProtectedFile[];
}

/** The store and the files SQLite keeps beside it: replacing any of them loses studies. */
export function storeFiles(storage: string): ProtectedFile[] {
  // A database server's store has no file here to protect.
  const location = parseStorage(storage);
  if (location.kind !== 'sqlite') return [];
  storage = location.path;
  return [
    { path: storage, what: 'the study store' },
    ...['-wal', '-shm', '-journal'].map((suffix) => ({ path: `${storage}${suffix}`, what: `the study store's ${suffix.slice(1)} file` })),
  ];
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** The protected file `out` is (through any name, link or symlink), or undefined. */
function protectedMatch(out: string, outStat: Stats | undefined, protect: readonly ProtectedFile[]): ProtectedFile | undefined {
  const outReal = realOrResolved(out);
  for (const file of protect) {
    if (realOrResolved(file.path) === outReal) return file;
    const fileStat = statOrUndefined(file.path);
    if (outStat && fileStat && sameFile(outStat, fileStat)) return file;
  }
  return undefined;
}

/** The path with its symlinks resolved; for a file not there yet, its directory's. */
function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      const absolute = resolve(path);
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return resolve(path);
    }
  }
}

/**
 * Refuses, by looking only: an empty path, a directory, a file in a directory that does
 * not exist, a protected file (the store, an input), and an existing file without --force.
 */
export function checkOutPath(out: string, options: OutPathOptions = {}): void {
  if (out.trim() === '') throw new GradtuneError('--out needs a file path, e.g. --out report.html');
  const outStat = statOrUndefined(out);
  const match = protectedMatch(out, outStat, options.protect ?? []);
  if (match) {
    const same = match.path === out ? '' : ` (${match.path})`;
    throw new GradtuneError(`--out ${out} is ${match.what}${same}; writing there would destroy it, choose another --out path`);
  }
  if (outStat?.isDirectory()) {
    throw new GradtuneError(`--out ${out} is a directory; pass a file path such as ${resolve(out, 'report.html')}`);
  }
  const dir = dirname(resolve(out));
  const dirStat = statOrUndefined(dir);
  if (dirStat === undefined) throw new GradtuneError(`cannot write --out ${out}: directory ${dir} does not exist; create it first (mkdir -p ${dir})`);
  if (!dirStat.isDirectory()) throw new GradtuneError(`cannot write --out ${out}: ${dir} is not a directory`);
  if (outStat && !options.force) {
    throw new GradtuneError(`--out ${out} already exists; pass --force to replace it, or choose another path`);
  }
}

/**
 * Writes `text` to `out` through a temporary file beside it and a rename: a reader never
 * sees a half-written file, and a failed write leaves an existing file as it was.
 * Permission and space problems are the user's to fix, so they are GradtuneErrors.
 */
export function writeOutFile(out: string, text: string): void {
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC' || code === 'EDQUOT' || code === 'EISDIR' || code === 'ENOENT') {
      // e.g. "EACCES: permission denied, open '...tmp'": the code and its meaning, not the temp name.
      throw new GradtuneError(`cannot write ${out} (${(err as Error).message.split(',')[0]}); choose another --out path`);
    }
    throw err;
  }
}
