import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { GradtuneError } from '../errors.js';
import { readCsvFile } from '../data/csv.js';

interface PredictFlags {
  model: string;
  data: string;
  out?: string;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
}

export function predictCommand(): Command {
  return new Command('predict')
    .description('predict a CSV with an exported model: its stored preprocessing applied, class label and probabilities (or the value) out')
    .requiredOption('--model <dir>', 'a directory written by gradtune export (e.g. models/trial-17)')
    .requiredOption('--data <file.csv>', "rows to predict: a header row naming at least the model's feature columns (any order; others ignored)")
    .option('--out <file.csv>', 'write the predictions here (default: stdout)')
    .addOption(new Option('--backend <backend>', 'tfjs backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    .action(async (opts: PredictFlags) => {
      if (opts.out !== undefined) checkOutFile(opts.out);
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
      // Through a temporary file: an interrupted write never leaves half a CSV under --out.
      const partial = `${opts.out}.partial-${process.pid}`;
      try {
        writeFileSync(partial, csv);
        renameSync(partial, opts.out);
      } catch (err) {
        rmSync(partial, { force: true });
        throw err;
      }
      process.stderr.write(`wrote ${table.rows.length} prediction${table.rows.length === 1 ? '' : 's'} to ${opts.out}\n`);
    });
}

function checkOutFile(out: string): void {
  const dir = dirname(resolve(out));
  if (!existsSync(dir)) throw new GradtuneError(`cannot write --out ${out}: directory ${dir} does not exist; create it first`);
  if (existsSync(out) && statSync(out).isDirectory()) {
    throw new GradtuneError(`--out ${out} is a directory; give a file name such as ${join(out, 'predictions.csv')}`);
  }
}
