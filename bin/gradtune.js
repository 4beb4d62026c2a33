#!/usr/bin/env node
// Launcher: gradtune is written in TypeScript and runs through tsx, which also lets
// users write their search spaces as .ts modules.
import { register } from 'tsx/esm/api';
import { register as registerCommonJs } from 'tsx/cjs/api';

// Both hooks: a user's my-space.ts in a folder without "type": "module" is loaded as
// CommonJS, and tsx needs its require hook for that.
registerCommonJs();
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
