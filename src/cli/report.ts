import { Command, Option } from 'commander';
import { GradtuneError } from '../errors.js';
import { formatLeaderboard, type LeaderboardFormat } from '../report/leaderboard.js';
import { formatTrial, type TrialFormat } from '../report/trial.js';
import { formatHtmlReport } from '../report/html/report.js';
import { STORAGE_HELP } from './flags.js';
import { intFlag } from './flags.js';
import { requireStudy, withExistingStore } from '../store/existing.js';
import { storageFromEnv } from '../store/open-store.js';
import { checkOutPath, storeFiles, writeOutFile } from './out-file.js';
import { terminalColumns, writeStdout } from './output.js';

interface ReportOptions {
  study: string;
  top?: number;
  trial?: number;
  format: LeaderboardFormat | 'html';
  storage?: string;
  out?: string;
  force?: boolean;
  columns?: string[];
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
  if (opts.format === 'html') {
    throw new GradtuneError('--trial shows a trial as table, json or md; the html report shows the whole study (pick the trial in it)');
  }
  if (opts.columns !== undefined) {
    throw new GradtuneError('--columns chooses the leaderboard\'s columns; --trial shows every field of one trial');
  }
  return opts.format;
}

/**
 * The HTML report is a page of about a megabyte: to a file with --out, or to stdout when
 * that is redirected (`> report.html`), never dumped on a terminal.
 */
function checkHtml(opts: ReportOptions): void {
  if (opts.format !== 'html') return;
  if (opts.top !== undefined) {
    throw new GradtuneError('--top limits the text leaderboard; the html report shows every trial (sort and filter it in the page)');
  }
  if (opts.columns !== undefined) {
    throw new GradtuneError('--columns chooses the columns of the text leaderboard; the html report shows every column (hide them in the page)');
  }
  if (opts.out === undefined && process.stdout.isTTY) {
    throw new GradtuneError('the html report is a web page, not terminal output: pass --out report.html (or redirect stdout to a file)');
  }
}

/** `a,b, c` → ['a', 'b', 'c']: the names --columns takes. */
function listFlag(value: string): string[] {
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw new GradtuneError('--columns needs column names, e.g. --columns trial,score,param:learning_rate (or all)');
  return names;
}

/** The table is fitted to a terminal (or COLUMNS); a pipe or a file gets every column whole. */
function terminalWidth(opts: ReportOptions): number | undefined {
  return opts.out === undefined ? terminalColumns() : undefined;
}

export function reportCommand(): Command {
  return new Command('report')
    .description("print a study's leaderboard, one trial in detail with --trial, or an html report with plots")
    .requiredOption('--study <name>', 'study to report')
    .option('--top <n>', 'only the best n trials', intFlag('--top'))
    .option('--trial <n>', 'one trial in detail: outcome, params, gradient verdict and per-epoch statistics', intFlag('--trial'))
    .addOption(new Option('--format <format>', 'output format (csv: leaderboard only; html: the whole study as one self-contained page with plots)').choices(['table', 'csv', 'json', 'md', 'html']).default('table'))
    .option('--columns <names>', 'leaderboard columns to show, comma-separated (rank, trial, status, score, epochs, parent, slot, time, gradients, error, param:<name>), or all; default: those that fit the terminal', listFlag)
    .option('--out <file>', 'write the report to this file instead of stdout (never the store; an existing file only with --force)')
    .option('--force', 'replace an existing --out file')
    .option('--storage <path|url>', STORAGE_HELP)
    .action(async (opts: ReportOptions) => {
      const format = trialFormat(opts);
      checkHtml(opts);
      const storage = storageFromEnv(opts.storage);
      if (opts.out !== undefined) checkOutPath(opts.out, { force: Boolean(opts.force), protect: storeFiles(storage) });
      // Format completely before writing: a user error must leave stdout empty.
      const text = await withExistingStore(storage, async (store) => {
        const study = await requireStudy(store, opts.study);
        const trials = await store.trials(study.id);
        return opts.format === 'html'
          ? formatHtmlReport(study, trials).trimEnd()
          : opts.trial === undefined || format === undefined
            ? formatLeaderboard(study, trials, { format: opts.format, top: opts.top, columns: opts.columns, width: terminalWidth(opts) })
            : formatTrial(study, trials, opts.trial, { format });
      });
      if (opts.out === undefined) {
        writeStdout(text + '\n');
        return;
      }
      writeOutFile(opts.out, text + '\n');
      const size = Buffer.byteLength(text) + 1;
      const shown = size >= 1e6 ? `${(size / 1e6).toFixed(1)} MB` : `${Math.ceil(size / 1e3)} kB`;
      writeStdout(`wrote ${opts.out} (${shown})${opts.format === 'html' ? '; open it in a browser, it needs no network' : ''}\n`);
    });
}
