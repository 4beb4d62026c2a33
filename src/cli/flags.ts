// Parsers for numeric flags: commander hands us strings; a value that is not a number
// is the user's mistake, named with its flag. Range checks live with the options.
import { GradtuneError } from '../errors.js';

export function numberFlag(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new GradtuneError(`${flag} must be a number, got "${value}"`);
    return n;
  };
}

/** `a,b, c` → ['a', 'b', 'c']; the values are checked with the option they belong to. */
export function listFlag(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function intFlag(flag: string): (value: string) => number {
  return (value: string) => {
    const n = numberFlag(flag)(value);
    if (!Number.isInteger(n)) throw new GradtuneError(`${flag} must be a whole number, got "${value}"`);
    return n;
  };
}
