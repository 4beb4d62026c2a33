// What a space module needs before it is imported, installed once per thread (the main
// thread and each worker load spaces): tsx for TypeScript, and a fallback so that
// `import ... from 'gradtune'` works from a space file anywhere.
import Module, { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ENTRY_URL, FROM_SOURCE, PACKAGE_ROOT } from '../package-files.js';

let typeScriptReady: Promise<void> | undefined;
let gradtuneResolvable = false;

/** True for the extensions tsx compiles (.ts, .mts, .cts, .tsx). */
export function isTypeScript(path: string): boolean {
  return /\.[cm]?tsx?$/i.test(path);
}

/**
 * Registers tsx's loaders (ESM and CommonJS: a .ts file in a folder without
 * `"type": "module"` is loaded as CommonJS) so that a .ts space can be imported. Running
 * from source, tsx (or vitest) already compiles TypeScript; the build registers it only
 * when a TypeScript space is loaded, so JavaScript spaces never load tsx.
 */
export function ensureTypeScript(): Promise<void> {
  typeScriptReady ??= FROM_SOURCE
    ? Promise.resolve()
    : (async () => {
        const [{ register: registerEsm }, { register: registerCommonJs }] = await Promise.all([
          import('tsx/esm/api'),
          import('tsx/cjs/api'),
        ]);
        registerCommonJs();
        registerEsm();
      })();
  return typeScriptReady;
}

/**
 * Lets a space module import `gradtune` wherever it lives: Node's own resolution first
 * (the user's node_modules/gradtune; two copies are fine, a SearchSpace is recognised by a
 * Symbol.for brand), else the running gradtune. ESM imports go through a resolve hook
 * (resolve-gradtune.mjs); CommonJS (a .js space with require(), a .ts space that tsx
 * loads as CommonJS) through the same rule around Module._resolveFilename, which Node 20
 * offers no public hook for (module.registerHooks arrived in Node 22.15).
 */
export function ensureGradtuneResolvable(): void {
  if (gradtuneResolvable) return;
  gradtuneResolvable = true;
  register(new URL('./resolve-gradtune.mjs', import.meta.url), {
    data: { entry: ENTRY_URL.href, packageRoot: PACKAGE_ROOT.href },
  });
  patchCommonJsResolution(fileURLToPath(ENTRY_URL), fileURLToPath(PACKAGE_ROOT));
}

type ResolveFilename = (this: unknown, request: string, ...rest: unknown[]) => string;

function patchCommonJsResolution(entry: string, packageRoot: string): void {
  const internals = Module as unknown as { _resolveFilename: ResolveFilename };
  const resolveFilename = internals._resolveFilename;
  internals._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    if (request !== 'gradtune') return resolveFilename.call(this, request, ...rest);
    try {
      const file = resolveFilename.call(this, request, ...rest);
      return file.startsWith(packageRoot) ? entry : file;
    } catch (err) {
      if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
      return entry;
    }
  };
}
