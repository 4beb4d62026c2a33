// `gradtune plan` through the CLI: the Hyperband schedule as a table and as JSON, its
// bad flags (one line, exit code 2), and that it never writes a store.
import { describe, expect, it } from 'vitest';
import { listDir, runCli, runOk, tempDir } from './helpers/cli.js';

// (81, 3) as derived by hand in test/hyperband-schedule.test.ts: [bracket, round, trials, from, to, epochs trained].
const ROWS_81_3 = [
  [4, 0, 81, 0, 1, 81],
  [4, 1, 27, 1, 3, 54],
  [4, 2, 9, 3, 9, 54],
  [4, 3, 3, 9, 27, 54],
  [4, 4, 1, 27, 81, 54],
  [3, 0, 34, 0, 3, 102],
  [3, 1, 12, 3, 9, 72],
  [3, 2, 4, 9, 27, 72],
  [3, 3, 2, 27, 81, 108],
  [2, 0, 15, 0, 9, 135],
  [2, 1, 5, 9, 27, 90],
  [2, 2, 2, 27, 81, 108],
  [1, 0, 8, 0, 27, 216],
  [1, 1, 3, 27, 81, 162],
  [0, 0, 5, 0, 81, 405],
];

/** The numeric rows of a cli-table3 table (the header and the borders left out). */
function tableRows(stdout: string): number[][] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('│') && /\d/.test(line))
    .map((line) => line.split('│').slice(1, -1).map((cell) => Number(cell.trim())));
}

describe('gradtune plan --algo hyperband', () => {
  it('prints the (81, 3) schedule as a table with a totals line, and writes nothing', async () => {
    const cwd = tempDir();
    const { stdout, stderr } = await runOk(['plan', '--algo', 'hyperband', '--max-epochs', '81', '--factor', '3'], { cwd });
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Hyperband, --max-epochs 81 --factor 3: 5 brackets, the most exploratory first/);
    expect(lines.find((l) => l.startsWith('│') && /bracket/.test(l))!.split('│').slice(1, -1).map((c) => c.trim())).toEqual([
      'bracket',
      'round',
      'trials',
      'from epoch',
      'to epoch',
      'epochs trained',
    ]);
    expect(tableRows(stdout)).toEqual(ROWS_81_3);
    expect(lines.at(-1)).toBe('total: 211 trials (143 configurations, 68 promotions), 1767 epochs trained');
    expect(listDir(cwd)).toEqual([]);
  });

  it('defaults to --max-epochs 27 --factor 3', async () => {
    const cwd = tempDir();
    const { stdout } = await runOk(['plan'], { cwd });
    expect(stdout).toMatch(/^Hyperband, --max-epochs 27 --factor 3: 4 brackets/);
    expect(tableRows(stdout).map((r) => r.slice(0, 3))).toEqual([
      [3, 0, 27], [3, 1, 9], [3, 2, 3], [3, 3, 1],
      [2, 0, 12], [2, 1, 4], [2, 2, 2],
      [1, 0, 6], [1, 1, 2],
      [0, 0, 4],
    ]);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('total: 70 trials (49 configurations, 21 promotions), 375 epochs trained');
    expect(listDir(cwd)).toEqual([]);
  });

  it('--json: brackets of rounds { trials, fromEpoch, toEpoch } and the totals', async () => {
    const cwd = tempDir();
    const { stdout } = await runOk(['plan', '--max-epochs', '81', '--factor', '3', '--json'], { cwd });
    const brackets = [4, 3, 2, 1, 0].map((bracket) => ({
      bracket,
      rounds: ROWS_81_3.filter((r) => r[0] === bracket).map(([, , trials, fromEpoch, toEpoch]) => ({ trials, fromEpoch, toEpoch })),
    }));
    expect(JSON.parse(stdout)).toEqual({ brackets, totalTrials: 211, totalEpochs: 1767 });
    expect(listDir(cwd)).toEqual([]);
  });

  it('--hyperband-iterations 2: every bracket twice, with its iteration, in the table and the JSON', async () => {
    const cwd = tempDir();
    const json = JSON.parse((await runOk(['plan', '--max-epochs', '9', '--hyperband-iterations', '2', '--json'], { cwd })).stdout);
    expect(json.brackets.map((b: { iteration: number; bracket: number }) => [b.iteration, b.bracket])).toEqual([
      [0, 2], [0, 1], [0, 0],
      [1, 2], [1, 1], [1, 0],
    ]);
    expect(json.brackets[3].rounds).toEqual([
      { trials: 9, fromEpoch: 0, toEpoch: 1 },
      { trials: 3, fromEpoch: 1, toEpoch: 3 },
      { trials: 1, fromEpoch: 3, toEpoch: 9 },
    ]);
    expect([json.totalTrials, json.totalEpochs]).toEqual([46, 150]);

    const { stdout } = await runOk(['plan', '--max-epochs', '9', '--hyperband-iterations', '2'], { cwd });
    expect(stdout).toMatch(/: 2 iterations of 3 brackets/);
    expect(tableRows(stdout).map((r) => r.slice(0, 4))).toEqual([
      [0, 2, 0, 9], [0, 2, 1, 3], [0, 2, 2, 1], [0, 1, 0, 5], [0, 1, 1, 2], [0, 0, 0, 3],
      [1, 2, 0, 9], [1, 2, 1, 3], [1, 2, 2, 1], [1, 1, 0, 5], [1, 1, 1, 2], [1, 0, 0, 3],
    ]);
    expect(listDir(cwd)).toEqual([]);
  });

  const mistakes: [string[], RegExp][] = [
    [['--factor', '1'], /^gradtune: error: --factor must be a whole number >= 2, got 1$/],
    [['--factor', '2.5'], /^gradtune: error: --factor must be a whole number >= 2, got 2\.5$/],
    [['--factor', 'three'], /^gradtune: error: --factor must be a number, got "three"$/],
    [['--max-epochs', '0'], /^gradtune: error: --max-epochs must be a whole number >= 1, got 0$/],
    [['--hyperband-iterations', '0'], /^gradtune: error: --hyperband-iterations must be a whole number >= 1, got 0$/],
    [['--algo', 'grid'], /^gradtune: error: option '--algo <algorithm>' argument 'grid' is invalid\. Allowed choices are hyperband, random, asha\.$/],
  ];
  for (const [flags, message] of mistakes) {
    it(`${flags.join(' ')}: one line on stderr, exit code 2, nothing written`, async () => {
      const cwd = tempDir();
      const { code, stdout, stderr } = await runCli(['plan', ...flags], { cwd });
      expect(code, stderr).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.endsWith('\n')).toBe(true);
      expect(stderr.slice(0, -1).split('\n')).toHaveLength(1);
      expect(stderr.trimEnd()).toMatch(message);
      expect(listDir(cwd)).toEqual([]);
    });
  }
});
