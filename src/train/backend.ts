// One backend choice, made once per process: native TensorFlow (tfjs-node) when it is
// installed and loads, else WebAssembly, else the plain JavaScript CPU backend.
import { requireNodeBackend, requireWasmBackend, tf } from './tf.js';
import { GradtuneError } from '../errors.js';
import { BACKEND_CHOICES, type BackendName, type BackendPreference } from './types.js';

let chosen: BackendName | undefined;

async function tryTensorflow(): Promise<boolean> {
  try {
    // Registers the 'tensorflow' backend with the tfjs-core instance we share.
    requireNodeBackend();
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

/**
 * The wasm backend's emscripten module, when it starts, adds process-wide
 * `uncaughtException` and `unhandledRejection` listeners that rethrow. Any later uncaught
 * error (an EPIPE on stdout, a bug) is then rethrown from inside that minified file: Node
 * prints its 40 kB source line instead of the error, and exits with code 7. tfjs means to
 * remove them when the backend is disposed, but never disposes it in a process like ours,
 * so they are removed here, right after the module started: errors keep Node's own
 * handling (and ours), in the main thread and in every worker thread alike.
 */
async function withoutAddedProcessHooks<T>(start: () => Promise<T>): Promise<T> {
  const events = ['uncaughtException', 'unhandledRejection'];
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    return await start();
  } finally {
    for (const e of events) {
      for (const listener of emitter.listeners(e)) {
        if (!before.get(e)!.has(listener)) emitter.removeListener(e, listener as (...args: unknown[]) => void);
      }
    }
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    return await withoutAddedProcessHooks(async () => {
      requireWasmBackend();
      return await tf.setBackend('wasm');
    });
  } catch {
    return false;
  }
}

/**
 * Selects and initialises the backend for this process (idempotent). Asking for a
 * backend that cannot load is a user error with the reason and the fix.
 */
export async function initBackend(preference: BackendPreference = 'auto'): Promise<BackendName> {
  if (chosen && (preference === 'auto' || preference === chosen)) return chosen;
  if (!BACKEND_CHOICES.includes(preference)) {
    throw new GradtuneError(`unknown backend "${preference}": use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  // Production mode skips tfjs's per-op debug checks, which cost time on small models.
  tf.enableProdMode();
  let name: BackendName | undefined;
  if (preference === 'tensorflow') {
    if (!(await tryTensorflow())) {
      throw new GradtuneError(
        'backend "tensorflow" is not available: @tensorflow/tfjs-node is not installed or failed to load ' +
          '(its install downloads libtensorflow from outside the npm registry); install it where that download works, ' +
          'or use --backend auto|wasm|cpu',
      );
    }
    name = 'tensorflow';
  } else if (preference === 'wasm') {
    if (!(await tryWasm())) throw new GradtuneError('backend "wasm" failed to load: reinstall @tensorflow/tfjs-backend-wasm or use --backend cpu');
    name = 'wasm';
  } else if (preference === 'cpu') {
    await tf.setBackend('cpu');
    name = 'cpu';
  } else {
    if (await tryTensorflow()) name = 'tensorflow';
    else if (await tryWasm()) name = 'wasm';
    else {
      await tf.setBackend('cpu');
      name = 'cpu';
    }
  }
  await tf.ready();
  chosen = name;
  return name;
}

export { tf };
