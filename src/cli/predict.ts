import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { GradtuneError } from '../errors.js';
import { readCsvFile } from '../data/csv.js';
import { checkOutPath, writeOutFile, type ProtectedFile } from './out-file.js';

interface PredictFlags {
  model: string;
  data: string;
  out?: string;
  force?: boolean;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
}

export function predictCommand(): Command {
  return new Command('predict')
    .description('predict a CSV with an exported model: its stored preprocessing applied, class label and probabilities (or the value) out')
    .requiredOption('--model <dir>', 'a directory written by gradtune export (e.g. models/trial-17)')
    .requiredOption('--data <file.csv>', "rows to predict: a header row naming at least the model's feature columns (any order; others ignored)")
    .option('--out <file.csv>', 'write the predictions here (default: stdout); never the --data file or a file of --model; an existing file only with --force')
    .option('--force', 'replace an existing --out file')
    .addOption(new Option('--backend <backend>', 'tfjs backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    .action(async (opts: PredictFlags) => {
      if (opts.out !== undefined) checkOutPath(opts.out, { force: Boolean(opts.force), protect: predictInputs(opts) });
      const table = readCsvFile(opts.data);
      // Loaded here, not at startup: it brings tfjs, which most commands do not need.
      const { loadExported } = await import('../export/load-exported.js');
      const { predictionsCsv } = await import('../export/predict.js');
      const exported = await loadExported(opts.model, { backend: opts.backend });
      let csv: string;
      try {
        const predictions = exported.predict({
          columns: table.header,
          rows: table.rows,
          source: `data file ${opts.data}`,
          rowLabel: (i) => `line ${table.lines[i]}`,
        });
        csv = predictionsCsv(exported.preprocessing, predictions);
      } finally {
        exported.dispose();
      }
      if (opts.out === undefined) {
        process.stdout.write(csv);
        return;
      }
      writeOutFile(opts.out, csv);
      process.stderr.write(`wrote ${table.rows.length} prediction${table.rows.length === 1 ? '' : 's'} to ${opts.out}\n`);
    });
}

/** What predict reads: its --out must be neither the data nor a file of the model. */
function predictInputs(opts: PredictFlags): ProtectedFile[] {
  const inputs: ProtectedFile[] = [{ path: opts.data, what: 'the --data file' }];
  try {
    for (const name of readdirSync(opts.model)) inputs.push({ path: join(opts.model, name), what: `a file of the --model export (${name})` });
  } catch {
    // No such directory: loading the model says so.
  }
  return inputs;
}
