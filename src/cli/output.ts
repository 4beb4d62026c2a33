// What happens when the reader of our output goes away: `gradtune report | head -1`,
// `gradtune search | head -3`, a closed terminal. Node ignores SIGPIPE, so a write to a
// closed pipe fails with EPIPE, reported as an 'error' event on process.stdout; with no
// listener that event is an uncaught exception (a stack, exit code 1). Here it becomes a
// state the commands can read: output is closed, nothing more is written, and a command
// that is still working (a search) is told so it can stop the way Ctrl-C stops it.

/** Why the output closed: the reader left (EPIPE), or writing failed (a full disk...). */
export interface OutputClosed {
  /** The stream that failed. */
  stream: 'stdout' | 'stderr';
  /** EPIPE: the reader went away, nothing to report. Anything else: a failure to name. */
  code: string;
  message: string;
}

let closed: OutputClosed | undefined;
/** Every stream that failed: a later write to it would only fail again. */
const failed = new Set<'stdout' | 'stderr'>();
const listeners = new Set<(why: OutputClosed) => void>();

/** The reader went away (or a broken pipe reported as a destroyed stream): not an error of ours. */
export function isReaderGone(why: OutputClosed): boolean {
  return why.code === 'EPIPE' || why.code === 'ERR_STREAM_DESTROYED';
}

/** Installs the listeners on stdout and stderr, once per process (main does it). */
export function watchOutput(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    const marked = stream as { gradtuneWatched?: boolean };
    if (marked.gradtuneWatched) continue;
    marked.gradtuneWatched = true;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // A stream's first failure says why; later writes to it only repeat it.
      if (failed.has(name)) return;
      failed.add(name);
      const why = { stream: name, code: err.code ?? 'EIO', message: err.message };
      closed ??= why;
      for (const listener of [...listeners]) listener(why);
    });
  }
}

/** Undefined while stdout and stderr can be written; why the first of them failed afterwards. */
export function outputClosed(): OutputClosed | undefined {
  return closed;
}

/** Whether `stream` has failed: nothing more can be written to it. */
export function streamClosed(stream: 'stdout' | 'stderr'): boolean {
  return failed.has(stream);
}

/** Calls `listener` when stdout or stderr fails, once per stream; returns the unsubscribe. */
export function onOutputClosed(listener: (why: OutputClosed) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Writes to stdout unless it has closed: after the reader left, there is no one to tell. */
export function writeStdout(text: string): void {
  if (!failed.has('stdout')) process.stdout.write(text);
}

/** Writes to stderr unless it has closed. */
export function writeStderr(text: string): void {
  if (!failed.has('stderr')) process.stderr.write(text);
}

/**
 * The width to fit a table to: `COLUMNS` when set (as ls and other tools honour it, also
 * for a pipe), else the terminal's when stdout is one; undefined for a pipe or a file,
 * which get every column whole.
 */
export function terminalColumns(): number | undefined {
  const env = Number(process.env.COLUMNS);
  if (Number.isInteger(env) && env > 0) return env;
  return process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : undefined;
}
