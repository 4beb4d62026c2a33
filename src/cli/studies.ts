import { Command } from 'commander';
import Table from 'cli-table3';
import { formatScore } from '../report/columns.js';
import { STORAGE_HELP } from './flags.js';
import { withExistingStore } from '../store/existing.js';
import { parseStorage, storageFromEnv } from '../store/open-store.js';

export function studiesCommand(): Command {
  return new Command('studies')
    .description('list the studies in the store')
    .option('--storage <path|url>', STORAGE_HELP)
    .option('--json', 'machine-readable output')
    .action(async (opts: { storage?: string; json?: boolean }) => {
      const storage = storageFromEnv(opts.storage);
      const studies = await withExistingStore(storage, (store) => store.listStudies());
      {
        if (opts.json) {
          process.stdout.write(JSON.stringify(studies, null, 2) + '\n');
          return;
        }
        if (studies.length === 0) {
          process.stdout.write(`no studies in ${parseStorage(storage).display} yet: run gradtune search\n`);
          return;
        }
        const table = new Table({ head: ['study', 'space', 'dataset', 'algorithm', 'objective', 'trials', 'completed', 'best', 'created'], style: { head: [], border: [] } });
        for (const s of studies) {
          const total = Object.values(s.counts).reduce((a: number, b) => a + (b ?? 0), 0);
          table.push([s.name, s.space, s.datasetName, s.algorithm, `${s.objective.metric} (${s.objective.direction})`, total, s.counts.completed ?? 0, formatScore(s.best), s.createdAt.slice(0, 19).replace('T', ' ')]);
        }
        process.stdout.write(table.toString() + '\n');
      }
    });
}
