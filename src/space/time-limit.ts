// User code that runs in the main process (a space's build, drawing a configuration) runs
// under a time limit and breaks on Ctrl-C: a build that loops must neither hang the
// search with no way out nor hold up the store. Node's vm module interrupts synchronous
// code on both (a timeout, SIGINT), including functions defined outside the context.
import vm from 'node:vm';
import { GradtuneError } from '../errors.js';

const context = vm.createContext({ call: undefined as unknown });
const script = new vm.Script('call()');

/** Thrown when Ctrl-C interrupted user code: the caller ends the search as on Ctrl-C. */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted by Ctrl-C while running the search space');
    this.name = 'InterruptedError';
  }
}

/** Default bound on one call of user code in the main process, in seconds. */
export const DEFAULT_SAMPLE_TIMEOUT = 60;

/**
 * Runs `fn` (synchronous) for at most `seconds`; `what` says what it was doing, for the
 * message ("drawing trial 12's configuration from search space \"mlp\"").
 */
export function withTimeLimit<T>(fn: () => T, seconds: number, what: string): T {
  context.call = fn;
  try {
    return script.runInContext(context, { timeout: Math.max(1, Math.round(seconds * 1000)), breakOnSigint: true }) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new GradtuneError(`${what} took longer than ${seconds} s (an endless loop in build(hp)?); fix the space, or raise --sample-timeout`);
    }
    if (code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw new InterruptedError();
    throw err;
  } finally {
    context.call = undefined;
  }
}
