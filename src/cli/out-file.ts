// `--out <file>`: where a report goes instead of stdout. Checked before any work is done,
// written atomically after it, so a wrong path costs nothing and never leaves half a file.
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GradtuneError } from '../errors.js';

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch (err) {
    // ENOTDIR: a parent is a file; the directory check below names it.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Refuses a directory, or a file in a directory that does not exist, by looking only. */
export function checkOutPath(out: string): void {
  if (out.trim() === '') throw new GradtuneError('--out needs a file path, e.g. --out report.html');
  if (statOrUndefined(out)?.isDirectory()) {
    throw new GradtuneError(`--out ${out} is a directory; pass a file path such as ${resolve(out, 'report.html')}`);
  }
  const dir = dirname(resolve(out));
  const dirStat = statOrUndefined(dir);
  if (dirStat === undefined) throw new GradtuneError(`cannot write ${out}: directory ${dir} does not exist; create it first (mkdir -p ${dir})`);
  if (!dirStat.isDirectory()) throw new GradtuneError(`cannot write ${out}: ${dir} is not a directory`);
}

/**
 * Writes `text` to `out` through a temporary file beside it and a rename: a reader never
 * sees a half-written report, and a failed write leaves an existing file as it was.
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
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC' || code === 'EISDIR' || code === 'ENOENT') {
      // e.g. "EACCES: permission denied, open '...tmp'": the code and its meaning, not the temp name.
      throw new GradtuneError(`cannot write ${out} (${(err as Error).message.split(',')[0]}); choose another --out path`);
    }
    throw err;
  }
}
