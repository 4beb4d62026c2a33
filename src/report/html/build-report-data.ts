// The study as the HTML report's script needs it: one plain object, embedded in the page
// as JSON. Everything that takes judgement (ranking, formatting like the text leaderboard,
// importance, rejection reasons, the Hyperband tree) is decided here, in tested
// TypeScript; the page's script only draws it.
import type { ParamValue, Params } from '../../space/types.js';
import type { StudyRecord, TrialRecord, TrialStatus, TrialSummary } from '../../store/store.js';
import type { TrialDiagnostics, VerdictKind } from '../../train/diagnostics-types.js';
import { describeVerdict } from '../../train/diagnostics.js';
import { describeRepair, findingPairs } from '../findings.js';
import type { EpochRecord } from '../../train/types.js';
import { hyperbandSchedule } from '../../oracle/hyperband-schedule.js';
import { isHyperbandSlot, type HyperbandSlot, type ScheduleSlot } from '../../oracle/oracle.js';
import { formatParam, formatScore, varyingParams } from '../columns.js';
import { isScored, rankTrials, UNRANKED_ORDER } from '../rank.js';
import { valueGroups } from './groups.js';
import { parameterImportance, type ParamImportance } from './importance.js';

/** Per-epoch metrics (not the learning rate) as columns: `epoch[i]` is the epoch of `values[name][i]`. */
export interface HistoryView {
  epoch: number[];
  values: Record<string, number[]>;
}

/** Per-layer kernel-gradient norms per epoch (epoch means), with the thresholds they were judged by. */
export interface GradientView {
  epoch: number[];
  layers: string[];
  /** `kernel[l][i]`: layer `layers[l]` at `epoch[i]`. */
  kernel: number[][];
  global: number[];
  /** Epochs that did not end (rejected during them). */
  partial: number[];
  vanishingFloor: number;
  explodingCeiling: number;
  /** The epoch of the reading that decided an unhealthy verdict. */
  verdictEpoch: number | null;
}

export interface TrialView {
  n: number;
  /**
   * The trial's place in the leaderboard order as a key compared element by element: a
   * ranked trial `[0, ±score, best-epoch val loss, n]`, an unranked one `[1, status order,
   * n]` — rankTrials' rule written down, so a live page that receives a few changed
   * trials re-ranks all of them exactly as the report would without receiving 10,000 ranks.
   */
  sortKey: number[];
  status: TrialStatus;
  rank: number | null;
  score: number | null;
  /** The score as the text leaderboard writes it. */
  scoreText: string;
  bestEpoch: number | null;
  epochs: number;
  seconds: number | null;
  verdict: VerdictKind | null;
  verdictText: string;
  /** For a rejected trial, the kind and the statistic that decided it: `vanishing: kernel gradient norm`. */
  reason: string | null;
  params: Params;
  /** Parameter values as the text leaderboard writes them. */
  /** The params as the leaderboard shows them, where that is not String(value) (rounded floats): a page of 10,000 trials would otherwise carry every value twice. */
  paramText: Record<string, string>;
  error: string | null;
  parent: number | null;
  fromEpoch: number | null;
  toEpoch: number | null;
  slot: ScheduleSlot | null;
  /** A pruned trial: the epoch it stopped at and the rule that stopped it. */
  pruned: { epoch: number; rule: string } | null;
  history: HistoryView | null;
  gradients: GradientView | null;
  /** Findings with their evidence and remedies, as `report --trial` lists them: [label, text] lines. */
  findings: Array<readonly [string, string]>;
  /** --repair: the trial this one repairs and what changed (`trial 3 (activation: sigmoid → relu)`). */
  repairs: string | null;
}

export interface ParamMeta {
  name: string;
  /** Every value the parameter takes is a number: a value axis in the slice plot. */
  numeric: boolean;
  /** Numeric, positive and spanning two decades or more: a log axis reads it better. */
  log: boolean;
}

export interface RejectionView {
  /** Trials that finished (running and stale ones have no verdict yet). */
  finished: number;
  rejected: number;
  byReason: Array<{ reason: string; count: number }>;
  /**
   * Per parameter, per value (or range of values): finished trials and how many were
   * rejected. Parameters are ordered by how strongly rejection depends on them (`chiSquare`
   * beyond its degrees of freedom), so the page opens on the one that explains the
   * rejections best.
   */
  byParam: Array<{ name: string; chiSquare: number; values: Array<{ label: string; trials: number; rejected: number }> }>;
}

export interface HyperbandRoundView {
  round: number;
  fromEpoch: number;
  toEpoch: number;
  /** Trials the schedule plans for this round. */
  planned: number;
  /** Trials run in this round, in trial order. */
  trials: number[];
  /** Those of them continued by a trial of the next round. */
  promoted: number[];
}

export interface HyperbandView {
  /** Null when the study did not store it (the planned sizes are then the trials run). */
  factor: number | null;
  iterations: number;
  /** The brackets that have trials, in the order they run. */
  brackets: Array<{ iteration: number; bracket: number; rounds: HyperbandRoundView[] }>;
  /** Brackets of the schedule with no trial yet (a search stopped early, or capped by --max-trials). */
  notStarted: number;
}

export interface ReportData {
  study: { name: string; metric: string; direction: 'min' | 'max'; algorithm: string };
  /** The metric besides the loss (accuracy or mae) and its validation twin, when recorded. */
  metric: { train: string; val: string } | null;
  params: ParamMeta[];
  /** In leaderboard order: ranked trials by score, then the others. */
  trials: TrialView[];
  best: number | null;
  /** Trials whose learning curves are shown before any is picked: the best few. */
  top: number[];
  importance: { samples: number; items: ParamImportance[]; dedupedByConfiguration: boolean };
  rejections: RejectionView;
  hyperband: HyperbandView | null;
}

/** Learning curves of this many top trials are drawn. */
const TOP_CURVES = 3;
const MAX_BINS = 5;

/**
 * Four significant digits: a plot cannot show more, and the 500-trial report would be
 * twice the size with full doubles. Scores and parameters, which people read and copy,
 * are kept exact.
 */
function round(x: number): number {
  return Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(4)) : x;
}

function historyView(history: readonly EpochRecord[]): HistoryView | null {
  if (history.length === 0) return null;
  const names: string[] = [];
  for (const record of history) {
    // The learning rate is not plotted (the trial's parameters say how it was scheduled);
    // leaving it out keeps a 500-trial page a sixth smaller.
    for (const key of Object.keys(record)) if (key !== 'epoch' && key !== 'learningRate' && !names.includes(key)) names.push(key);
  }
  const values: Record<string, number[]> = {};
  // A metric missing from an epoch is NaN, drawn as a gap (never as zero).
  for (const name of names) values[name] = history.map((r) => round(r[name] ?? Number.NaN));
  return { epoch: history.map((r) => r.epoch), values };
}

function gradientView(d: TrialDiagnostics | null): GradientView | null {
  if (!d || d.epochs.length === 0) return null;
  const layers: string[] = [];
  for (const e of d.epochs) for (const l of e.layers) if (!layers.includes(l.layer)) layers.push(l.layer);
  return {
    epoch: d.epochs.map((e) => e.epoch),
    layers,
    kernel: layers.map((name) => d.epochs.map((e) => round(e.layers.find((l) => l.layer === name)?.kernelGrad ?? Number.NaN))),
    global: d.epochs.map((e) => round(e.globalGrad)),
    partial: d.epochs.filter((e) => e.partial).map((e) => e.epoch),
    vanishingFloor: d.settings.vanishingFloor,
    explodingCeiling: d.settings.explodingCeiling,
    verdictEpoch: d.verdict.evidence?.epoch ?? null,
  };
}

function rejectionReason(t: TrialRecord): string | null {
  if (t.status !== 'rejected') return null;
  const v = t.diagnostics?.verdict;
  if (!v || v.kind === 'healthy') return 'no verdict recorded';
  return v.evidence ? `${v.kind}: ${v.evidence.statistic}` : v.kind;
}

/** See TrialView.sortKey; mirrors rankTrials (src/report/rank.ts). */
export function sortKey(study: StudyRecord, trial: TrialSummary): number[] {
  if (!isScored(trial)) return [1, UNRANKED_ORDER[trial.status], trial.number];
  const sign = study.objective.direction === 'max' ? -1 : 1;
  // JSON has no Infinity: a missing validation loss sorts after every real one.
  const loss = trial.bestValLoss === null || !Number.isFinite(trial.bestValLoss) ? Number.MAX_VALUE : trial.bestValLoss;
  return [0, sign * trial.score, loss, trial.number];
}

/**
 * A trial without its per-epoch history and gradients (the bulk of a view): what the
 * dashboard sends for every trial of a large study, saying whether there is more to fetch.
 */
export type LightTrialView = Omit<TrialView, 'history' | 'gradients'> & { hasHistory: boolean; hasGradients: boolean };

export function lightTrialView(study: StudyRecord, trial: TrialRecord, rank: number | null, trials: readonly TrialRecord[]): LightTrialView {
  const { history: _history, gradients: _gradients, ...rest } = viewOf(study, trial, rank, trials, false);
  return { ...rest, hasHistory: trial.history.length > 0, hasGradients: (trial.diagnostics?.epochs.length ?? 0) > 0 };
}

/** One trial as the page shows it; `rank` is its place now (a live page recomputes it from sortKey). */
export function trialView(study: StudyRecord, trial: TrialRecord, rank: number | null, trials: readonly TrialRecord[]): TrialView {
  return viewOf(study, trial, rank, trials, true);
}

/** `trials`: the study's trials, where a --repair trial finds the one it repairs. */
function viewOf(study: StudyRecord, trial: TrialRecord, rank: number | null, trials: readonly TrialRecord[], full: boolean): TrialView {
  return {
    n: trial.number,
    sortKey: sortKey(study, trial),
    status: trial.status,
    rank,
    score: trial.score,
    scoreText: formatScore(trial.score),
    bestEpoch: trial.bestEpoch,
    epochs: trial.epochsRun,
    seconds: trial.durationMs === null ? null : trial.durationMs / 1000,
    verdict: trial.diagnostics?.verdict.kind ?? null,
    verdictText: describeVerdict(trial.diagnostics?.verdict),
    reason: rejectionReason(trial),
    params: trial.params,
    paramText: paramTexts(trial.params),
    error: trial.error,
    parent: trial.parent,
    fromEpoch: trial.fromEpoch,
    toEpoch: trial.toEpoch,
    slot: trial.slot,
    pruned: trial.pruned,
    history: full ? historyView(trial.history) : null,
    gradients: full ? gradientView(trial.diagnostics) : null,
    findings: findingPairs(trial),
    repairs: describeRepair(trial, trials) ?? null,
  };
}

function paramMeta(name: string, trials: readonly TrialRecord[]): ParamMeta {
  const values = trials.map((t) => t.params[name]).filter((v): v is ParamValue => v !== undefined);
  const numeric = values.length > 0 && values.every((v) => typeof v === 'number');
  const nums = numeric ? (values as number[]) : [];
  const min = Math.min(...nums);
  const max = Math.max(...nums);
  return { name, numeric, log: numeric && min > 0 && max / min >= 100 };
}

/** accuracy/val_accuracy or mae/val_mae: the first recorded metric that is not a loss or the learning rate. */
function metricPair(trials: readonly TrialRecord[]): ReportData['metric'] {
  for (const t of trials) {
    for (const r of t.history) {
      const train = Object.keys(r).find((k) => !['epoch', 'loss', 'val_loss', 'learningRate'].includes(k) && !k.startsWith('val_'));
      if (train) return { train, val: `val_${train}` };
    }
  }
  return null;
}

/**
 * The completed trials the importance ranking is computed from. A Hyperband promotion
 * continues its parent's configuration, so counting every trial of a chain would count
 * one configuration several times; each configuration counts once, with the score of its
 * furthest-trained completed trial.
 */
function importanceSamples(trials: readonly TrialRecord[]): { samples: Array<{ params: Params; score: number }>; deduped: boolean } {
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  const root = (t: TrialRecord): number => {
    let current = t;
    // Bounded by the study's size: a corrupt cycle must not hang the report.
    for (let i = 0; i < trials.length && current.parent !== null && byNumber.has(current.parent); i++) current = byNumber.get(current.parent)!;
    return current.number;
  };
  const chosen = new Map<number, TrialRecord>();
  const scored = trials.filter((t) => t.status === 'completed' && t.score !== null && Number.isFinite(t.score));
  for (const t of scored) {
    const key = root(t);
    const held = chosen.get(key);
    const reach = (x: TrialRecord) => x.history.at(-1)?.epoch ?? 0;
    if (!held || reach(t) > reach(held) || (reach(t) === reach(held) && t.number > held.number)) chosen.set(key, t);
  }
  return {
    samples: [...chosen.values()].sort((a, b) => a.number - b.number).map((t) => ({ params: t.params, score: t.score! })),
    deduped: chosen.size < scored.length,
  };
}

/**
 * Pearson's chi-square statistic of the table value × (rejected, not rejected): how far the
 * rejections are from spreading evenly over the values. Unlike the spread of the shares, it
 * weighs each value by its trials, so one rejected trial alone in its range (100%) does not
 * outrank a value rejected 8 times in 10.
 */
export function chiSquare(values: ReadonlyArray<{ trials: number; rejected: number }>): number {
  const total = values.reduce((a, v) => a + v.trials, 0);
  const rejected = values.reduce((a, v) => a + v.rejected, 0);
  if (total === 0 || rejected === 0 || rejected === total) return 0;
  let x2 = 0;
  for (const v of values) {
    const expected = (v.trials * rejected) / total;
    const expectedKept = v.trials - expected;
    x2 += (v.rejected - expected) ** 2 / expected + (v.trials - v.rejected - expectedKept) ** 2 / expectedKept;
  }
  return x2;
}

function rejectionView(trials: readonly TrialRecord[], params: readonly string[]): RejectionView {
  const finished = trials.filter((t) => t.status !== 'running' && t.status !== 'stale');
  const reasons = new Map<string, number>();
  for (const t of finished) {
    const reason = rejectionReason(t);
    if (reason !== null) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const byParam = params.map((name) => {
    const groups = valueGroups(finished.map((t) => t.params[name]), MAX_BINS);
    const cells = new Map<string, { label: string; order: number; trials: number; rejected: number }>();
    groups.forEach((g, i) => {
      const cell = cells.get(g.key) ?? { label: g.label, order: g.order, trials: 0, rejected: 0 };
      cell.trials++;
      if (finished[i].status === 'rejected') cell.rejected++;
      cells.set(g.key, cell);
    });
    const values = [...cells.values()].sort((a, b) => a.order - b.order).map(({ label, trials: n, rejected }) => ({ label, trials: n, rejected }));
    return { name, chiSquare: chiSquare(values), values };
  });
  // Less the degrees of freedom, which is what chi-square averages when rejection does not
  // depend on the parameter at all: a parameter with many values is not favoured by chance.
  const excess = (p: (typeof byParam)[number]) => p.chiSquare - (p.values.length - 1);
  byParam.sort((a, b) => excess(b) - excess(a) || params.indexOf(a.name) - params.indexOf(b.name));
  return {
    finished: finished.length,
    rejected: finished.filter((t) => t.status === 'rejected').length,
    byReason: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    byParam,
  };
}

function hyperbandView(study: StudyRecord, trials: readonly TrialRecord[]): HyperbandView | null {
  if (study.algorithm !== 'hyperband') return null;
  const stored = study.settings.hyperband as { factor?: unknown; iterations?: unknown } | undefined;
  const factor = typeof stored?.factor === 'number' ? stored.factor : null;
  const iterations = typeof stored?.iterations === 'number' ? stored.iterations : 1;
  // Without the factor the plan cannot be recomputed; the rounds are still shown as run.
  const schedule = factor === null ? null : hyperbandSchedule({ maxEpochs: study.maxEpochs, factor, iterations });
  const key = (s: HyperbandSlot) => `${s.iteration}:${s.bracket}:${s.round}`;
  const bySlot = new Map<string, TrialRecord[]>();
  const slotted = trials.filter((t): t is TrialRecord & { slot: HyperbandSlot } => isHyperbandSlot(t.slot));
  for (const t of slotted) {
    const here = bySlot.get(key(t.slot));
    if (here) here.push(t);
    else bySlot.set(key(t.slot), [t]);
  }
  const parents = new Set(trials.map((t) => t.parent).filter((p): p is number => p !== null));
  const round = (slot: HyperbandSlot, fromEpoch: number, toEpoch: number, planned: number): HyperbandRoundView => {
    const here = (bySlot.get(key(slot)) ?? []).sort((a, b) => a.number - b.number);
    return { round: slot.round, fromEpoch, toEpoch, planned, trials: here.map((t) => t.number), promoted: here.filter((t) => parents.has(t.number)).map((t) => t.number) };
  };
  let brackets: HyperbandView['brackets'];
  if (schedule) {
    brackets = schedule.brackets.map((b) => ({
      iteration: b.iteration,
      bracket: b.bracket,
      rounds: b.rounds.map((r, i) => round({ iteration: b.iteration, bracket: b.bracket, round: i }, r.fromEpoch, r.toEpoch, r.trials)),
    }));
  } else {
    const slots = [...new Map(slotted.map((t) => [key(t.slot), t])).values()];
    const bracketKeys = [...new Set(slots.map((t) => `${t.slot!.iteration}:${t.slot!.bracket}`))];
    brackets = bracketKeys.map((bk) => {
      const inBracket = slots.filter((t) => `${t.slot!.iteration}:${t.slot!.bracket}` === bk).sort((a, b) => a.slot!.round - b.slot!.round);
      const first = inBracket[0].slot!;
      return {
        iteration: first.iteration,
        bracket: first.bracket,
        rounds: inBracket.map((t) => round(t.slot!, t.fromEpoch ?? 0, t.toEpoch ?? study.maxEpochs, (bySlot.get(key(t.slot!)) ?? []).length)),
      };
    });
  }
  // A capped search may leave most of a long schedule unstarted (1000 iterations of
  // brackets): those are counted, not drawn.
  const started = brackets.filter((b) => b.rounds.some((r) => r.trials.length > 0));
  return { factor, iterations, brackets: started, notStarted: brackets.length - started.length };
}

/** What the page shows about the study as a whole, computed from all its trials. */
export type StudyAggregates = Pick<ReportData, 'study' | 'metric' | 'params' | 'importance' | 'rejections' | 'hyperband'>;

export function studyAggregates(study: StudyRecord, trials: readonly TrialRecord[]): StudyAggregates {
  const params = varyingParams(trials);
  const { samples, deduped } = importanceSamples(trials);
  return {
    study: { name: study.name, metric: study.objective.metric, direction: study.objective.direction, algorithm: study.algorithm },
    metric: metricPair(trials),
    params: params.map((name) => paramMeta(name, trials)),
    importance: { samples: samples.length, items: samples.length === 0 ? [] : parameterImportance(samples, { maxBins: MAX_BINS }).filter((i) => params.includes(i.name)), dedupedByConfiguration: deduped },
    rejections: rejectionView(trials, params),
    hyperband: hyperbandView(study, trials),
  };
}

/** The leaderboard's order: the best trial and the top few whose curves are drawn first. */
export function leaders(ranked: ReadonlyArray<{ rank: number | null; n: number }>): Pick<ReportData, 'best' | 'top'> {
  const rankedOnly = ranked.filter((r) => r.rank !== null);
  return { best: rankedOnly[0]?.n ?? null, top: rankedOnly.slice(0, TOP_CURVES).map((r) => r.n) };
}

export function buildReportData(study: StudyRecord, trials: readonly TrialRecord[]): ReportData {
  const ranked = rankTrials(study, trials);
  const views = ranked.map((r) => trialView(study, r.trial, r.rank, trials));
  return { ...studyAggregates(study, trials), trials: views, ...leaders(views.map((v) => ({ rank: v.rank, n: v.n }))) };
}

/** formatParam of each param whose text differs from String(value); the page shows String(value) for the rest. */
function paramTexts(params: Record<string, ParamValue>): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    const text = formatParam(value);
    if (text !== String(value)) texts[name] = text;
  }
  return texts;
}
