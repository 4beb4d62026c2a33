// Connects the training loop to the gradient monitor: takes a check every `diagEvery`
// steps (statistics stay on the backend), hands them to the monitor in batches (at the
// end of the preflight probe, then once per epoch inside the epoch's single read back),
// and keeps per-epoch statistics for the trial's record.
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';
import { GradientMonitor } from './diagnostics.js';
import { gradientStatsTensor, parseCheck, planGradientStats, type GradientStatsPlan } from './grad-stats.js';
import { activationStatsTensor, planActivationProbe, type ActivationProbe } from './activation-probe.js';
import type { CheckReading } from './diagnostics.js';
import type { DiagnosticsSettings, EpochGradientStats, LayerGradientStats, TrialDiagnostics, Verdict } from './diagnostics-types.js';

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

  constructor(
    model: TF.LayersModel,
    private readonly settings: DiagnosticsSettings,
    xTrain: TF.Tensor2D,
    /** Steps this trial trains (a promoted trial: only its own rounds' epochs). */
    private readonly totalSteps: number,
  ) {
    this.monitor = new GradientMonitor(settings);
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

  /** The epoch's loss, as a reading: a loss that turned NaN between two checks is exploding. */
  observeEpochLoss(epoch: number, steps: number, loss: number): Verdict {
    if (!Number.isFinite(loss)) this.monitor.observe({ epoch, step: steps, preflight: false, loss, globalGrad: NaN, layers: [] });
    return this.verdict;
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
    return { verdict: this.verdict, checks: this.checks, epochs: this.epochs, settings: this.settings };
  }
}
