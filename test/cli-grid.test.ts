// Grid search end to end through the command line: the grid size is printed first, trial
// n is the n-th combination whatever the number of workers, and a study continued with a
// higher --max-trials (or run again after the grid is done) repeats nothing.
import { describe, expect, it } from 'vitest';
import { fixture, runOk, tempDir } from './helpers/cli.js';

interface ReportTrial {
  rank: number | null;
  number: number;
  status: string;
  params: Record<string, number | string | boolean>;
}

async function trialsByNumber(cwd: string, study: string): Promise<ReportTrial[]> {
  const { stdout } = await runOk(['report', '--study', study, '--format', 'json'], { cwd });
  return (JSON.parse(stdout) as { trials: ReportTrial[] }).trials.sort((a, b) => a.number - b.number);
}

/** The quick space is finite (its learning rate a choice of 1e-3, 1e-2, 1e-1): no --grid-points needed. */
const QUICK_GRID = ['search', '--algo', 'grid', '--space', 'quick', '--dataset', 'iris', '--max-epochs', '3', '--seed', '7'];

const DEFAULTS = { layers: 1, activation: 'relu', units_1: 16, optimizer: 'adam', epochs: 20, patience: 5 };
/** Grid order: defaults first (learning rate 0.01, batch size 16), the last-declared parameter fastest. */
const FIRST_SIX = [
  [0.01, 16],
  [0.01, 32],
  [0.001, 16],
  [0.001, 32],
  [0.1, 16],
  [0.1, 32],
].map(([learning_rate, batch_size]) => ({ ...DEFAULTS, learning_rate, batch_size }));

describe('gradtune search --algo grid', () => {
  it('runs the grid in order, the same with 1 or 2 workers, and continues without repeating', { timeout: 120_000 }, async () => {
    const two = tempDir();
    const one = tempDir();
    const [parallel, sequential] = await Promise.all([
      runOk([...QUICK_GRID, '--max-trials', '6', '--workers', '2'], { cwd: two, timeoutMs: 90_000 }),
      runOk([...QUICK_GRID, '--max-trials', '6', '--workers', '1'], { cwd: one, timeoutMs: 90_000 }),
    ]);
    // 72 one-layer combinations + 216 two-layer ones (units_2 multiplies only those).
    expect(parallel.stdout).toMatch(/^workers: 2 \| grid: 288 combinations \| trials: up to 6$/m);
    expect(sequential.stdout).toMatch(/^workers: 1 \| grid: 288 combinations \| trials: up to 6$/m);
    expect(parallel.stdout).toMatch(/^reached --max-trials 6$/m);

    const a = await trialsByNumber(two, 'quick-iris');
    const b = await trialsByNumber(one, 'quick-iris');
    expect(a.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a.map((t) => t.params)).toEqual(FIRST_SIX);
    expect(b.map((t) => t.params)).toEqual(FIRST_SIX);

    const more = await runOk([...QUICK_GRID, '--max-trials', '10', '--workers', '2'], { cwd: two, timeoutMs: 90_000 });
    expect(more.stdout).toMatch(/continuing: 6 trials so far/);
    expect(more.stdout).toMatch(/^reached --max-trials 10$/m);
    const c = await trialsByNumber(two, 'quick-iris');
    expect(c.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The first six are untouched (ranks aside: the new trials rank among them).
    const unranked = (ts: ReportTrial[]) => ts.map(({ rank: _, ...t }) => t);
    expect(unranked(c.slice(0, 6))).toEqual(unranked(a));
    // Next in grid order: the optimizer, declared before learning_rate and batch_size, moves on.
    expect(c.slice(6).map((t) => t.params)).toEqual(FIRST_SIX.slice(0, 4).map((p) => ({ ...p, optimizer: 'sgd' })));
  });

  it('runs a whole grid when --max-trials is not given, then has nothing left to run', { timeout: 90_000 }, async () => {
    const cwd = tempDir();
    const args = ['search', '--algo', 'grid', '--space', fixture('grid-space.ts'), '--dataset', 'iris', '--workers', '2', '--study', 'grid'];
    const first = await runOk(args, { cwd, timeoutMs: 60_000 });
    expect(first.stdout).toMatch(/^workers: 2 \| grid: 6 combinations \| trials: up to 6$/m);
    expect(first.stdout).toMatch(/^the grid is complete: 6 combinations$/m);
    const trials = await trialsByNumber(cwd, 'grid');
    expect(trials.map((t) => t.params)).toEqual([
      { layers: 1, learning_rate: 0.01, epochs: 3 },
      { layers: 1, learning_rate: 0.03, epochs: 3 },
      { layers: 2, units_2: 4, learning_rate: 0.01, epochs: 3 },
      { layers: 2, units_2: 4, learning_rate: 0.03, epochs: 3 },
      { layers: 2, units_2: 8, learning_rate: 0.01, epochs: 3 },
      { layers: 2, units_2: 8, learning_rate: 0.03, epochs: 3 },
    ]);
    expect(trials.every((t) => t.status === 'completed')).toBe(true);

    const again = await runOk(args, { cwd, timeoutMs: 60_000 });
    expect(again.stdout).toMatch(/^the grid is complete: 6 combinations$/m);
    expect(await trialsByNumber(cwd, 'grid')).toEqual(trials);
  });
});

describe('gradtune search --algo grid on the quick space', () => {
  it('runs the whole grid to completion on iris with 2 workers, each combination once', { timeout: 180_000 }, async () => {
    const cwd = tempDir();
    const { stdout } = await runOk(['search', '--algo', 'grid', '--space', 'quick', '--dataset', 'iris', '--max-epochs', '1', '--workers', '2', '--preflight-steps', '0'], { cwd, timeoutMs: 170_000 });
    expect(stdout).toMatch(/^the grid is complete: 288 combinations$/m);
    const trials = await trialsByNumber(cwd, 'quick-iris');
    expect(trials).toHaveLength(288);
    expect(new Set(trials.map((t) => JSON.stringify(Object.entries(t.params).sort()))).size).toBe(288);
  });
});
