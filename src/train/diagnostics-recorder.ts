// Connects the training loop to the gradient monitor: takes a check every `diagEvery`
// steps (statistics stay on the backend), hands them to the monitor in batches (at the
// end of the preflight probe, then once per epoch inside the epoch's single read back),
// and keeps per-epoch statistics for the trial's record.
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';
import { GradientMonitor, compactReading, rulesFor } from './diagnostics.js';
import { gradientStatsTensor, parseCheck, planGradientStats, type GradientStatsPlan } from './grad-stats.js';
import { activationStatsTensor, planActivationProbe, type ActivationProbe } from './activation-probe.js';
import type { CheckReading } from './diagnostics.js';
import type { DiagnosticsSettings, EpochGradientStats, Finding, FindingKind, LayerGradientStats, TrialDiagnostics, Verdict } from './diagnostics-types.js';
import type { EpochRecord } from './types.js';
import { findFindings } from './findings.js';

/** Rows of the training split used to measure saturated and dead units. */
const PROBE_ROWS = 256;

interface PendingCheck {
  stats: TF.Tensor1D;
  meta: { epoch: number; step: number; preflight: boolean; learningRate: number };
}

export class DiagnosticsRecorder {
  readonly monitor: GradientMonitor;
  private readonly plan: GradientStatsPlan;
  private readonly probe: ActivationProbe | undefined;
  private readonly probeX: TF.Tensor2D;
  private pending: PendingCheck[] = [];
  private epochReadings: CheckReading[] = [];
  private checks = 0;
  readonly epochs: EpochGradientStats[] = [];
  /** Every check, when the settings keep them (keepReadings). */
  private readonly kept: number[][] | undefined;
  private keptLayers: string[] = [];
  private readonly history: EpochRecord[] = [];
  /** Cross-entropy of a prediction that knows nothing, ln(classes); undefined for regression. */
  private readonly chance: number | undefined;
  /** Set when a --reject-on finding stopped the trial at an epoch's end. */
  private rejectedBy: FindingKind | undefined;

  constructor(
    model: TF.LayersModel,
    private readonly settings: DiagnosticsSettings,
    xTrain: TF.Tensor2D,
    /** Steps this trial trains (a promoted trial: only its own rounds' epochs). */
    private readonly totalSteps: number,
    /**
     * The configuration's optimizer (gradient-size rules do not apply to adaptive ones, see
     * rulesFor) and the task (classification has a chance loss, ln(classes)).
     */
    trial: { optimizer?: string; task?: 'classification' | 'regression' } = {},
  ) {
    const shape = model.outputs[0]?.shape ?? [];
    const outputUnits = shape[shape.length - 1] ?? 1;
    this.chance = trial.task === 'classification' && outputUnits > 1 ? Math.log(outputUnits) : undefined;
    this.monitor = new GradientMonitor(settings, rulesFor(trial.optimizer), this.chance);
    this.kept = settings.keepReadings ? [] : undefined;
    this.plan = planGradientStats(model);
    this.probe = planActivationProbe(model);
    const rows = Math.min(PROBE_ROWS, xTrain.shape[0]);
    this.probeX = tf.slice(xTrain, [0, 0], [rows, xTrain.shape[1]]);
  }

  get verdict(): Verdict {
    return this.monitor.verdict;
  }

  /**
   * Whether to take statistics at this 0-based step of the trial: every `diagEvery` steps, at
   * the last preflight step, and at an epoch's last step if the epoch had no check yet
   * (epochs shorter than diagEvery still get their statistics).
   */
  shouldCheck(trialStep: number, epoch: number, lastStepOfEpoch: boolean): boolean {
    return (
      trialStep % this.settings.diagEvery === 0 ||
      this.isPreflightEnd(trialStep) ||
      (lastStepOfEpoch && this.pending.every((p) => p.meta.epoch !== epoch))
    );
  }

  /** Whether this 0-based step of the trial is part of the preflight probe. */
  inPreflight(trialStep: number): boolean {
    return trialStep < Math.min(this.settings.preflightSteps, this.totalSteps);
  }

  /**
   * Whether this 0-based step of the trial ends the preflight probe. A trial shorter
   * than the probe ends it at its last step.
   */
  isPreflightEnd(trialStep: number): boolean {
    const end = Math.min(this.settings.preflightSteps, this.totalSteps);
    return end > 0 && trialStep + 1 === end;
  }

  /**
   * The end of an epoch: its loss is a reading too (a loss that turned NaN between two
   * checks is exploding), and the findings are judged on the history so far. True when the
   * trial should be rejected now: an unhealthy verdict, or a --reject-on finding.
   */
  observeEpoch(record: EpochRecord, steps: number, loss: number): boolean {
    if (!Number.isFinite(loss)) this.monitor.observe({ epoch: record.epoch, step: steps, preflight: false, loss, globalGrad: NaN, layers: [] });
    this.history.push(record);
    this.monitor.observeEpoch(record.epoch, record.val_loss, this.chance, record.loss);
    if (this.verdict.kind !== 'healthy') return true;
    const rejecting = this.findings().find((f) => f.rejects && f.kind !== 'vanishing' && f.kind !== 'exploding');
    if (rejecting && this.settings.reject) this.rejectedBy = rejecting.kind;
    return rejecting !== undefined;
  }

  private findings(): Finding[] {
    return findFindings({ history: this.history, epochs: this.epochs, verdict: this.verdict, settings: this.settings, chanceLoss: this.chance });
  }

  /** Takes a check; call inside the step's tf.tidy with the gradients as applied. */
  record(grads: TF.NamedTensorMap, loss: TF.Scalar, meta: PendingCheck['meta']): void {
    this.pending.push({ stats: tf.keep(gradientStatsTensor(this.plan, grads, loss)), meta });
  }

  /** What a check holds and in which order (statsPlan's layout, as gradientStatsTensor makes it). */
  get statsPlan(): GradientStatsPlan {
    return this.plan;
  }

  /** Takes a check the training step already computed in statsPlan's layout; the recorder owns `stats` from here. */
  recordStats(stats: TF.Tensor1D, meta: PendingCheck['meta']): void {
    this.pending.push({ stats, meta });
  }

  /** The checks taken since the last read, to be read back with the epoch's values. */
  pendingTensors(): TF.Tensor[] {
    return this.pending.map((p) => p.stats);
  }

  /** Activation statistics on the probe batch (kept; part of the epoch's read back). */
  probeTensor(): TF.Tensor1D | undefined {
    const probe = this.probe;
    if (!probe) return undefined;
    return tf.tidy(() => activationStatsTensor(probe, this.probeX));
  }

  /** Reads the pending checks now (the end of the preflight probe) and feeds the monitor. */
  async readPending(): Promise<Verdict> {
    if (this.pending.length === 0) return this.verdict;
    const all = tf.concat(this.pendingTensors());
    const values = await all.data();
    all.dispose();
    this.consumeChecks(values as Float32Array, 0);
    return this.verdict;
  }

  /**
   * Consumes what the loop read back at the end of an epoch: the pending checks, then the
   * probe's values when there is a probe. Returns the verdict.
   */
  consumeEpoch(epoch: number, values: Float32Array, offset: number): Verdict {
    const end = this.consumeChecks(values, offset);
    const activations = this.probe ? Array.from(values.subarray(end, end + this.probe.entries.length)) : [];
    this.closeEpoch(epoch, activations);
    return this.verdict;
  }

  private consumeChecks(values: Float32Array, offset: number): number {
    let at = offset;
    for (const p of this.pending) {
      const reading = parseCheck(this.plan, values, at, p.meta);
      this.epochReadings.push(reading);
      this.monitor.observe(reading);
      if (this.kept) {
        this.kept.push(compactReading(reading));
        this.keptLayers = reading.layers.map((l) => l.layer);
      }
      this.checks++;
      at += this.plan.width;
      p.stats.dispose();
    }
    this.pending = [];
    return at;
  }

  /** Mean of the epoch's readings per layer, plus the probe's activation statistics. */
  private closeEpoch(epoch: number, activations: number[], partial = false): void {
    const readings = this.epochReadings;
    this.epochReadings = [];
    if (readings.length === 0) return;
    const mean = (pick: (r: CheckReading) => number) => readings.reduce((s, r) => s + pick(r), 0) / readings.length;
    const layers: LayerGradientStats[] = readings[0].layers.map((l, i) => {
      const stats: LayerGradientStats = {
        layer: l.layer,
        kernelGrad: mean((r) => r.layers[i].kernelGrad),
        biasGrad: l.biasGrad === null ? null : mean((r) => r.layers[i].biasGrad ?? 0),
        weight: mean((r) => r.layers[i].weight),
        updateRatio: mean((r) => r.layers[i].updateRatio),
      };
      this.probe?.entries.forEach((e, j) => {
        if (e.layer !== l.layer) return;
        if (e.family === 'saturating') stats.saturated = activations[j];
        else stats.dead = activations[j];
      });
      return stats;
    });
    this.epochs.push({ epoch, globalGrad: mean((r) => r.globalGrad), layers, ...(partial ? { partial: true } : {}) });
  }

  /** Everything recorded, for the trial's result. Disposes what the recorder holds. */
  finish(): TrialDiagnostics {
    // Readings of an epoch that did not end (a rejection at preflight) are kept as a
    // partial epoch, so the report can show what the verdict was based on.
    const last = this.epochReadings[this.epochReadings.length - 1];
    if (last) this.closeEpoch(last.epoch, [], true);
    this.pending.forEach((p) => p.stats.dispose());
    this.pending = [];
    this.probeX.dispose();
    const readings = this.kept ? { readings: { layers: this.keptLayers, checks: this.kept } } : {};
    // With rejection on, an unhealthy verdict stopped the trial (at preflight or an epoch's
    // end): it rejects a trial that never learned, and only stops one that had.
    const unhealthy = this.settings.reject && this.verdict.kind !== 'healthy' ? this.verdict.kind : undefined;
    const rejectedBy = unhealthy && !this.verdict.afterLearning ? unhealthy : this.rejectedBy;
    const stoppedBy = unhealthy && this.verdict.afterLearning ? unhealthy : undefined;
    return {
      verdict: this.verdict,
      checks: this.checks,
      epochs: this.epochs,
      settings: this.settings,
      findings: this.findings(),
      ...(rejectedBy ? { rejectedBy } : {}),
      ...(stoppedBy ? { stoppedBy } : {}),
      ...readings,
    };
  }
}
