// `gradtune report --trial n`: one trial in detail, for finding out why it won, failed or
// was rejected: its outcome, its parameters, the gradient verdict with the reading behind
// it, the per-epoch per-layer gradient statistics, and the per-epoch metrics.
import { GradtuneError } from '../errors.js';
import type { StudyRecord, TrialRecord } from '../store/store.js';
import type { DiagnosticsSettings, TrialDiagnostics } from '../train/diagnostics-types.js';
import { describeVerdict, formatReading } from '../train/diagnostics.js';
import { formatScore, formatSeconds } from './columns.js';
import { ancestry, describeAncestry, describeEpochsTrained, describeSlot, epochRange, varyingSlotFields } from './lineage.js';
import { stringifyJson, trialJson } from './json.js';
import { rankTrials } from './rank.js';
import { markdownPairs, markdownTable, textPairs, textTable, type Grid } from './render.js';
import { GRADIENT_TABLE_NOTE, gradientGrid, historyGrid } from './trial-tables.js';
import { describeFindingSettings, describeRepair, findingPairs } from './findings.js';

export type TrialFormat = 'table' | 'json' | 'md';

type Pairs = Array<readonly [string, string]>;

/** A titled part of the report: name/value lines, a table, or both. */
interface Section {
  title: string;
  pairs?: Pairs;
  grid?: Grid;
  /** Said instead of the table when there is nothing to put in it. */
  empty?: string;
  note?: string;
}

/** The trial numbered `number`, or a GradtuneError that says which numbers exist. */
export function findTrial(study: StudyRecord, trials: readonly TrialRecord[], number: number): TrialRecord {
  const found = trials.find((t) => t.number === number);
  if (found) return found;
  if (trials.length === 0) {
    throw new GradtuneError(`study "${study.name}" has no trials yet; run gradtune search --study ${study.name}`);
  }
  const numbers = trials.map((t) => t.number);
  const [low, high] = [Math.min(...numbers), Math.max(...numbers)];
  const range = low === high ? `trial ${low}` : `trials ${low}..${high}`;
  throw new GradtuneError(`study "${study.name}" has no trial ${number}; it has ${range}`);
}

/** `2 run / 2 planned: epochs 2–3 (continues trial 3)`: epochs are numbered across a chain of promotions. */
function epochsPair(trial: TrialRecord): string {
  const counts = `${trial.epochsRun} run / ${trial.plannedEpochs ?? '?'} planned`;
  const { from } = epochRange(trial);
  if (trial.parent === null && from === 0) return counts;
  const after = trial.parent === null ? `after epoch ${from}` : `continues trial ${trial.parent} after its epoch ${from}`;
  return `${counts}: ${describeEpochsTrained(trial)} (${after})`;
}

/** Where the trial sits in the schedule and the chain of trials it continues, when it has either. */
function lineagePairs(trial: TrialRecord, trials: readonly TrialRecord[]): Pairs {
  const pairs: Pairs = [];
  if (trial.slot) pairs.push(['schedule', describeSlot(trial.slot, varyingSlotFields(trials))]);
  const chain = ancestry(trial, trials);
  if (chain.length > 1) pairs.push(['lineage', describeAncestry(chain)]);
  const children = trials.filter((t) => t.parent === trial.number).map((t) => t.number);
  if (children.length > 0) pairs.push(['continued by', children.map((n) => `trial ${n}`).join(', ')]);
  return pairs;
}

function overview(study: StudyRecord, trials: readonly TrialRecord[], trial: TrialRecord, rank: number | null, ranked: number): Section {
  const { metric, direction } = study.objective;
  const score =
    trial.score === null ? '-' : `${formatScore(trial.score)}${trial.bestEpoch === null ? '' : ` at epoch ${trial.bestEpoch}`}`;
  const pairs: Pairs = [
    ['status', trial.status === 'running' ? `running (epoch ${(trial.fromEpoch ?? 0) + trial.epochsRun} so far)` : trial.status],
    ...(trial.pruned ? [['pruned', `at epoch ${trial.pruned.epoch}: ${trial.pruned.rule}`] as const] : []),
    ['rank', rank === null ? `unranked (${ranked} ranked)` : `${rank} of ${ranked}`],
    [`${metric} (${direction})`, score],
    ['epochs', epochsPair(trial)],
    ...lineagePairs(trial, trials),
    ['duration', trial.durationMs === null ? 'still running' : `${formatSeconds(trial.durationMs)} s`],
    ['backend', trial.backend ?? '-'],
  ];
  if (trial.slot?.kind === 'asha') {
    const continues = trial.parent === null ? 'a new configuration' : `continues trial ${trial.parent}`;
    pairs.push(['ASHA rung', `${trial.slot.rung}: epochs ${trial.fromEpoch ?? 0}→${trial.toEpoch ?? study.maxEpochs}, ${continues}`]);
  }
  // Handed out more than once: it lost its process, or failed and was retried (--max-retries).
  if (trial.attempt > 1) {
    const retried = trial.retries > 0 ? `, ${trial.retries} after failing (--max-retries)` : '';
    pairs.push(['runs', `${trial.attempt}${retried}; the last by ${trial.owner ?? 'an unknown process'}`]);
  }
  // --repair: the trial it repairs and what changed, and the repair of this one.
  const repairs = describeRepair(trial, trials);
  if (repairs) pairs.push(['repairs', repairs]);
  const repair = trials.find((t) => t.repairOf === trial.number);
  if (repair) pairs.push(['repaired by', `trial ${repair.number} (${repair.status}${repair.score === null ? '' : `, ${formatScore(repair.score)}`})`]);
  if (trial.error !== null) pairs.push(['error', trial.error]);
  return { title: `trial ${trial.number} of study "${study.name}"`, pairs };
}

function params(trial: TrialRecord): Section {
  // Exact values, as `best` prints them: this is where a configuration is copied from.
  const pairs: Pairs = Object.entries(trial.params).map(([name, value]) => [name, String(value)] as const);
  return { title: 'params', pairs, empty: '(no hyperparameters)' };
}

/** What the monitor watched for, so the evidence and the tables can be read against it. */
function settingsPairs(checks: number, s: DiagnosticsSettings): Pairs {
  const n = formatReading;
  const preflight = s.preflightSteps > 0 ? `, preflight ${s.preflightSteps} steps` : ', no preflight';
  return [
    ['checks', `${checks}, every ${s.diagEvery} steps${preflight}, ${s.reject ? 'rejecting' : 'not rejecting (--no-reject)'}`],
    ['vanishing if', `first layer kernel grad < ${n(s.vanishingFloor)}, or its ratio to the output layer's < ${n(s.vanishingRatio)}, or its update ratio < ${n(s.updateRatioFloor)}, at ${s.sustain} checks in a row`],
    ['exploding if', `a non-finite loss or gradient, or any kernel grad > ${n(s.explodingCeiling)}, or the global grad ×${n(Math.pow(s.growthFactor, s.sustain))} the median of the earlier checks at ${s.sustain} checks in a row with a higher loss`],
    ...(s.plateauEpochs === undefined
      ? []
      : ([
          [
            'per epoch',
            `vanishing if the loss stays within ${n(s.plateauLoss)} of chance for ${s.plateauEpochs} epochs with the first layer's grad < ${n(s.plateauRatio)} of the output layer's; exploding if the validation loss is above chance and ×${n(s.divergenceFactor)} its lowest, or ×${n(s.aboveChance)} the chance loss, ${s.divergenceEpochs} epochs in a row`,
          ],
        ] as const)),
    // Stored settings of trials from before these existed lack them (undefined at run time).
    ...(s.learnedLoss === undefined ? [] : ([['once learned', `a verdict after a loss below ${n(s.learnedLoss)} of the chance loss stops the trial and keeps its best epoch (not rejected); adaptive optimizers are judged by the non-finite, floor and plateau rules only`]] as const)),
    // Trials recorded before the findings had none of their settings.
    ...(s.slowProgress === undefined ? [] : ([['findings', describeFindingSettings(s)]] as const)),
  ];
}

function verdict(d: TrialDiagnostics | null): Section {
  if (!d) {
    return { title: 'gradients: -', empty: 'no gradient diagnostics recorded (the trial failed or is still running, or the monitor was off)' };
  }
  const e = d.verdict.evidence;
  const evidence: Pairs = e
    ? [
        ['statistic', e.statistic],
        ['layer', e.layer ?? '- (the whole model)'],
        ['value', formatReading(e.value)],
        // Vanishing readings fall below their threshold, exploding ones rise above it.
        ['threshold', e.threshold === null ? 'none: a non-finite reading is exploding by itself' : `${formatReading(e.threshold)} (${d.verdict.kind === 'vanishing' ? 'fell below' : 'rose above'})`],
        ['epoch', String(e.epoch)],
        ['step', String(e.step)],
        ['preflight', e.preflight ? 'yes' : 'no'],
      ]
    : [];
  return { title: `gradients: ${describeVerdict(d.verdict)}`, pairs: [...evidence, ...settingsPairs(d.checks, d.settings)] };
}

function findings(trial: TrialRecord): Section {
  const title = 'findings and remedies';
  if (!trial.diagnostics) return { title, empty: 'none recorded' };
  if (!trial.diagnostics.findings) return { title, empty: 'not recorded (the trial ran before findings were)' };
  const pairs = findingPairs(trial);
  return { title, pairs, empty: 'none: no problem the monitor looks for' };
}

function gradientStats(d: TrialDiagnostics | null): Section {
  const title = 'gradient statistics per epoch';
  if (!d) return { title, empty: 'none recorded' };
  // Trials recorded before partial epochs were kept have none when rejected inside epoch 1.
  if (d.epochs.length === 0) return { title, empty: 'none: the trial stopped before its first epoch ended' };
  return { title, grid: gradientGrid(d.epochs), note: GRADIENT_TABLE_NOTE };
}

function metrics(trial: TrialRecord): Section {
  const title = 'metrics per epoch';
  return trial.history.length === 0 ? { title, empty: 'no epoch finished' } : { title, grid: historyGrid(trial.history) };
}

function renderText(sections: Section[]): string {
  return sections
    .map((s) => {
      const parts = [s.title];
      if (s.pairs && s.pairs.length > 0) parts.push(textPairs(s.pairs));
      if (s.grid) parts.push(textTable(s.grid));
      else if (s.empty && !(s.pairs && s.pairs.length > 0)) parts.push(`  ${s.empty}`);
      if (s.note) parts.push(s.note);
      return parts.join('\n');
    })
    .join('\n\n');
}

function renderMarkdown(sections: Section[]): string {
  return sections
    .map((s, i) => {
      // The first section's title names the trial: it is the document's heading.
      const parts = [`${i === 0 ? '##' : '###'} ${s.title.replace(/"([^"]*)"/, '`$1`')}`];
      if (s.pairs && s.pairs.length > 0) parts.push(markdownPairs(s.pairs));
      if (s.grid) parts.push(markdownTable(s.grid));
      else if (s.empty && !(s.pairs && s.pairs.length > 0)) parts.push(s.empty);
      if (s.note) parts.push(`_${s.note}_`);
      return parts.join('\n\n');
    })
    .join('\n\n');
}

/**
 * One trial of a study as `table` (text), `md` or `json` (the trial exactly as in the
 * leaderboard's JSON), without a trailing newline. An unknown trial number is a GradtuneError.
 */
export function formatTrial(
  study: StudyRecord,
  trials: readonly TrialRecord[],
  number: number,
  options: { format: TrialFormat },
): string {
  const trial = findTrial(study, trials, number);
  const ranked = rankTrials(study, trials);
  const rank = ranked.find((r) => r.trial.number === number)?.rank ?? null;
  if (options.format === 'json') return stringifyJson(trialJson(rank, trial));
  const sections = [
    overview(study, trials, trial, rank, ranked.filter((r) => r.rank !== null).length),
    params(trial),
    verdict(trial.diagnostics),
    findings(trial),
    gradientStats(trial.diagnostics),
    metrics(trial),
  ];
  switch (options.format) {
    case 'table':
      return renderText(sections);
    case 'md':
      return renderMarkdown(sections);
    default: {
      // Unreachable for typed callers; a format string from the command line may be anything.
      const format: never = options.format;
      throw new GradtuneError(`--trial shows a trial as table, json or md, not "${String(format)}"`);
    }
  }
}
