// A trial that exhausts the wasm backend's memory fails, alone: the backend is reset and
// the next trials on the same worker thread train normally.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, runOk, tempDir } from './helpers/cli.js';
import { openSqliteStore } from '../src/store/sqlite.js';

describe('a trial that exhausts the wasm heap', () => {
  it('fails with a message about memory; the trials after it on the same thread complete', { timeout: 180_000 }, async () => {
    const cwd = tempDir();
    // Grid order: (0.01, false), (0.01, true) exhausts the heap, (0.1, false), (0.1, true).
    const r = await runOk(['search', '--space', fixture('heap-hog-space.ts'), '--dataset', 'iris', '--algo', 'grid', '--workers', '1', '--backend', 'wasm'], { cwd, timeoutMs: 170_000 });
    expect(r.stdout).toMatch(/the grid is complete/);
    const store = await openSqliteStore(join(cwd, 'gradtune.db'), { readOnly: true });
    const study = (await store.listStudies())[0];
    const trials = await store.trials((await store.getStudy(study.name))!.id);
    await store.close();
    expect(trials.map((t) => [t.params.lr, t.params.hog, t.status])).toEqual([
      [0.01, false, 'completed'],
      [0.01, true, 'failed'],
      [0.1, false, 'completed'],
      [0.1, true, 'failed'],
    ]);
    expect(trials[1].error).toMatch(/the wasm backend ran out of memory or aborted .*the backend was reset for the next trial/);
  });
});
