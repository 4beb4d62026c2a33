// Types of the gradient diagnostics: settings (thresholds), per-epoch statistics, and the
// verdict with its evidence. Plain data: stored with each trial and shown by reports.

export type VerdictKind = 'healthy' | 'vanishing' | 'exploding';

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
}

/** Everything the monitor recorded for a trial. */
export interface TrialDiagnostics {
  verdict: Verdict;
  /** Checks taken (each one a set of per-layer statistics). */
  checks: number;
  epochs: EpochGradientStats[];
  settings: DiagnosticsSettings;
}
