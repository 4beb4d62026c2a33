import { Command } from 'commander';
import { STORAGE_HELP } from './flags.js';
import { requireStudy } from '../store/existing.js';
import { openStore, parseStorage, storageFromEnv } from '../store/open-store.js';
import { existsSync } from 'node:fs';
import { GradtuneError } from '../errors.js';
import { loadSpace } from '../space/load.js';
import { studySpaceRef } from '../export/study-context.js';
import { checkQueuedParams, parseParamsJson } from '../study/enqueue.js';

export function enqueueCommand(): Command {
  return new Command('enqueue')
    .description('queue a configuration to run as the next new trial of a study (partial params: the rest are drawn)')
    .requiredOption('--study <name>', 'the study')
    .requiredOption('--params <json>', `parameter values as JSON, e.g. '{"learning_rate": 0.01, "layers": 2}'`)
    .option('--storage <path|url>', STORAGE_HELP)
    .action(async (opts: { study: string; params: string; storage?: string }) => {
      const params = parseParamsJson(opts.params);
      const storage = storageFromEnv(opts.storage);
      const location = parseStorage(storage);
      if (location.kind === 'sqlite' && !existsSync(location.path)) {
        throw new GradtuneError(`no study store at ${location.path}: run gradtune search first, or point --storage at your store`);
      }
      const store = await openStore(storage);
      try {
        const study = await requireStudy(store, opts.study);
        const space = await loadSpace(studySpaceRef(study));
        checkQueuedParams(space, params);
        const id = await store.enqueue(study.id, params);
        const waiting = (await store.queued(study.id)).length;
        process.stdout.write(
          `queued ${JSON.stringify(params)} for study "${study.name}" (#${id}; ${waiting} waiting): it runs as the next new trial when gradtune search --study ${study.name} continues the study\n`,
        );
      } finally {
        await store.close();
      }
    });
}
