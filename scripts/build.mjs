// `npm run build`: compiles src/ and search-spaces/ into dist/ (JavaScript, .d.ts and
// source maps, see tsconfig.build.json), then copies the files tsc does not emit but the
// code reads beside itself at run time: the worker entry and resolve hook (.mjs) and the
// HTML report's page.js and page.css. dist/ is removed first, so a file deleted from src/
// never lingers in a build.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const ASSETS = new Set(['.mjs', '.js', '.css']);

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

let copied = 0;
for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !ASSETS.has(extname(entry.name))) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(dist, relative(root, from)));
  copied++;
}
console.log(`built ${relative(process.cwd(), dist) || dist}/ (${copied} assets copied from src/)`);
