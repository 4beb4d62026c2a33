import { Command, Option } from 'commander';
import { intFlag, STORAGE_HELP } from './flags.js';
import { formatScore } from '../report/columns.js';

interface ExportFlags {
  study: string;
  trial?: number;
  top?: number;
  out: string;
  storage?: string;
  force?: boolean;
  retrain?: boolean;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
}

export function exportCommand(): Command {
  return new Command('export')
    .description("write a study's best model(s) in tfjs Layers format, with their preprocessing, hyperparameters and metrics")
    .requiredOption('--study <name>', 'study to export from')
    .option('--trial <n>', 'the trial to export (default: the best)', intFlag('--trial'))
    .option('--top <k>', 'the best k completed trials, one directory each', intFlag('--top'))
    .requiredOption('--out <dir>', 'directory to write trial-<n>/ into (created when missing; must be empty unless --force)')
    .option('--storage <path|url>', STORAGE_HELP)
    .option('--force', 'write into a non-empty --out, replacing the trial directories being written')
    .option('--retrain', "train the configuration again on training + validation rows, for the epochs its best score needed")
    .addOption(new Option('--backend <backend>', 'tfjs backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    .action(async (opts: ExportFlags) => {
      // Loaded here, not at startup: it brings tfjs, which most commands do not need.
      const { exportTrials } = await import('../export/write-export.js');
      const exported = await exportTrials({
        study: opts.study,
        trial: opts.trial,
        top: opts.top,
        out: opts.out,
        storage: opts.storage,
        force: Boolean(opts.force),
        retrain: Boolean(opts.retrain),
        backend: opts.backend,
      });
      const out = process.stdout;
      for (const e of exported) {
        const how = e.retrained ? 'retrained on train + validation' : 'best-epoch weights';
        out.write(`trial ${e.trial} (${e.metric} ${formatScore(e.score)}, ${how}) -> ${e.dir}/ (model.json, weights.bin, preprocessing.json, hyperparameters.json, metrics.json)\n`);
      }
      out.write(`predict with: npx gradtune predict --model ${exported[0].dir} --data new.csv\n`);
    });
}
