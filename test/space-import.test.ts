// A user's space file imports `gradtune` by name. Here the CLI runs from this checkout
// and the space sits in a temporary folder with no node_modules/gradtune anywhere above
// it, so Node alone cannot resolve the import: gradtune's resolve hook (ES modules) and
// its CommonJS fallback hand it the gradtune that is running, in the main process and in
// the worker threads. (The installed package is tested the same way in pack.test.ts.)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runOk, tempDir } from './helpers/cli.js';

const SPACE = `import { defineSearchSpace } from 'gradtune';

export default defineSearchSpace({
  name: 'bare-import',
  description: 'imports gradtune by name',
  build(hp) {
    return {
      model: { kind: 'mlp', hidden: [{ units: hp.int('units', 4, 8), activation: 'relu', initializer: 'heNormal' }] },
      training: { optimizer: 'adam', learningRate: 0.01, batchSize: 16, epochs: 2 },
    };
  },
});
`;

describe("a space that imports 'gradtune' from a folder without node_modules", () => {
  it('loads as an ES module (.mjs, .mts) and, through tsx, as CommonJS (.ts without "type": "module")', { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'cjs'));
    writeFileSync(join(cwd, 'space.mjs'), SPACE);
    writeFileSync(join(cwd, 'space.mts'), SPACE);
    // No package.json above it says "type": "module": tsx compiles it to CommonJS, whose
    // require('gradtune') goes through Node's CommonJS resolution.
    writeFileSync(join(cwd, 'cjs', 'space.ts'), SPACE);
    for (const space of ['./space.mjs', './space.mts', './cjs/space.ts']) {
      const { stdout } = await runOk(['spaces', '--space', space], { cwd });
      expect(stdout).toContain(`${space}: imports gradtune by name`);
      expect(stdout).toMatch(/units +int 4\.\.8/);
    }
  });

  it('trains it in worker threads, which resolve the import the same way', { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'space.mjs'), SPACE);
    const { stdout } = await runOk(['search', '--space', './space.mjs', '--dataset', 'iris', '--max-trials', '2', '--workers', '2'], { cwd, timeoutMs: 100_000 });
    expect(stdout).toMatch(/2 trials: 2 completed/);
  });

  it('says to rename a .cts space, which cannot import ES modules', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'space.cts'), SPACE);
    const { code, stdout, stderr } = await runCli(['spaces', '--space', './space.cts'], { cwd });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^gradtune: error: could not import search space \.\/space\.cts: .*rename it \.ts or \.mts\)\n$/);
  });
});
