// Module resolve hook (registered by module-hooks.ts with module.register) for the modules
// gradtune imports on a user's behalf: a bare `gradtune` import resolves as Node would
// (the user's own node_modules/gradtune) and falls back to the gradtune that is running
// when it cannot be found, e.g. a space file in a folder without node_modules while the
// CLI runs from a global install or a checkout. It also maps the running package's own
// self-reference to the running entry: in a checkout, Node would resolve `gradtune` to
// dist/ (stale, or not built), while the CLI runs src/. Plain JavaScript: hooks run on
// Node's loader thread, whether or not tsx is registered.

/** @type {string} the running gradtune's entry (file URL) */
let entry;
/** @type {string} the running package's root (file URL, ending with a slash) */
let packageRoot;

/** @param {{ entry: string, packageRoot: string }} data */
export function initialize(data) {
  entry = data.entry;
  packageRoot = data.packageRoot;
}

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  if (specifier !== 'gradtune') return nextResolve(specifier, context);
  let resolved;
  try {
    resolved = await nextResolve(specifier, context);
  } catch (err) {
    if (/** @type {{ code?: string }} */ (err).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  if (resolved && !resolved.url.startsWith(packageRoot)) return resolved;
  // Resolved by the hooks after this one (tsx's among them, which then compiles src/).
  return nextResolve(entry, context);
}
