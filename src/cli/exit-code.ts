/**
 * A command that finished its work but must exit with a particular code, e.g. 130 after
 * Ctrl-C (128 + SIGINT, the shell convention): thrown by the command, turned into the
 * exit code by main, with nothing more printed.
 */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** 128 + SIGINT (2): how shells report a program stopped by Ctrl-C. */
export const INTERRUPTED_EXIT = 130;

/** 128 + SIGTERM (15): how shells report a program stopped by `kill`, systemd, Docker or CI. */
export const TERMINATED_EXIT = 143;

/**
 * 128 + SIGPIPE (13): how shells report a program whose reader went away (`| head -3`).
 * Only a search uses it: its work was cut short. A report whose reader has read enough
 * did what was asked and exits 0.
 */
export const CLOSED_OUTPUT_EXIT = 141;

/** What stopped a search before its end, and the exit code that says so. */
export type StopCause = 'SIGINT' | 'SIGTERM' | 'output closed';

export const STOP_EXIT: Record<StopCause, number> = {
  SIGINT: INTERRUPTED_EXIT,
  SIGTERM: TERMINATED_EXIT,
  'output closed': CLOSED_OUTPUT_EXIT,
};
