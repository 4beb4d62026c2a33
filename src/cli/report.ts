import { Command, Option } from 'commander';
import { GradtuneError } from '../errors.js';
import { formatLeaderboard, type LeaderboardFormat } from '../report/leaderboard.js';
import { formatTrial, type TrialFormat } from '../report/trial.js';
import { DEFAULTS } from '../tuner-options.js';
import { intFlag } from './flags.js';
import { openExistingStore, requireStudy } from './open-existing.js';

interface ReportOptions {
  study: string;
  top?: number;
  trial?: number;
  format: LeaderboardFormat;
  storage: string;
}

/**
 * The format of a --trial report, after refusing the flags that make no sense with it;
 * checked before the store is opened. Undefined without --trial (the leaderboard).
 */
function trialFormat(opts: ReportOptions): TrialFormat | undefined {
  if (opts.trial === undefined) return undefined;
  if (opts.top !== undefined) {
    throw new GradtuneError('--top limits the leaderboard and --trial shows one trial; use one of them');
  }
  if (opts.format === 'csv') {
    throw new GradtuneError('--trial shows a trial as table, json or md; csv is for the leaderboard');
  }
  return opts.format;
}

export function reportCommand(): Command {
  return new Command('report')
    .description("print a study's leaderboard, or one trial in detail with --trial")
    .requiredOption('--study <name>', 'study to report')
    .option('--top <n>', 'only the best n trials', intFlag('--top'))
    .option('--trial <n>', 'one trial in detail: outcome, params, gradient verdict and per-epoch statistics', intFlag('--trial'))
    .addOption(new Option('--format <format>', 'output format (csv: leaderboard only)').choices(['table', 'csv', 'json', 'md']).default('table'))
    .option('--storage <path>', 'SQLite file holding the studies', DEFAULTS.storage)
    .action((opts: ReportOptions) => {
      const format = trialFormat(opts);
      const store = openExistingStore(opts.storage);
      let text: string;
      try {
        const study = requireStudy(store, opts.study);
        const trials = store.trials(study.id);
        // Format completely before writing: a user error must leave stdout empty.
        text =
          opts.trial === undefined || format === undefined
            ? formatLeaderboard(study, trials, { format: opts.format, top: opts.top })
            : formatTrial(study, trials, opts.trial, { format });
      } finally {
        store.close();
      }
      process.stdout.write(text + '\n');
    });
}
