#!/usr/bin/env node
// Launcher. In a checkout (src/ is there) the CLI runs its TypeScript source through tsx,
// so what runs is always the current source, never a stale build; the installed package
// ships only the build and runs dist/ as plain JavaScript (tsx is then loaded only for a
// user's TypeScript space, see src/space/module-hooks.ts).
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  const { register: registerCommonJs } = await import('tsx/cjs/api');
  // Both hooks: a user's my-space.ts in a folder without "type": "module" is loaded as
  // CommonJS, and tsx needs its require hook for that.
  registerCommonJs();
  register();
  ({ main } = await import(source.href));
} else {
  // Stack traces of a bug then point into the TypeScript source (the maps inline it).
  process.setSourceMapsEnabled(true);
  ({ main } = await import('../dist/src/cli/main.js'));
}
process.exitCode = await main(process.argv);
