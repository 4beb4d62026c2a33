// The leaderboard of one study in the four text formats `gradtune report` writes.
// Every format shows the same ranked rows; only the rendering differs.
import { stringify } from 'csv-stringify/sync';
import { GradtuneError } from '../errors.js';
import type { StudyRecord, TrialRecord, TrialStatus } from '../store/store.js';
import { describeSearch, formatScore } from './columns.js';
import { drawnWidths, fitTable, groupLine } from './fit-table.js';
import { stringifyJson, trialJson } from './json.js';
import { leaderboardColumns, type Column } from './leaderboard-columns.js';
import { rankTrials, type RankedTrial } from './rank.js';
import { markdownTable, textTable, type Grid } from './render.js';
import { describeRejectedKinds, describeSavedEpochs, rejectionSummary } from './rejection.js';
import { studyFindingLines } from './findings.js';
import { summariseFindings } from '../diagnose/summary.js';

export type LeaderboardFormat = 'table' | 'csv' | 'json' | 'md';

export interface LeaderboardOptions {
  format: LeaderboardFormat;
  /** Show only the first `top` rows (ranked trials come first). */
  top?: number;
  /**
   * Table only: fit it into this many characters (the terminal's width), shortening long
   * text and leaving out the least important columns, said in a footer. Undefined: every
   * column whole (output to a pipe or a file).
   */
  width?: number;
  /**
   * Only these columns (by the names `gradtune report --columns` takes), in the
   * leaderboard's order; `['all']` every column, never fitted. Not for json.
   */
  columns?: readonly string[];
}

// The order rows appear in (rank.ts), so the summary reads like the table.
const STATUS_ORDER: TrialStatus[] = ['completed', 'rejected', 'running', 'pruned', 'failed', 'stale'];

/**
 * One line: counts by status over the whole study (rejections with their verdicts), the
 * best score with its trial, and the epochs rejection saved when it rejected anything.
 */
function summary(study: StudyRecord, trials: readonly TrialRecord[], ranked: RankedTrial[], shown: number): string {
  const rejection = rejectionSummary(trials);
  const counts = STATUS_ORDER.map((s) => [s, ranked.filter((r) => r.trial.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}${s === 'rejected' ? describeRejectedKinds(rejection) : ''}`);
  const total = `${ranked.length} trial${ranked.length === 1 ? '' : 's'}`;
  const head = counts.length > 0 ? `${total}: ${counts.join(', ')}` : total;
  const top = ranked[0];
  const best =
    top && top.rank !== null
      ? `best ${study.objective.metric} ${formatScore(top.trial.score)} (trial ${top.trial.number})`
      : 'no completed trial yet';
  const stopped = rejection.stopped > 0 ? `; ${rejection.stopped} trial${rejection.stopped === 1 ? '' : 's'} stopped after learning, best epoch kept` : '';
  const saved = rejection.rejected > 0 || rejection.stopped > 0 ? `; rejection saved ${describeSavedEpochs(rejection)}${stopped}` : '';
  const limited = shown < ranked.length ? `; showing ${shown}` : '';
  return `${head}; ${best}${saved}; search: ${describeSearch(study)}${limited}`;
}

function grid(cols: readonly Column[], rows: RankedTrial[], header: (c: Column) => string): Grid {
  return { head: cols.map(header), align: cols.map((c) => c.align), rows: rows.map((r) => cols.map((c) => c.text(r))) };
}

function renderCsv(cols: readonly Column[], rows: RankedTrial[]): string {
  const csv = cols.flatMap((c) => c.csv);
  return stringify(
    rows.map((row) => csv.map((c) => c.raw(row))),
    { header: true, columns: csv.map((c) => c.header) },
  );
}

/** The names --columns takes for the study, for an error message. */
function columnNames(cols: readonly Column[]): string {
  return cols.map((c) => c.key).join(', ');
}

/**
 * The columns a format shows: those the study has values for (the CSV: every column, so
 * a script finds the same header whatever the study), or the ones --columns names, in
 * the leaderboard's order. A name is a column's key (rank, trial, status, score, epochs,
 * parent, slot, time, gradients, error, param:<name>) or its header (the metric, a
 * parameter's bare name); a key wins over a parameter of the same name.
 */
function chooseColumns(all: readonly Column[], format: 'table' | 'csv' | 'md', choice: readonly string[] | undefined): Column[] {
  if (choice === undefined || (choice.length === 1 && choice[0] === 'all')) {
    return format === 'csv' ? [...all] : all.filter((c) => c.shown);
  }
  const chosen = new Set<Column>();
  for (const raw of choice) {
    const name = raw.trim();
    const found = all.find((c) => c.key === name) ?? all.find((c) => c.aliases.includes(name) || c.header === name);
    if (!found) {
      throw new GradtuneError(
        `--columns: this study has no column "${name}"; choose from ${columnNames(all)} (parameters also by their bare name), or all`,
      );
    }
    chosen.add(found);
  }
  return all.filter((c) => chosen.has(c));
}

/** The table, fitted to `width` when given, with the line grouping the hyperparameters over it. */
function renderTable(cols: readonly Column[], rows: RankedTrial[], width: number | undefined): { table: string; footer?: string } {
  const full = grid(cols, rows, (c) => c.header);
  if (width === undefined) {
    const table = textTable(full);
    return { table: withGroupLine(cols, table, drawnWidths(table)) };
  }
  const fitted = fitTable(cols, full, width);
  if (fitted.leftOut.length === 0 && fitted.shortened.length === 0) return { table: withGroupLine(cols, fitted.whole, fitted.widths) };
  const kept = grid(fitted.columns, rows, (c) => c.header);
  const table = withGroupLine(fitted.columns, textTable(kept, fitted.widths), fitted.widths);
  const said: string[] = [];
  if (fitted.leftOut.length > 0) said.push(`left out ${fitted.leftOut.join(', ')}`);
  if (fitted.shortened.length > 0) said.push(`shortened ${fitted.shortened.join(', ')}`);
  return { table, footer: `fitted to ${width} columns: ${said.join('; ')} (--columns all shows every column)` };
}

function withGroupLine(cols: readonly Column[], table: string, widths: readonly number[]): string {
  const line = groupLine(cols, widths);
  return line === '' ? table : `${line}\n${table}`;
}

/**
 * Everything about the study and its trials, nothing dropped: this is the format for
 * programs. `rejection` describes the whole study, like the summary line, whatever `top`.
 */
function toJsonDocument(study: StudyRecord, trials: readonly TrialRecord[], rows: RankedTrial[]) {
  return {
    study: {
      name: study.name,
      space: study.space,
      dataset: { name: study.datasetName, fingerprint: study.datasetFingerprint, source: study.data },
      objective: study.objective,
      algorithm: study.algorithm,
      settings: study.settings,
      seed: study.seed,
      maxEpochs: study.maxEpochs,
      createdAt: study.createdAt,
    },
    rejection: rejectionSummary(trials),
    findings: summariseFindings(trials),
    trials: rows.map(({ rank, trial }) => trialJson(rank, trial)),
  };
}

function checkTop(top: number | undefined): void {
  if (top !== undefined && !(Number.isInteger(top) && top > 0)) {
    throw new GradtuneError(`--top must be a positive whole number, got ${top}`);
  }
}

/**
 * The ranked trials of a study as `table`, `csv`, `md` or `json`, without a trailing
 * newline. `top` limits the rows (JSON too); the summary line and the choice of
 * hyperparameter columns always describe the whole study.
 */
export function formatLeaderboard(
  study: StudyRecord,
  trials: readonly TrialRecord[],
  options: LeaderboardOptions,
): string {
  checkTop(options.top);
  const ranked = rankTrials(study, trials);
  const rows = options.top === undefined ? ranked : ranked.slice(0, options.top);
  if (options.format === 'json') {
    if (options.columns !== undefined) throw new GradtuneError('--columns chooses the columns of table, csv and md; json has every field (pick them with a JSON tool such as jq)');
    return stringifyJson(toJsonDocument(study, trials, rows));
  }
  const all = leaderboardColumns(study, trials);
  switch (options.format) {
    case 'csv':
      // No trailing newline, like every other format: the caller decides how output ends.
      return renderCsv(chooseColumns(all, 'csv', options.columns), rows).replace(/\n$/, '');
    case 'table': {
      const cols = chooseColumns(all, 'table', options.columns);
      // Columns the user chose are shown whole; so is --columns all.
      const width = options.columns === undefined ? options.width : undefined;
      const { table, footer } = renderTable(cols, rows, width);
      // The findings over the whole study above the summary line.
      return [table, ...studyFindingLines(trials).map((line) => `findings: ${line}`), summary(study, trials, ranked, rows.length), ...(footer ? [footer] : [])].join('\n');
    }
    case 'md': {
      const { metric, direction } = study.objective;
      const heading = `Study \`${study.name}\`, objective: \`${metric}\` (${direction === 'max' ? 'higher' : 'lower'} is better)`;
      const cols = chooseColumns(all, 'md', options.columns);
      const found = studyFindingLines(trials).map((line) => `- ${line}`);
      return [heading, markdownTable(grid(cols, rows, (c) => c.mdHeader)), ...(found.length > 0 ? [`Findings:\n\n${found.join('\n')}`] : []), summary(study, trials, ranked, rows.length)].join('\n\n');
    }
    default: {
      // Unreachable for typed callers; a format string from the command line may be anything.
      const format: never = options.format;
      throw new GradtuneError(`unknown report format "${String(format)}"; use table, csv, json or md`);
    }
  }
}
