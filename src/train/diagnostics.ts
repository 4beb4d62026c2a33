// The gradient monitor: an observer with a verdict. It reads gradient statistics taken
// every `diagEvery` steps and decides healthy | vanishing | exploding, with the reading
// that decided it. Pure host-side logic: the loop computes the statistics on the backend
// and hands them over in batches (once per epoch, or at the end of the preflight probe).
//
// The verdict is the first of a few named rules to fire (GRADIENT_RULES). Each rule is a
// pure function of the readings so far, so bench/diagnostics-accuracy.ts can replay
// recorded readings through any one of them and measure it on its own.
import type { DiagnosticsSettings, GradientRuleId, LayerGradientStats, RecordedReadings, Verdict, VerdictEvidence } from './diagnostics-types.js';

/** One check's statistics, read back from the backend. */
export interface CheckReading {
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  preflight: boolean;
  /** The batch loss at that step. */
  loss: number;
  /** Global L2 norm of all applied gradients. */
  globalGrad: number;
  /** Layers with a kernel, in model order: the first hidden layer first, the output layer last. */
  layers: LayerGradientStats[];
}

/** Every rule, exploding ones first (a NaN is reported as exploding even if it also "vanished"). */
export const GRADIENT_RULES: readonly GradientRuleId[] = [
  'non-finite',
  'gradient-ceiling',
  'gradient-growth',
  'loss-divergence',
  'loss-above-chance',
  'vanishing-floor',
  'vanishing-ratio',
  'update-ratio',
  'loss-plateau',
];

const EXPLODING_RULES = new Set<GradientRuleId>(['non-finite', 'gradient-ceiling', 'gradient-growth', 'loss-divergence', 'loss-above-chance']);

export function ruleKind(rule: GradientRuleId): 'vanishing' | 'exploding' {
  return EXPLODING_RULES.has(rule) ? 'exploding' : 'vanishing';
}

/**
 * Optimizers whose step does not grow with the gradient: Adam, RMSprop, Adamax and
 * Adagrad divide each gradient by a running estimate of its own size, so a step stays
 * near the learning rate however large the gradient is. Gradient-size rules cannot say
 * their updates explode (bench/diagnostics-accuracy.ts: Adam trials with kernel
 * gradients of 3e5 that trained to 0.96); a NaN still can.
 */
export const ADAPTIVE_OPTIMIZERS: readonly string[] = ['adam', 'rmsprop', 'adamax', 'adagrad'];

/**
 * Rules that judge a step by the gradient's size, which an adaptive optimizer's step does
 * not follow. vanishing-floor stays: a gradient below ~1e-7 is under Adam's epsilon too.
 */
const ADAPTIVE_EXEMPT = new Set<GradientRuleId>(['gradient-ceiling', 'gradient-growth', 'loss-divergence', 'loss-above-chance', 'vanishing-ratio', 'update-ratio']);

/** Which rules may decide for a trial trained with `optimizer` (its name in the configuration). */
export function rulesFor(optimizer: string | undefined, rules: readonly GradientRuleId[] = GRADIENT_RULES): GradientRuleId[] {
  const adaptive = optimizer !== undefined && ADAPTIVE_OPTIMIZERS.includes(optimizer);
  return rules.filter((r) => !(adaptive && ADAPTIVE_EXEMPT.has(r)));
}

/** loss-plateau: a first layer whose gradient has grown this much since the first epoch is recovering. */
const PLATEAU_RECOVERY = 2;

export class GradientMonitor {
  private current: Verdict = { kind: 'healthy' };
  /** Global norms of the checks so far (the growth rule compares with their median). */
  private readonly globals: number[] = [];
  private readonly losses: number[] = [];
  private growthRun = 0;
  private vanishingRun = 0;
  private divergenceRun = 0;
  private lowestValLoss = Infinity;
  private aboveChanceRun = 0;
  /** For loss-plateau: each epoch's losses (training and validation), each epoch's first-layer gradient norms, the last check's first/output ratio. */
  private readonly epochLosses: number[][] = [];
  private readonly firstGrads = new Map<number, number[]>();
  private lastRatio: number | undefined;
  private firstLayer: string | null = null;
  private readonly rules: ReadonlySet<GradientRuleId>;
  /** Whether a loss has fallen below learnedLoss of the reference: the trial has learned. */
  private learned = false;
  private reference: number | undefined;

  /**
   * `rules`: the rules that may decide (all by default; the accuracy benchmark runs them one
   * at a time). `chanceLoss`: ln(classes) for classification; undefined for regression,
   * where the first check's loss is the reference for having learned.
   */
  constructor(
    private readonly settings: DiagnosticsSettings,
    rules: Iterable<GradientRuleId> = GRADIENT_RULES,
    chanceLoss?: number,
  ) {
    this.rules = new Set(rules);
    this.reference = chanceLoss;
  }

  /** A loss seen (batch or validation): once one is low enough, the trial has learned. */
  private noteLoss(loss: number): void {
    if (!Number.isFinite(loss)) return;
    this.reference ??= loss;
    if (loss < this.settings.learnedLoss * this.reference) this.learned = true;
  }

  /** The first unhealthy verdict, marked when the trial had learned before it. */
  private settle(found: Verdict): Verdict {
    this.current = this.learned ? { ...found, afterLearning: true } : found;
    return this.current;
  }

  get verdict(): Verdict {
    return this.current;
  }

  /** Feeds one check; the first unhealthy verdict is final (later readings change nothing). */
  observe(r: CheckReading): Verdict {
    if (this.current.kind !== 'healthy') return this.current;
    if (r.layers.length >= 2) {
      const first = r.layers[0].kernelGrad;
      const output = r.layers[r.layers.length - 1].kernelGrad;
      this.lastRatio = output > 0 ? first / output : undefined;
      this.firstLayer = r.layers[0].layer;
      const grads = this.firstGrads.get(r.epoch) ?? [];
      grads.push(first);
      this.firstGrads.set(r.epoch, grads);
    }
    const found = this.exploding(r) ?? this.vanishing(r);
    if (found) return this.settle(found);
    this.noteLoss(r.loss);
    return this.current;
  }

  /**
   * The end of an epoch, for the rules that read epochs: loss-divergence compares the
   * validation loss with the chance loss (undefined for regression: there the first
   * epoch's validation loss stands in for it); loss-above-chance and loss-plateau need the
   * chance loss, so they judge classification only. `trainLoss` is the epoch's mean
   * training loss.
   */
  observeEpoch(epoch: number, valLoss: number, chanceLoss: number | undefined, trainLoss?: number): Verdict {
    if (this.current.kind !== 'healthy') return this.current;
    this.epochLosses.push(trainLoss === undefined ? [valLoss] : [trainLoss, valLoss]);
    const found = this.divergence(epoch, valLoss, chanceLoss) ?? this.aboveChance(epoch, valLoss, chanceLoss) ?? this.plateau(epoch, chanceLoss);
    if (found) return this.settle(found);
    this.noteLoss(valLoss);
    return this.current;
  }

  private epochEvidence(rule: GradientRuleId, epoch: number, statistic: string, layer: string | null, value: number, threshold: number): VerdictEvidence {
    return { rule, statistic, layer, value, threshold, epoch, step: 0, preflight: false };
  }

  /** loss-divergence (SGD/momentum): validation loss above chance and divergenceFactor × its lowest, epochs running. */
  private divergence(epoch: number, valLoss: number, chanceLoss: number | undefined): Verdict | undefined {
    if (!this.rules.has('loss-divergence') || !Number.isFinite(valLoss)) return undefined;
    const s = this.settings;
    const level = chanceLoss ?? (Number.isFinite(this.lowestValLoss) ? this.lowestValLoss : valLoss);
    const diverging = valLoss > level && valLoss >= s.divergenceFactor * this.lowestValLoss;
    const ratio = valLoss / this.lowestValLoss;
    this.lowestValLoss = Math.min(this.lowestValLoss, valLoss);
    this.divergenceRun = diverging ? this.divergenceRun + 1 : 0;
    if (this.divergenceRun < s.divergenceEpochs) return undefined;
    return { kind: 'exploding', evidence: this.epochEvidence('loss-divergence', epoch, 'validation loss rise', null, ratio, s.divergenceFactor) };
  }

  /** loss-above-chance (classification): validation loss aboveChance × the chance loss or more, divergenceEpochs epochs running. */
  private aboveChance(epoch: number, valLoss: number, chanceLoss: number | undefined): Verdict | undefined {
    if (!this.rules.has('loss-above-chance') || chanceLoss === undefined || Number.isNaN(valLoss)) return undefined;
    const s = this.settings;
    this.aboveChanceRun = valLoss >= s.aboveChance * chanceLoss ? this.aboveChanceRun + 1 : 0;
    if (this.aboveChanceRun < s.divergenceEpochs) return undefined;
    return { kind: 'exploding', evidence: this.epochEvidence('loss-above-chance', epoch, 'validation loss / chance loss', null, valLoss / chanceLoss, s.aboveChance) };
  }

  /**
   * loss-plateau (classification): for the last plateauEpochs epochs every loss (training
   * and validation) stayed within plateauLoss of the chance loss (between plateauLoss and
   * 1/plateauLoss times it: flat where knowing nothing puts it), the first layer's gradient
   * is below plateauRatio × the output layer's, and it has not even doubled since the
   * first epoch. The last condition spares deep sigmoid stacks that Adam or RMSprop are
   * pulling out of their plateau: their first layers' gradients grow epoch after epoch
   * (bench/diagnostics-accuracy.ts: breast-cancer trials flat for 8-12 epochs, then 0.98).
   */
  private plateau(epoch: number, chanceLoss: number | undefined): Verdict | undefined {
    if (!this.rules.has('loss-plateau') || chanceLoss === undefined || this.lastRatio === undefined) return undefined;
    const s = this.settings;
    if (this.epochLosses.length < s.plateauEpochs || !(this.lastRatio < s.plateauRatio)) return undefined;
    const near = (l: number) => l >= s.plateauLoss * chanceLoss && l <= chanceLoss / s.plateauLoss;
    if (!this.epochLosses.slice(-s.plateauEpochs).every((ls) => ls.every(near))) return undefined;
    const epochs = [...this.firstGrads.keys()].sort((a, b) => a - b);
    const start = median(this.firstGrads.get(epochs[0]) ?? []);
    const now = median(this.firstGrads.get(epochs[epochs.length - 1]) ?? []);
    if (start === undefined || now === undefined || now >= PLATEAU_RECOVERY * start) return undefined;
    return { kind: 'vanishing', evidence: this.epochEvidence('loss-plateau', epoch, 'gradient norm ratio to the output layer, loss flat', this.firstLayer, this.lastRatio, s.plateauRatio) };
  }

  private evidence(rule: GradientRuleId, r: CheckReading, statistic: string, layer: string | null, value: number, threshold: number | null): VerdictEvidence {
    return { rule, statistic, layer, value, threshold, epoch: r.epoch, step: r.step, preflight: r.preflight };
  }

  private exploding(r: CheckReading): Verdict | undefined {
    const s = this.settings;
    const found = (e: VerdictEvidence): Verdict => ({ kind: 'exploding', evidence: e });
    if (this.rules.has('non-finite')) {
      if (!Number.isFinite(r.loss)) return found(this.evidence('non-finite', r, 'loss', null, r.loss, null));
      for (const l of r.layers) {
        if (!Number.isFinite(l.kernelGrad)) return found(this.evidence('non-finite', r, 'kernel gradient norm', l.layer, l.kernelGrad, null));
        if (l.biasGrad !== null && !Number.isFinite(l.biasGrad)) return found(this.evidence('non-finite', r, 'bias gradient norm', l.layer, l.biasGrad, null));
      }
    }
    if (this.rules.has('gradient-ceiling')) {
      for (const l of r.layers) {
        if (l.kernelGrad > s.explodingCeiling) return found(this.evidence('gradient-ceiling', r, 'kernel gradient norm', l.layer, l.kernelGrad, s.explodingCeiling));
      }
    }
    if (this.rules.has('gradient-growth')) {
      const growth = this.growth(r);
      if (growth) return found(growth);
    }
    return undefined;
  }

  /**
   * Sustained growth: the global norm at or above growthFactor^sustain times the median of
   * all earlier checks, at `sustain` checks in a row, while the loss (mean of those checks)
   * is above the median loss of the earlier ones. Against the median, not the previous
   * check: with small batches one check can be a batch the model already fits (a norm of
   * 0.01), and the next ordinary one then "grows" a hundredfold (the issue's false
   * positive: growth 120 while norms stayed 0.5-1.9). Divergence lifts the norm far above
   * everything seen before, and keeps it there, with a worse loss.
   */
  private growth(r: CheckReading): VerdictEvidence | undefined {
    const s = this.settings;
    const earlier = this.globals.slice(0, Math.max(0, this.globals.length - this.growthRun));
    const baseline = median(earlier);
    const limit = Math.pow(s.growthFactor, s.sustain);
    let result: VerdictEvidence | undefined;
    if (baseline !== undefined && baseline > 0 && r.globalGrad >= limit * baseline) {
      this.growthRun++;
      const lossBaseline = median(this.losses.slice(0, this.losses.length - (this.growthRun - 1)));
      const recent = [...this.losses.slice(this.losses.length - (this.growthRun - 1)), r.loss];
      const recentLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
      if (this.growthRun >= s.sustain && lossBaseline !== undefined && recentLoss > lossBaseline) {
        result = this.evidence('gradient-growth', r, 'global gradient growth', null, r.globalGrad / baseline, limit);
      }
    } else {
      this.growthRun = 0;
    }
    this.globals.push(r.globalGrad);
    this.losses.push(r.loss);
    return result;
  }

  private vanishing(r: CheckReading): Verdict | undefined {
    const s = this.settings;
    // Vanishing is about the signal reaching the first layers; a model with one layer
    // (no hidden layer) has nothing for it to vanish through.
    if (r.layers.length < 2) return undefined;
    const first = r.layers[0];
    const output = r.layers[r.layers.length - 1];
    let found: VerdictEvidence | undefined;
    if (this.rules.has('vanishing-floor') && first.kernelGrad < s.vanishingFloor) {
      found = this.evidence('vanishing-floor', r, 'kernel gradient norm', first.layer, first.kernelGrad, s.vanishingFloor);
    } else if (this.rules.has('vanishing-ratio') && output.kernelGrad > 0 && first.kernelGrad / output.kernelGrad < s.vanishingRatio) {
      found = this.evidence('vanishing-ratio', r, `gradient norm ratio to ${output.layer}`, first.layer, first.kernelGrad / output.kernelGrad, s.vanishingRatio);
    } else if (this.rules.has('update-ratio') && first.updateRatio < s.updateRatioFloor) {
      found = this.evidence('update-ratio', r, 'update ratio', first.layer, first.updateRatio, s.updateRatioFloor);
    }
    this.vanishingRun = found ? this.vanishingRun + 1 : 0;
    return found && this.vanishingRun >= s.sustain ? { kind: 'vanishing', evidence: found } : undefined;
  }
}

function median(xs: number[]): number | undefined {
  const finite = xs.filter((x) => Number.isFinite(x));
  if (finite.length === 0) return undefined;
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A short description of a verdict, for leaderboards: `vanishing: dense_1 |g|=2.1e-9 (1e-7 floor)`. */
export function describeVerdict(v: Verdict | undefined | null): string {
  if (!v) return '-';
  if (v.kind === 'healthy' || !v.evidence) return v.kind;
  const e = v.evidence;
  const num = formatReading;
  // Epoch-level rules (step 0) read an epoch's end, not a step.
  const where = `${e.preflight ? 'preflight, ' : ''}epoch ${e.epoch}${e.step > 0 ? ` step ${e.step}` : ''}${v.afterLearning ? ', after the trial had learned' : ''}`;
  if (e.threshold === null) return `${v.kind}: ${e.layer ? `${e.layer} ` : ''}${e.statistic} ${num(e.value)} at ${where}`;
  const symbol: Record<string, string> = { 'kernel gradient norm': '|g|', 'bias gradient norm': '|g_bias|', 'update ratio': 'lr|g|/|w|' };
  const name = symbol[e.statistic] ?? e.statistic;
  const limit = v.kind === 'vanishing' ? (e.statistic === 'kernel gradient norm' ? 'floor' : 'min') : e.statistic === 'kernel gradient norm' ? 'ceiling' : 'max';
  return `${v.kind}: ${e.layer ? `${e.layer} ` : ''}${name}=${num(e.value)} (${num(e.threshold)} ${limit}) at ${where}`;
}

/** Two significant digits; exponent form for very small or large readings: 2.1e-9, 0.35, 150, 1e4. */
export function formatReading(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  // Number(...) drops the trailing zeros toPrecision keeps (2.0 → 2, 0.0010 → 0.001).
  if (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4) return String(Number(x.toPrecision(2)));
  // 1.0e-7 → 1e-7, 2.5e+4 → 2.5e4
  return x.toExponential(1).replace(/\.0e/, 'e').replace('e+', 'e');
}

/** A check as `RecordedReadings` keeps it (see diagnostics-types.ts). */
export function compactReading(r: CheckReading): number[] {
  const row = [r.epoch, r.step, r.preflight ? 1 : 0, r.loss, r.globalGrad];
  for (const l of r.layers) row.push(l.kernelGrad, l.updateRatio);
  return row;
}

/** The readings of a trial recorded with `keepReadings`, as the monitor saw them (bias norms as 0). */
export function expandReadings(recorded: RecordedReadings): CheckReading[] {
  return recorded.checks.map((row) => ({
    epoch: row[0],
    step: row[1],
    preflight: row[2] === 1,
    loss: row[3],
    globalGrad: row[4],
    layers: recorded.layers.map((layer, i) => ({ layer, kernelGrad: row[5 + 2 * i], biasGrad: null, weight: 1, updateRatio: row[6 + 2 * i] })),
  }));
}
