import { expect } from 'vitest';
import { GradtuneError } from '../../src/errors.js';

/**
 * Asserts `fn` throws a GradtuneError whose message is one line and matches `pattern`
 * (a RegExp, or fragments that must all appear). Returns the message.
 */
export function expectGradtuneError(fn: () => unknown, ...patterns: (RegExp | string)[]): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(GradtuneError);
  const message = (caught as Error).message;
  expect(message).not.toContain('\n');
  for (const p of patterns) {
    if (typeof p === 'string') expect(message).toContain(p);
    else expect(message).toMatch(p);
  }
  return message;
}
