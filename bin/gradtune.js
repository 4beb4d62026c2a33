#!/usr/bin/env node
// Launcher: gradtune is written in TypeScript and runs through tsx, which also lets
// users write their search spaces as .ts modules.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
