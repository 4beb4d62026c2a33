import { Command } from 'commander';
import { formatBest } from '../report/best.js';
import { DEFAULTS } from '../tuner-options.js';
import { openExistingStore, requireStudy } from './open-existing.js';

export function bestCommand(): Command {
  return new Command('best')
    .description("print a study's best hyperparameters and score")
    .requiredOption('--study <name>', 'study to look at')
    .option('--json', 'machine-readable output')
    .option('--storage <path>', 'SQLite file holding the studies', DEFAULTS.storage)
    .action((opts: { study: string; json?: boolean; storage: string }) => {
      const store = openExistingStore(opts.storage);
      try {
        const study = requireStudy(store, opts.study);
        process.stdout.write(formatBest(study, store.trials(study.id), { json: Boolean(opts.json) }) + '\n');
      } finally {
        store.close();
      }
    });
}
