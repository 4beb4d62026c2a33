/**
 * A mistake the user can fix (bad flag, missing column, unknown study...).
 * The CLI prints `message` on one line and exits with code 2; anything that is
 * not a GradtuneError is a bug and gets a stack trace and exit code 1.
 */
export class GradtuneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradtuneError';
  }
}

export function isGradtuneError(err: unknown): err is GradtuneError {
  // Errors crossing a worker boundary lose their prototype; the name survives.
  return err instanceof GradtuneError || (err instanceof Error && err.name === 'GradtuneError');
}
