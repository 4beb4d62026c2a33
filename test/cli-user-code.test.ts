// User code that runs in the main process (a space's build drawing a configuration) is
// bounded: a build that loops ends the search with one line, never holds the store's
// lock, and Ctrl-C ends it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, runCli, runOk, startCli, tempDir } from './helpers/cli.js';

describe('a space whose build(hp) loops', () => {
  it('ends the search after --sample-timeout with one line naming the space, exit 2', { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    const r = await runCli(['search', '--space', fixture('looping-space.ts'), '--dataset', 'iris', '--max-trials', '3', '--workers', '1', '--sample-timeout', '2'], { cwd });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^gradtune: error: drawing the next configuration from search space .*looping-space\.ts took longer than 2 s \(an endless loop in build\(hp\)\?\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('holds no lock while it loops: other commands use the store; Ctrl-C ends it', { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    await runOk(['search', '--space', 'quick', '--dataset', 'iris', '--study', 'other', '--max-trials', '1', '--max-epochs', '2', '--workers', '1'], { cwd });
    const looping = startCli(['search', '--space', fixture('looping-space.ts'), '--dataset', 'iris', '--study', 'loops', '--max-trials', '3', '--workers', '1'], { cwd });
    // Wait until it has created its study and is stuck drawing a configuration.
    const until = Date.now() + 60_000;
    while (!/workers: 1/.test(looping.output().stdout)) {
      if (Date.now() > until) throw new Error(`never started: ${JSON.stringify(looping.output())}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const started = Date.now();
    const list = await runOk(['studies', '--json'], { cwd, timeoutMs: 30_000 });
    expect(JSON.parse(list.stdout).map((s: { name: string }) => s.name)).toEqual(['other', 'loops']);
    await runOk(['search', '--study', 'other', '--max-trials', '2', '--workers', '1'], { cwd, timeoutMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(60_000);
    looping.child.kill('SIGINT');
    const done = await looping.done;
    expect(done.code).toBe(130);
  });
});

describe('a training setting out of range', () => {
  it('fails its trial with one line naming the setting and what it may be; the search goes on', { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    const r = await runOk(['search', '--space', fixture('bad-setting-space.ts'), '--dataset', 'iris', '--algo', 'grid', '--workers', '1'], { cwd });
    expect(r.stdout).toMatch(/trial 0 completed/);
    expect(r.stdout).toMatch(/trial 1 failed .*error: search space "bad-setting": training\.optimizer is "adamw"; it must be one of sgd, momentum, rmsprop, adam, adamax, adagrad/);
  });

  it('in the default configuration: exit 2 before the search, nothing written', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    const space = join(cwd, 'space.ts');
    const { writeFileSync, existsSync } = await import('node:fs');
    writeFileSync(
      space,
      `import { defineSearchSpace } from ${JSON.stringify(new URL('../src/space/define.ts', import.meta.url).pathname)};
       export default defineSearchSpace({ name: 's', description: '', build: (hp) => ({
         model: { kind: 'mlp', hidden: [{ units: 4, activation: 'relu', initializer: 'heNormal', dropout: hp.float('dropout', 1, 2) }] },
         training: { optimizer: 'adam', learningRate: 0.01, batchSize: 16 } }) });`,
    );
    const r = await runCli(['search', '--space', space, '--dataset', 'iris'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model\.hidden\[0\]\.dropout is 1; it must be a number in \[0, 1\)/);
    expect(existsSync(join(cwd, 'gradtune.db'))).toBe(false);
  });
});
