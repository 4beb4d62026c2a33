import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { GradtuneError } from '../errors.js';
import { readCsvFile } from '../data/csv.js';
import { TEXT_ENCODINGS, type TextEncoding } from '../data/types.js';
import { checkOutPath, writeOutFile, type ProtectedFile } from './out-file.js';

interface PredictFlags {
  model: string;
  data: string;
  out?: string;
  force?: boolean;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  passthrough?: string[];
  encoding: TextEncoding;
}

export function predictCommand(): Command {
  return new Command('predict')
    .description('predict a CSV with an exported model: its stored preprocessing applied, class label and probabilities (or the value) out')
    .requiredOption('--model <dir>', 'a directory written by gradtune export (e.g. models/trial-17)')
    .requiredOption('--data <file.csv>', "rows to predict: a header row naming at least the model's input columns (any order; others ignored)")
    .option('--out <file.csv>', 'write the predictions here (default: stdout); never the --data file or a file of --model; an existing file only with --force')
    .option('--force', 'replace an existing --out file')
    .option('--passthrough <columns>', "comma-separated input columns copied into the output, after the export's --id column", (v: string) => v.split(',').map((c) => c.trim()))
    .addOption(new Option('--encoding <encoding>', "the CSV's text encoding (invalid UTF-8 is an error naming the line)").choices(TEXT_ENCODINGS).default('utf8'))
    .addOption(new Option('--backend <backend>', 'tfjs backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    .action(async (opts: PredictFlags) => {
      if (opts.out !== undefined) checkOutPath(opts.out, { force: Boolean(opts.force), protect: predictInputs(opts) });
      const table = readCsvFile(opts.data, opts.encoding);
      // Loaded here, not at startup: it brings tfjs, which most commands do not need.
      const { loadExported } = await import('../export/load-exported.js');
      const { predictionsCsv } = await import('../export/predict.js');
      const { passthroughColumns } = await import('../export/features.js');
      const exported = await loadExported(opts.model, { backend: opts.backend });
      let csv: string;
      try {
        const input = { columns: table.header, rows: table.rows, source: `data file ${opts.data}`, rowLabel: (i: number) => `line ${table.lines[i]}` };
        const carried = passthroughColumns(input, exported.preprocessing, opts.passthrough);
        const predictions = exported.predict(input, { passthrough: opts.passthrough });
        // Not an error: the model does not need it, and the rows stay in input order.
        for (const column of exported.preprocessing.passthrough.filter((c) => !carried.includes(c))) {
          process.stderr.write(`gradtune: warning: ${opts.data} has no column "${column}" (the export's --id/--passthrough column), so the predictions do not carry it; they are in the input's row order\n`);
        }
        csv = predictionsCsv(exported.preprocessing, predictions, carried);
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
