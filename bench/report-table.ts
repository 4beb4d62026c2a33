// What fitting the leaderboard to the terminal costs: `gradtune report` on a large
// Hyperband study, the table drawn whole (a pipe), for a terminal it already fits, and
// fitted to 100 columns; alternated over rounds in one run, medians and ratios.
// Run: npx tsx bench/report-table.ts [trials]
import { performance } from 'node:perf_hooks';
import { formatLeaderboard } from '../src/report/leaderboard.js';
import { syntheticStudy } from '../test/fixtures/html-study.js';

const n = Number(process.argv[2] ?? 1000);
const { study, trials } = syntheticStudy({ trials: n, algorithm: 'hyperband', maxEpochs: 27, seed: 1 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const variants = [
  { name: 'whole (pipe)', width: undefined, times: [] as number[] },
  { name: 'terminal it fits (1000 columns)', width: 1000, times: [] as number[] },
  { name: 'fitted to 100 columns', width: 100, times: [] as number[] },
];
for (let round = 0; round < 5; round++) {
  for (const v of variants) {
    const start = performance.now();
    formatLeaderboard(study, trials, { format: 'table', width: v.width });
    v.times.push(performance.now() - start);
  }
}
const base = median(variants[0].times);
for (const v of variants) {
  console.log(`${n} trials, ${v.name}: ${median(v.times).toFixed(0)} ms (median of 5, alternated), ${(median(v.times) / base).toFixed(2)}x the whole table`);
}
