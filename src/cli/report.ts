import { Command, Option } from 'commander';
import { formatLeaderboard, type LeaderboardFormat } from '../report/leaderboard.js';
import { DEFAULTS } from '../tuner-options.js';
import { intFlag } from './flags.js';
import { openExistingStore, requireStudy } from './open-existing.js';

export function reportCommand(): Command {
  return new Command('report')
    .description("print a study's leaderboard")
    .requiredOption('--study <name>', 'study to report')
    .option('--top <n>', 'only the best n trials', intFlag('--top'))
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json', 'md']).default('table'))
    .option('--storage <path>', 'SQLite file holding the studies', DEFAULTS.storage)
    .action((opts: { study: string; top?: number; format: LeaderboardFormat; storage: string }) => {
      const store = openExistingStore(opts.storage);
      try {
        const study = requireStudy(store, opts.study);
        process.stdout.write(formatLeaderboard(study, store.trials(study.id), { format: opts.format, top: opts.top }) + '\n');
      } finally {
        store.close();
      }
    });
}
