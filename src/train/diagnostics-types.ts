// Types of the gradient diagnostics: settings (thresholds), per-epoch statistics, and the
// verdict with its evidence. Plain data: stored with each trial and shown by reports.

export type VerdictKind = 'healthy' | 'vanishing' | 'exploding';

/** The rules behind a verdict (see GRADIENT_RULES in diagnostics.ts and the README). */
export type GradientRuleId =
  | 'non-finite'
  | 'gradient-ceiling'
  | 'gradient-growth'
  | 'loss-divergence'
  | 'loss-above-chance'
  | 'vanishing-floor'
  | 'vanishing-ratio'
  | 'update-ratio'
  | 'loss-plateau';

/**
 * Thresholds and cadence of the gradient monitor. Defaults and their reasoning are in
 * DEFAULT_DIAGNOSTICS (diagnostics-settings.ts) and the README.
 */
export interface DiagnosticsSettings {
  /** Gradient statistics are computed every this many training steps (>= 1). */
  diagEvery: number;
  /** Steps of the preflight probe, after which an unhealthy trial is rejected at once (0 = no preflight). */
  preflightSteps: number;
  /** Reject unhealthy trials (false: keep diagnosing but let every trial finish). */
  reject: boolean;
  /** Vanishing: the first hidden layer's kernel-gradient L2 norm below this... */
  vanishingFloor: number;
  /** ...or below this fraction of the output layer's kernel-gradient norm... */
  vanishingRatio: number;
  /** ...or its update ratio (learning rate × |g| / |w|) below this. */
  updateRatioFloor: number;
  /** Exploding: any layer's kernel-gradient norm above this. */
  explodingCeiling: number;
  /** Exploding: the global gradient norm multiplied by at least this at each of `sustain` checks in a row. */
  growthFactor: number;
  /** Consecutive checks a vanishing or growth condition must hold (one reading can be noise). */
  sustain: number;
  /**
   * Exploding (plain and momentum SGD): the validation loss above the chance loss and at
   * least this many times its lowest so far, at `divergenceEpochs` epochs in a row.
   */
  divergenceFactor: number;
  divergenceEpochs: number;
  /**
   * Exploding (any optimizer, classification): the validation loss at least this many
   * times the chance loss, at `divergenceEpochs` epochs in a row: confidently wrong.
   */
  aboveChance: number;
  /**
   * Vanishing (any optimizer, classification): after `plateauEpochs` epochs, no epoch's
   * training or validation loss has come below `plateauLoss` × the chance loss, and the
   * first layer's gradient norm is below `plateauRatio` × the output layer's at the
   * epoch's last check: the loss is flat and the first layers get almost nothing.
   */
  plateauEpochs: number;
  plateauLoss: number;
  plateauRatio: number;
  /**
   * A trial has learned once a batch loss or a validation loss falls below this share of
   * the chance loss (regression: of its first check's loss). A verdict reached after that
   * stops the trial but keeps its best epoch; only a trial that never learned is rejected.
   */
  learnedLoss: number;
  /**
   * Keep every check's readings in the trial's diagnostics (`readings`), not only the
   * per-epoch means: for replaying the rules offline (bench/diagnostics-accuracy.ts). Off
   * by default: a long trial takes hundreds of checks.
   */
  keepReadings?: boolean;
  /**
   * Findings beyond the gradient verdict (see findings.ts). slow-training: the training
   * loss is still falling at the end but has covered less than this fraction of the way
   * from the chance loss to zero.
   */
  slowProgress: number;
  /** overfitting: the validation loss ended at least this fraction above its minimum... */
  overfitRise: number;
  /** ...at least this many epochs after it, while the training loss kept falling. */
  overfitEpochs: number;
  /** dead-units: a ReLU layer with at least this fraction of units silent on the whole probe batch. */
  deadUnits: number;
  /** saturation: a sigmoid/tanh layer with at least this fraction of activations at their bounds. */
  saturation: number;
  /**
   * Findings that reject a trial besides vanishing and exploding (which always do, unless
   * `reject` is false), e.g. ['overfitting', 'dead-units'].
   */
  rejectOn: FindingKind[];
}

/** What the monitor can find in a trial: the two gradient verdicts and four other problems. */
export type FindingKind = 'vanishing' | 'exploding' | 'slow-training' | 'overfitting' | 'dead-units' | 'saturation';

export const FINDING_KINDS: readonly FindingKind[] = ['vanishing', 'exploding', 'slow-training', 'overfitting', 'dead-units', 'saturation'];

/** One problem found in a trial, with the evidence for it. */
export interface Finding {
  kind: FindingKind;
  /** One line with the figures and thresholds, e.g. `val_loss 0.41 at epoch 12, 62% above its minimum 0.25 at epoch 5 (20% limit) while the training loss fell from 0.18 to 0.02`. */
  summary: string;
  /** The epochs the finding rests on. */
  epochs: { from: number; to: number };
  /** The layers it concerns; empty when it is about the whole model. */
  layers: string[];
  /** What was measured, by name. */
  figures: Record<string, number>;
  /** The settings it was judged by, by setting name. */
  thresholds: Record<string, number>;
  /** Whether it rejected (or, with reject off, would have rejected) the trial. */
  rejects: boolean;
  /** What the trial's own space could change to cure it, in the order to try (filled in by the worker). */
  remedies?: Remedy[];
}

/**
 * A change to a trial's parameters that the space allows and that was checked, by
 * rebuilding the configuration, to change it the intended way.
 */
export interface Remedy {
  /** What it does, in words: `ReLU-family activation`, `gradient clipping`. */
  cure: string;
  /** The parameters to set (new conditional ones included), with their current values (null: not set now). */
  changes: { param: string; from: string | number | boolean | null; to: string | number | boolean }[];
  /** Parameters the change makes inactive (a conditional parameter that no longer applies). */
  drops: string[];
  /** Other effects of the change on the configuration, besides the intended one (e.g. `batch norm off`). */
  sideEffects: string[];
}

/** Statistics of one trainable layer at one check (or averaged over an epoch's checks). */
export interface LayerGradientStats {
  /** Layer name, e.g. dense_1, logits. */
  layer: string;
  /** L2 norm of the kernel's gradient (as applied, after clipping). */
  kernelGrad: number;
  /** L2 norm of the bias's gradient; null for a layer without bias. */
  biasGrad: number | null;
  /** L2 norm of the kernel. */
  weight: number;
  /** learning rate × kernelGrad / weight. */
  updateRatio: number;
  /** Fraction of sigmoid/tanh units saturated on the probe batch (outputs near their bounds). */
  saturated?: number;
  /** Fraction of ReLU-family units that output <= 0 for every example of the probe batch. */
  dead?: number;
}

/** Per-epoch gradient statistics, stored with the trial (reports plot them). */
export interface EpochGradientStats {
  epoch: number;
  /** Global L2 norm of all applied gradients, mean over the epoch's checks. */
  globalGrad: number;
  /** Mean over the epoch's checks, per layer (activation stats from the epoch's probe). */
  layers: LayerGradientStats[];
  /** The epoch did not end (the trial was rejected during it): its checks so far, no probe. */
  partial?: boolean;
}

/** Why a verdict was reached: the reading that crossed its threshold. */
export interface VerdictEvidence {
  /** The rule that fired (absent in trials recorded before rules were named). */
  rule?: GradientRuleId;
  /** e.g. 'kernel gradient norm', 'loss', 'gradient norm ratio to output', 'update ratio', 'global gradient growth' */
  statistic: string;
  /** Layer the reading comes from; null for the loss or global statistics. */
  layer: string | null;
  /** The reading (may be NaN or Infinity). */
  value: number;
  /** The threshold it crossed; null for a non-finite reading. */
  threshold: number | null;
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  /** Whether the check happened during the preflight probe. */
  preflight: boolean;
}

export interface Verdict {
  kind: VerdictKind;
  /** Absent for healthy. */
  evidence?: VerdictEvidence;
  /**
   * Reached after the trial had learned (a loss below `learnedLoss` of the chance loss):
   * the trial is stopped but keeps its best epoch, rather than rejected.
   */
  afterLearning?: boolean;
}

/** Everything the monitor recorded for a trial. */
export interface TrialDiagnostics {
  verdict: Verdict;
  /** Checks taken (each one a set of per-layer statistics). */
  checks: number;
  epochs: EpochGradientStats[];
  settings: DiagnosticsSettings;
  /** Every check's readings, compact; only with `keepReadings`. */
  readings?: RecordedReadings;
  /** Everything found, the verdict's finding first (absent in trials recorded before findings). */
  findings?: Finding[];
  /** The finding that rejected the trial, when one did. */
  rejectedBy?: FindingKind;
  /** The verdict that stopped the trial after it had learned (it keeps its best epoch, status completed). */
  stoppedBy?: FindingKind;
}

/**
 * Every check, compact. `checks[i]` is [epoch, step, preflight (1/0), loss, global norm,
 * then for each of `layers` its kernel-gradient norm and update ratio]. Bias norms are
 * left out (a bias gradient is non-finite only with a non-finite loss).
 */
export interface RecordedReadings {
  layers: string[];
  checks: number[][];
}
