import { GradtuneError } from '../errors.js';

/**
 * Study names end up in file names (reports, exports) and on command lines, so they are
 * restricted to characters that need no quoting anywhere. Starting with a letter or digit
 * keeps a name from looking like a flag (`-x`) or a hidden file (`.x`).
 */
const STUDY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function validateStudyName(name: string): string {
  if (typeof name !== 'string' || !STUDY_NAME.test(name)) {
    throw new GradtuneError(
      `invalid study name ${JSON.stringify(name)}: use 1-64 characters from A-Z a-z 0-9 . _ - , starting with a letter or digit`,
    );
  }
  return name;
}
