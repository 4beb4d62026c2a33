// The wasm backend's emscripten module adds process-wide `uncaughtException` and
// `unhandledRejection` listeners that rethrow: any later uncaught error (an EPIPE, a bug)
// was then printed as the module's 40 kB minified source line, exit code 7. gradtune
// removes them as soon as the backend has started (src/train/backend.ts).
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/train/backend.js';

describe('the wasm backend', () => {
  it('leaves no uncaughtException or unhandledRejection listener of its own behind', async () => {
    const emitter: NodeJS.EventEmitter = process;
    const before = (event: string) => new Set(emitter.listeners(event));
    const [exceptions, rejections] = [before('uncaughtException'), before('unhandledRejection')];
    const backend = await initBackend('wasm');
    expect(backend).toBe('wasm');
    const added = (event: string, had: Set<unknown>) => emitter.listeners(event).filter((l) => !had.has(l)).map(String);
    expect(added('uncaughtException', exceptions)).toEqual([]);
    expect(added('unhandledRejection', rejections)).toEqual([]);
  }, 60_000);
});
