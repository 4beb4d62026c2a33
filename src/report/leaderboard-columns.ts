// The columns of the leaderboard, one definition per column for every text format: what
// the table and markdown show (rounded, for people), what the CSV holds (unrounded, for
// spreadsheets; a column may need several there, like an epoch range), the name
// `--columns` knows it by, and how readily it is left out of a table too wide for the
// terminal.
import type { StudyRecord, TrialRecord } from '../store/store.js';
import { describeVerdict } from '../train/diagnostics.js';
import { formatParam, formatScore, formatSeconds, varyingParams } from './columns.js';
import { epochRange, firstLine, formatEpochRange, formatSlotCell, hasLineage, slotFields, varyingSlotFields } from './lineage.js';
import type { RankedTrial } from './rank.js';
import type { Align } from './render.js';

export type CsvValue = string | number | null;

/** Hyperparameter columns are named `param:<name>` in CSV and markdown, and for --columns. */
export const PARAM_PREFIX = 'param:';

export interface CsvColumn {
  header: string;
  raw: (row: RankedTrial) => CsvValue;
}

export interface Column {
  /** The name --columns takes. */
  key: string;
  /** Other names --columns accepts for it (the metric's name, a parameter's bare name). */
  aliases: string[];
  /** Header in the table (parameters under a "hyperparameters" group line). */
  header: string;
  /** Header in markdown, which has no group line. */
  mdHeader: string;
  align: Align;
  text: (row: RankedTrial) => string;
  /** The CSV columns this column becomes; the CSV keeps them whatever the study holds. */
  csv: CsvColumn[];
  /** Shown in the table and markdown: false when no trial of the study has a value for it. */
  shown: boolean;
  param: boolean;
  /** A column of free text, shortened (with …) to this width before any column is left out. */
  minWidth?: number;
  /** When a table is too wide, columns are left out lowest first; rank, trial and score never (undefined). */
  dropOrder?: number;
}

/**
 * Every column of a study's leaderboard, in order. Which ones a study shows is decided
 * over all its trials, not just the rows shown, so `--top` never changes the columns.
 */
export function leaderboardColumns(study: StudyRecord, trials: readonly TrialRecord[]): Column[] {
  const metric = study.objective.metric;
  const lineage = hasLineage(trials);
  const fields = slotFields(trials);
  const tableFields = varyingSlotFields(trials);
  const names = varyingParams(trials);
  // Left out first: time, then the lineage `report --trial` and `best` spell out (the
  // epoch range, which tells a promoted trial from its parent, stays), then parameters
  // from the last declared, then the free text; what identifies and ranks a trial stays.
  const paramsFrom = 3;
  const after = paramsFrom + names.length;
  const drop = { time: 0, slot: 1, parent: 2, error: after, gradients: after + 1, repairOf: after + 2, epochs: after + 3, status: after + 4 };
  const fixed: Column[] = [
    simple('rank', 'right', (r) => (r.rank === null ? '-' : String(r.rank)), (r) => r.rank),
    simple('trial', 'right', (r) => String(r.trial.number), (r) => r.trial.number),
    // A pruned trial says at which epoch (the rule is in `report --trial` and the JSON).
    { ...simple('status', 'left', (r) => (r.trial.pruned ? `pruned at ${r.trial.pruned.epoch}` : r.trial.status), (r) => r.trial.status), dropOrder: drop.status },
    {
      key: 'score',
      aliases: [metric],
      header: metric,
      mdHeader: metric,
      align: 'right',
      text: (r) => formatScore(r.trial.score),
      // The best epoch is numbered across a chain of promotions, like from/to_epoch.
      csv: [
        { header: metric, raw: (r) => r.trial.score },
        { header: 'best_epoch', raw: (r) => r.trial.bestEpoch },
      ],
      shown: true,
      param: false,
    },
    {
      key: 'epochs',
      aliases: [],
      header: 'epochs',
      mdHeader: 'epochs',
      align: 'right',
      // With promotions, the range: a promoted trial and its parent differ in it.
      text: (r) => (lineage ? formatEpochRange(r.trial) : String(r.trial.epochsRun)),
      csv: [
        { header: 'epochs', raw: (r) => r.trial.epochsRun },
        { header: 'from_epoch', raw: (r) => epochRange(r.trial).from },
        { header: 'to_epoch', raw: (r) => epochRange(r.trial).to },
      ],
      shown: true,
      param: false,
      dropOrder: drop.epochs,
    },
    {
      ...simple('parent', 'right', (r) => (r.trial.parent === null ? '' : String(r.trial.parent)), (r) => r.trial.parent),
      shown: trials.some((t) => t.parent !== null),
      dropOrder: drop.parent,
    },
    {
      // --repair: the rejected trial each repair repairs (its params with a remedy applied).
      ...simple('repair_of', 'right', (r) => (r.trial.repairOf === null ? '' : String(r.trial.repairOf)), (r) => r.trial.repairOf),
      aliases: ['repairs'],
      header: 'repairs',
      mdHeader: 'repair_of',
      shown: trials.some((t) => t.repairOf !== null),
      dropOrder: drop.repairOf,
    },
    {
      key: 'slot',
      aliases: [tableFields.join('/')].filter((a) => a !== ''),
      // The slot's own field names: bracket/round for Hyperband.
      header: tableFields.join('/') || 'slot',
      mdHeader: tableFields.join('/') || 'slot',
      align: 'right',
      text: (r) => formatSlotCell(r.trial.slot, tableFields),
      csv: fields.map((f) => ({ header: `slot:${f}`, raw: (r: RankedTrial) => slotField(r.trial, f) })),
      shown: fields.length > 0,
      param: false,
      dropOrder: drop.slot,
    },
    {
      ...simple('time', 'right', (r) => formatSeconds(r.trial.durationMs), (r) => (r.trial.durationMs === null ? null : r.trial.durationMs / 1000)),
      aliases: ['time (s)'],
      header: 'time (s)',
      mdHeader: 'time (s)',
      csv: [{ header: 'time (s)', raw: (r) => (r.trial.durationMs === null ? null : r.trial.durationMs / 1000) }],
      dropOrder: drop.time,
    },
    {
      // The verdict with the reading that decided it: why a rejected trial has no rank.
      ...simple('gradients', 'left', (r) => describeVerdict(r.trial.diagnostics?.verdict), (r) => (r.trial.diagnostics ? describeVerdict(r.trial.diagnostics.verdict) : null)),
      minWidth: 12,
      dropOrder: drop.gradients,
    },
    {
      // The first line; `report --trial n` has the whole message and stack.
      ...simple('error', 'left', (r) => firstLine(r.trial.error), (r) => (r.trial.error === null ? null : firstLine(r.trial.error))),
      shown: trials.some((t) => t.error !== null),
      minWidth: 16,
      dropOrder: drop.error,
    },
  ];
  const params = names.map(
    (name, i): Column => ({
      key: `${PARAM_PREFIX}${name}`,
      aliases: [name],
      header: name,
      mdHeader: `${PARAM_PREFIX}${name}`,
      // Numbers line up on the right; words (activations, optimizers) read better on the left.
      align: trials.every((t) => typeof (t.params[name] ?? 0) === 'number') ? 'right' : 'left',
      text: (r) => formatParam(r.trial.params[name]),
      csv: [
        {
          header: `${PARAM_PREFIX}${name}`,
          raw: (r) => {
            const value = r.trial.params[name];
            // csv-stringify would write booleans as 1/"" by default; keep them readable.
            return value === undefined ? null : typeof value === 'boolean' ? String(value) : value;
          },
        },
      ],
      shown: true,
      param: true,
      dropOrder: paramsFrom + (names.length - 1 - i),
    }),
  );
  return [...fixed, ...params];
}

function simple(key: string, align: Align, text: Column['text'], raw: CsvColumn['raw']): Column {
  return { key, aliases: [], header: key, mdHeader: key, align, text, csv: [{ header: key, raw }], shown: true, param: false };
}

function slotField(trial: TrialRecord, field: string): CsvValue {
  const value = trial.slot ? (trial.slot as unknown as Record<string, unknown>)[field] : undefined;
  return typeof value === 'number' || typeof value === 'string' ? value : null;
}
