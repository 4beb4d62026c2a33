// Finds a search space module, imports it and checks it before any trial depends on it.
// Spaces are JavaScript or TypeScript modules (see module-hooks.ts for what makes both load).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GradtuneError, isGradtuneError } from '../errors.js';
import { buildConfig, isSearchSpace, type SearchSpace } from './define.js';
import { defaultDecider } from './sample.js';
import { CODE_ROOT, MODULE_EXTENSION } from '../package-files.js';
import { ensureGradtuneResolvable, ensureTypeScript, isTypeScript } from './module-hooks.js';

/** The spaces shipped in search-spaces/; the first is the default. */
export const BUILTIN_SPACES = ['mlp', 'quick', 'deep-sigmoid'] as const;
export type BuiltinSpace = (typeof BUILTIN_SPACES)[number];

/**
 * Loads a built-in space by name or a space module by path (relative to the current
 * directory); neither given → `mlp`. Same shape as SpaceRef in train/types.ts.
 */
export async function loadSpace(ref: { builtin?: string; path?: string }): Promise<SearchSpace> {
  if (ref.builtin !== undefined && ref.path !== undefined) {
    throw new GradtuneError('give a built-in search space name or a path to a space module, not both');
  }
  const { url, label } = ref.path !== undefined ? locateFile(ref.path) : locateBuiltin(ref.builtin ?? BUILTIN_SPACES[0]);
  const space = defaultExport(await importModule(url, label));
  if (space === undefined) {
    throw new GradtuneError(`${label} has no default export; end it with \`export default defineSearchSpace({ ... })\``);
  }
  if (!isSearchSpace(space)) {
    throw new GradtuneError(`${label}: the default export is not a search space; wrap it in defineSearchSpace({ name, description, build })`);
  }
  checkBuilds(space, label);
  return space;
}

/** The file a space reference loads (for its fingerprint): a built-in's module or the user's. */
export function spaceModuleFile(ref: { builtin?: string; path?: string }): string {
  const { url } = ref.path !== undefined ? locateFile(ref.path) : locateBuiltin(ref.builtin ?? BUILTIN_SPACES[0]);
  return fileURLToPath(url);
}

function defaultExport(mod: Record<string, unknown>): unknown {
  const value = mod.default;
  // A space compiled to CommonJS arrives as { default: { __esModule, default: space } }.
  if (!isSearchSpace(value) && typeof value === 'object' && value !== null && '__esModule' in value) {
    return (value as Record<string, unknown>).default;
  }
  return value;
}

function locateBuiltin(name: string): { url: string; label: string } {
  if (!(BUILTIN_SPACES as readonly string[]).includes(name)) {
    throw new GradtuneError(`unknown built-in search space "${name}"; choose one of ${BUILTIN_SPACES.join(', ')} or give a path to a space module`);
  }
  // search-spaces/<name>.ts in a checkout, dist/search-spaces/<name>.js in the package.
  return { url: new URL(`search-spaces/${name}${MODULE_EXTENSION}`, CODE_ROOT).href, label: `built-in search space "${name}"` };
}

function locateFile(path: string): { url: string; label: string } {
  const abs = resolve(process.cwd(), path);
  if (!existsSync(abs)) {
    throw new GradtuneError(`search space file not found: ${abs}; give the path of a .ts or .js module, relative to the current directory`);
  }
  return { url: pathToFileURL(abs).href, label: `search space ${path}` };
}

async function importModule(url: string, label: string): Promise<Record<string, unknown>> {
  try {
    const path = new URL(url).pathname;
    if (isTypeScript(path)) await ensureTypeScript();
    ensureGradtuneResolvable();
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    // Syntax errors come back over several lines with a code frame; the CLI prints one.
    const message = err instanceof Error ? err.message : String(err);
    // tsx hands a .cts file to Node as CommonJS source, whose require() cannot load an
    // ES module (gradtune, or any other) on Node 20: the error alone does not say so.
    const hint = /\.cts$/i.test(new URL(url).pathname) ? ' (a .cts space cannot import ES modules such as gradtune: rename it .ts or .mts)' : '';
    throw new GradtuneError(`could not import ${label}: ${oneLine(message)}${hint}`);
  }
}

/**
 * One build with the defaults: an invalid range fails now, not in every worker. A build
 * that throws with the defaults could never run a trial either: that is the space's to
 * fix, said in one line naming the space and the error (not a gradtune bug with a stack).
 */
function checkBuilds(space: SearchSpace, label: string): void {
  try {
    buildConfig(space, defaultDecider());
  } catch (err) {
    // The label names the space already; buildConfig's own prefix would say it twice.
    if (isGradtuneError(err)) throw new GradtuneError(`${label}: ${err.message.replace(`search space "${space.name}": `, '')}`);
    const first = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).split('\n', 1)[0].trim();
    throw new GradtuneError(
      `${label}: build(hp) throws with every parameter at its default: ${first}; fix the space, then run the command again`,
    );
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
