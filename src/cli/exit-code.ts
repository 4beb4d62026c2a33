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
