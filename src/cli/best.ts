import { Command } from 'commander';
import { formatBest } from '../report/best.js';
import { STORAGE_HELP } from './flags.js';
import { requireStudy, withExistingStore } from '../store/existing.js';
import { storageFromEnv } from '../store/open-store.js';

export function bestCommand(): Command {
  return new Command('best')
    .description("print a study's best hyperparameters and score")
    .requiredOption('--study <name>', 'study to look at')
    .option('--json', 'machine-readable output')
    .option('--storage <path|url>', STORAGE_HELP)
    .action(async (opts: { study: string; json?: boolean; storage?: string }) => {
      const text = await withExistingStore(storageFromEnv(opts.storage), async (store) => {
        const study = await requireStudy(store, opts.study);
        return formatBest(study, await store.trials(study.id), { json: Boolean(opts.json) });
      });
      process.stdout.write(text + '\n');
    });
}
