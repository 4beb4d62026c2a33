// The leaderboard of one study in the four text formats `gradtune report` writes.
// Every format shows the same ranked rows; only the rendering differs.
import { stringify } from 'csv-stringify/sync';
import { GradtuneError } from '../errors.js';
import type { StudyRecord, TrialRecord, TrialStatus } from '../store/store.js';
import { describeVerdict } from '../train/diagnostics.js';
import { formatParam, formatScore, formatSeconds, varyingParams } from './columns.js';
import { stringifyJson, trialJson } from './json.js';
import { rankTrials, type RankedTrial } from './rank.js';
import { markdownTable, textTable, type Align, type Grid } from './render.js';
import { describeRejectedKinds, describeSavedEpochs, rejectionSummary } from './rejection.js';

export type LeaderboardFormat = 'table' | 'csv' | 'json' | 'md';

export interface LeaderboardOptions {
  format: LeaderboardFormat;
  /** Show only the first `top` rows (ranked trials come first). */
  top?: number;
}

type CsvValue = string | number | null;

interface Column {
  header: string;
  align: Align;
  /** Rounded, for people: table and markdown. */
  text: (row: RankedTrial) => string;
  /** Unrounded, for spreadsheets: rounding in a CSV loses what the user cannot get back. */
  raw: (row: RankedTrial) => CsvValue;
}

function columns(study: StudyRecord, trials: readonly TrialRecord[]): Column[] {
  const fixed: Column[] = [
    { header: 'rank', align: 'right', text: (r) => (r.rank === null ? '-' : String(r.rank)), raw: (r) => r.rank },
    { header: 'trial', align: 'right', text: (r) => String(r.trial.number), raw: (r) => r.trial.number },
    // A pruned trial says at which epoch (the rule is in `report --trial` and the JSON).
    { header: 'status', align: 'left', text: (r) => (r.trial.pruned ? `pruned at ${r.trial.pruned.epoch}` : r.trial.status), raw: (r) => r.trial.status },
    {
      header: study.objective.metric,
      align: 'right',
      text: (r) => formatScore(r.trial.score),
      raw: (r) => r.trial.score,
    },
    { header: 'epochs', align: 'right', text: (r) => String(r.trial.epochsRun), raw: (r) => r.trial.epochsRun },
    {
      header: 'time (s)',
      align: 'right',
      text: (r) => formatSeconds(r.trial.durationMs),
      raw: (r) => (r.trial.durationMs === null ? null : r.trial.durationMs / 1000),
    },
    {
      // The verdict with the reading that decided it: why a rejected trial has no rank.
      header: 'gradients',
      align: 'left',
      text: (r) => describeVerdict(r.trial.diagnostics?.verdict),
      // Empty in a CSV, like every other value a trial does not have.
      raw: (r) => (r.trial.diagnostics ? describeVerdict(r.trial.diagnostics.verdict) : null),
    },
  ];
  const params = varyingParams(trials).map(
    (name): Column => ({
      header: name,
      // Numbers line up on the right; words (activations, optimizers) read better on the left.
      align: trials.every((t) => typeof (t.params[name] ?? 0) === 'number') ? 'right' : 'left',
      text: (r) => formatParam(r.trial.params[name]),
      raw: (r) => {
        const value = r.trial.params[name];
        // csv-stringify would write booleans as 1/"" by default; keep them readable.
        return value === undefined ? null : typeof value === 'boolean' ? String(value) : value;
      },
    }),
  );
  return [...fixed, ...params];
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
  const saved = rejection.rejected > 0 ? `; rejection saved ${describeSavedEpochs(rejection)}` : '';
  const limited = shown < ranked.length ? `; showing ${shown}` : '';
  return `${head}; ${best}${saved}${limited}`;
}

function grid(cols: Column[], rows: RankedTrial[]): Grid {
  return { head: cols.map((c) => c.header), align: cols.map((c) => c.align), rows: rows.map((r) => cols.map((c) => c.text(r))) };
}

function renderCsv(cols: Column[], rows: RankedTrial[]): string {
  return stringify(
    rows.map((row) => cols.map((c) => c.raw(row))),
    { header: true, columns: cols.map((c) => c.header) },
  );
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
  if (options.format === 'json') return stringifyJson(toJsonDocument(study, trials, rows));
  const cols = columns(study, trials);
  switch (options.format) {
    case 'csv':
      // No trailing newline, like every other format: the caller decides how output ends.
      return renderCsv(cols, rows).replace(/\n$/, '');
    case 'table':
      return `${textTable(grid(cols, rows))}\n${summary(study, trials, ranked, rows.length)}`;
    case 'md': {
      const { metric, direction } = study.objective;
      const heading = `Study \`${study.name}\`, objective: \`${metric}\` (${direction === 'max' ? 'higher' : 'lower'} is better)`;
      return `${heading}\n\n${markdownTable(grid(cols, rows))}\n\n${summary(study, trials, ranked, rows.length)}`;
    }
    default: {
      // Unreachable for typed callers; a format string from the command line may be anything.
      const format: never = options.format;
      throw new GradtuneError(`unknown report format "${String(format)}"; use table, csv, json or md`);
    }
  }
}
