// Where gradtune's own files are at run time. In a checkout the CLI runs the TypeScript
// source in <root>/src through tsx; an installed package runs the build in
// <root>/dist/src. tsconfig.build.json compiles src/ and search-spaces/ with the checkout
// root as rootDir, so both trees have the same shape: a path between two of gradtune's
// own modules is the same in both (only .ts becomes .js), and only what lies outside the
// tree (package.json, datasets/) needs to know which one is running.
import { fileURLToPath } from 'node:url';

/** True when this module is the TypeScript source (a checkout, tsx or vitest), false in dist/. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The extension of gradtune's own modules as they run: `.ts` from source, `.js` from dist/. */
export const MODULE_EXTENSION = FROM_SOURCE ? '.ts' : '.js';

/** The tree that is running (the checkout root, or dist/): it holds src/ and search-spaces/. */
export const CODE_ROOT = new URL('../', import.meta.url);

/** The package's root (a checkout, or node_modules/gradtune): package.json, datasets/. */
export const PACKAGE_ROOT = new URL(FROM_SOURCE ? '../' : '../../', import.meta.url);

/** The running gradtune's public entry (src/index.ts or dist/src/index.js), as a file URL. */
export const ENTRY_URL = new URL(`src/index${MODULE_EXTENSION}`, CODE_ROOT);

/** Absolute path of a file of the package, from its root: `packageFile('datasets/iris.csv')`. */
export function packageFile(relative: string): string {
  return fileURLToPath(new URL(relative, PACKAGE_ROOT));
}
