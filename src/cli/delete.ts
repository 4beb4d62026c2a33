import { Command } from 'commander';
import { STORAGE_HELP } from './flags.js';
import { requireStudy } from '../store/existing.js';
import { openStore, parseStorage, storageFromEnv } from '../store/open-store.js';
import { existsSync } from 'node:fs';
import { GradtuneError } from '../errors.js';

export function deleteCommand(): Command {
  return new Command('delete')
    .description('delete a study and all its trials (checkpoints included) from the store')
    .requiredOption('--study <name>', 'the study to delete')
    .option('--storage <path|url>', STORAGE_HELP)
    .action(async (opts: { study: string; storage?: string }) => {
      const storage = storageFromEnv(opts.storage);
      const location = parseStorage(storage);
      if (location.kind === 'sqlite' && !existsSync(location.path)) {
        throw new GradtuneError(`no study store at ${location.path}: nothing to delete; point --storage at your store`);
      }
      const store = await openStore(storage);
      try {
        const study = await requireStudy(store, opts.study);
        const counts = await store.countTrials(study.id);
        const total = Object.values(counts).reduce((a: number, b) => a + (b ?? 0), 0);
        await store.deleteStudy(study.name);
        process.stdout.write(`deleted study "${study.name}" (${total} trial${total === 1 ? '' : 's'}) from ${store.location}\n`);
      } finally {
        await store.close();
      }
    });
}
