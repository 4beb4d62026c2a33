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

/** Help of every command's --storage flag. */
export const STORAGE_HELP = 'the store: a SQLite file or a postgresql:// URL (default: $GRADTUNE_STORAGE, else gradtune.db)';

/**
 * Durations for --timeout: seconds as a number, or with units: 90s, 15m, 2h, 1h30m, 1d.
 */
export function durationFlag(flag: string): (value: string) => number {
  return (value: string) => {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy)];
    const consumed = parts.map((p) => p[0]).join('');
    if (parts.length === 0 || consumed.replace(/\s/g, '') !== text.replace(/\s/g, '')) {
      throw new GradtuneError(`${flag} must be a duration such as 90s, 15m, 2h or 1h30m (or seconds), got "${value}"`);
    }
    const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
    return parts.reduce((total, p) => total + Number(p[1]) * unit[p[2]], 0);
  };
}
