// What went wrong in a trial beyond its gradients: the classic problems of training a
// deep net, each judged from what a trial records (per-epoch losses, the per-epoch
// activation statistics of the probe batch) against a documented, settable threshold.
// Pure: no tfjs. The recorder calls it after every epoch (a --reject-on finding stops
// the trial there) and once at the end, for the record.
import { describeVerdict, formatReading } from './diagnostics.js';
import type { DiagnosticsSettings, EpochGradientStats, Finding, FindingKind, GradientRuleId, Verdict } from './diagnostics-types.js';
import type { EpochRecord } from './types.js';

export interface FindingsInput {
  /** The trial's epochs so far (a promoted trial: its own epochs only). */
  history: readonly EpochRecord[];
  /** Per-epoch gradient and activation statistics. */
  epochs: readonly EpochGradientStats[];
  verdict: Verdict;
  settings: DiagnosticsSettings;
  /**
   * The loss of a model that knows nothing: ln(classes) for cross-entropy. Undefined for
   * regression, where progress is measured from the first epoch's loss instead.
   */
  chanceLoss?: number;
}

/** The slow-training test needs a trend: at least this many epochs. */
export const SLOW_MIN_EPOCHS = 3;

/** The setting behind each gradient rule, for a finding's thresholds. */
const RULE_SETTINGS: Record<GradientRuleId, (keyof DiagnosticsSettings)[]> = {
  'non-finite': [],
  'gradient-ceiling': ['explodingCeiling'],
  'gradient-growth': ['growthFactor', 'sustain'],
  'loss-divergence': ['divergenceFactor', 'divergenceEpochs'],
  'loss-above-chance': ['aboveChance', 'divergenceEpochs'],
  'vanishing-floor': ['vanishingFloor', 'sustain'],
  'vanishing-ratio': ['vanishingRatio', 'sustain'],
  'update-ratio': ['updateRatioFloor', 'sustain'],
  'loss-plateau': ['plateauEpochs', 'plateauLoss', 'plateauRatio'],
};

/** Whether a finding of this kind rejects a trial under these settings (reject on or off). */
export function findingRejects(kind: FindingKind, s: DiagnosticsSettings): boolean {
  return kind === 'vanishing' || kind === 'exploding' || s.rejectOn.includes(kind);
}

/** Everything found: the gradient verdict's finding first, then the others in the table's order. */
export function findFindings(input: FindingsInput): Finding[] {
  const found = [verdictFinding(input), slowTraining(input), overfitting(input), activationFinding(input, 'dead-units'), activationFinding(input, 'saturation')];
  return found.filter((f): f is Finding => f !== undefined);
}

function pct(x: number): string {
  return `${Math.round(100 * x)}%`;
}

function make(kind: FindingKind, s: DiagnosticsSettings, f: Omit<Finding, 'kind' | 'rejects'>): Finding {
  return { kind, ...f, rejects: findingRejects(kind, s) };
}

function verdictFinding({ verdict, settings: s }: FindingsInput): Finding | undefined {
  if (verdict.kind === 'healthy') return undefined;
  const e = verdict.evidence;
  const thresholds: Record<string, number> = {};
  for (const key of e?.rule ? RULE_SETTINGS[e.rule] : []) thresholds[key] = s[key] as number;
  return make(verdict.kind, s, {
    summary: describeVerdict(verdict).replace(/^(vanishing|exploding): /, ''),
    epochs: { from: e?.epoch ?? 1, to: e?.epoch ?? 1 },
    layers: e?.layer ? [e.layer] : [],
    figures: e ? { [e.statistic]: e.value, step: e.step } : {},
    thresholds,
  });
}

/**
 * Slow training: the training loss still falling at the end (below the middle epoch's, and
 * falling in at least two thirds of the second half's epochs), yet less than
 * `slowProgress` of the way from the chance loss to zero. A loss that is flat or
 * wandering is not slow but stuck, and is left to the other findings.
 */
function slowTraining({ history, settings: s, chanceLoss }: FindingsInput): Finding | undefined {
  const n = history.length;
  if (n < SLOW_MIN_EPOCHS) return undefined;
  const losses = history.map((h) => h.loss);
  if (losses.some((l) => !Number.isFinite(l))) return undefined;
  const reference = chanceLoss ?? losses[0];
  if (!(reference > 0)) return undefined;
  const last = losses[n - 1];
  const progress = (reference - last) / reference;
  if (progress >= s.slowProgress) return undefined;
  const midIndex = Math.floor((n - 1) / 2);
  const secondHalf = losses.slice(midIndex);
  const falls = secondHalf.slice(1).filter((l, i) => l < secondHalf[i]).length;
  if (!(last < losses[midIndex]) || falls < ((secondHalf.length - 1) * 2) / 3) return undefined;
  const perEpoch = (losses[midIndex] - last) / (n - 1 - midIndex);
  const from = history[0].epoch;
  const to = history[n - 1].epoch;
  const what = chanceLoss !== undefined ? `the chance loss ${formatReading(reference)}` : `epoch ${from}'s ${formatReading(reference)}`;
  const where = progress > 0 ? `only ${pct(progress)} of the way from ${what} to 0` : `still above ${what}`;
  return make('slow-training', s, {
    summary: `training loss ${formatReading(last)} at epoch ${to}, ${where} (${pct(s.slowProgress)} of the way expected), still falling by ${formatReading(perEpoch)} an epoch`,
    epochs: { from, to },
    layers: [],
    figures: { referenceLoss: reference, firstLoss: losses[0], lastLoss: last, progress, lossFallPerEpoch: perEpoch },
    thresholds: { slowProgress: s.slowProgress },
  });
}

/**
 * Overfitting: the validation loss ended `overfitRise` above its minimum, reached at least
 * `overfitEpochs` epochs before the end, while the training loss kept falling and the gap
 * between them widened.
 */
function overfitting({ history, settings: s }: FindingsInput): Finding | undefined {
  const n = history.length;
  if (n < s.overfitEpochs + 1) return undefined;
  if (history.some((h) => !Number.isFinite(h.val_loss) || !Number.isFinite(h.loss))) return undefined;
  let best = 0;
  for (let i = 1; i < n; i++) if (history[i].val_loss < history[best].val_loss) best = i;
  const end = history[n - 1];
  const atBest = history[best];
  if (n - 1 - best < s.overfitEpochs || !(atBest.val_loss > 0)) return undefined;
  const rise = end.val_loss / atBest.val_loss - 1;
  const gapAtBest = atBest.val_loss - atBest.loss;
  const gap = end.val_loss - end.loss;
  if (rise < s.overfitRise || !(end.loss < atBest.loss) || !(gap > gapAtBest)) return undefined;
  return make('overfitting', s, {
    summary:
      `val_loss ${formatReading(end.val_loss)} at epoch ${end.epoch}, ${pct(rise)} above its minimum ${formatReading(atBest.val_loss)} at epoch ${atBest.epoch} ` +
      `(${pct(s.overfitRise)} after ${s.overfitEpochs} epochs is the limit), while the training loss fell from ${formatReading(atBest.loss)} to ${formatReading(end.loss)}`,
    epochs: { from: atBest.epoch, to: end.epoch },
    layers: [],
    figures: { bestValEpoch: atBest.epoch, minValLoss: atBest.val_loss, lastValLoss: end.val_loss, rise, trainLossAtBest: atBest.loss, lastTrainLoss: end.loss, gapAtBest, lastGap: gap },
    thresholds: { overfitRise: s.overfitRise, overfitEpochs: s.overfitEpochs },
  });
}

/** Dead ReLU units or saturated sigmoid/tanh units, on the probe batch of the last whole epoch. */
function activationFinding({ epochs, settings: s }: FindingsInput, kind: 'dead-units' | 'saturation'): Finding | undefined {
  const last = [...epochs].reverse().find((e) => !e.partial);
  if (!last) return undefined;
  const stat = kind === 'dead-units' ? 'dead' : 'saturated';
  const limit = kind === 'dead-units' ? s.deadUnits : s.saturation;
  const hit = last.layers.filter((l) => l[stat] !== undefined && l[stat]! >= limit);
  if (hit.length === 0) return undefined;
  const figures = Object.fromEntries(hit.map((l) => [l.layer, l[stat]!]));
  const list = hit.map((l) => `${l.layer} ${pct(l[stat]!)}`).join(', ');
  const its = hit.length === 1 ? 'its' : 'their';
  const what = kind === 'dead-units' ? `of ${its} ReLU units never active on the probe batch` : `of ${its} activations within 2% of their bounds`;
  return make(kind, s, {
    summary: `at epoch ${last.epoch}: ${list} ${what} (${pct(limit)} limit)`,
    epochs: { from: last.epoch, to: last.epoch },
    layers: hit.map((l) => l.layer),
    figures,
    thresholds: kind === 'dead-units' ? { deadUnits: s.deadUnits } : { saturation: s.saturation },
  });
}
