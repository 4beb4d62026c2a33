// The gradient monitor: an observer with a verdict. It reads gradient statistics taken
// every `diagEvery` steps and decides healthy | vanishing | exploding, with the reading
// that decided it. Pure host-side logic: the loop computes the statistics on the backend
// and hands them over in batches (once per epoch, or at the end of the preflight probe).
import type { DiagnosticsSettings, LayerGradientStats, Verdict, VerdictEvidence } from './diagnostics-types.js';

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

export class GradientMonitor {
  private current: Verdict = { kind: 'healthy' };
  private previousGlobal: number | undefined;
  private previousLoss = Infinity;
  private growthRun = 0;
  private growthSince = 0;
  private growthLossSince = 0;
  private vanishingRun = 0;

  constructor(private readonly settings: DiagnosticsSettings) {}

  get verdict(): Verdict {
    return this.current;
  }

  /** Feeds one check; the first unhealthy verdict is final (later readings change nothing). */
  observe(r: CheckReading): Verdict {
    if (this.current.kind !== 'healthy') return this.current;
    const found = this.exploding(r) ?? this.vanishing(r);
    if (found) this.current = found;
    return this.current;
  }

  private evidence(r: CheckReading, statistic: string, layer: string | null, value: number, threshold: number | null): VerdictEvidence {
    return { statistic, layer, value, threshold, epoch: r.epoch, step: r.step, preflight: r.preflight };
  }

  private exploding(r: CheckReading): Verdict | undefined {
    const s = this.settings;
    if (!Number.isFinite(r.loss)) return { kind: 'exploding', evidence: this.evidence(r, 'loss', null, r.loss, null) };
    for (const l of r.layers) {
      if (!Number.isFinite(l.kernelGrad)) return { kind: 'exploding', evidence: this.evidence(r, 'kernel gradient norm', l.layer, l.kernelGrad, null) };
      if (l.biasGrad !== null && !Number.isFinite(l.biasGrad)) return { kind: 'exploding', evidence: this.evidence(r, 'bias gradient norm', l.layer, l.biasGrad, null) };
    }
    for (const l of r.layers) {
      if (l.kernelGrad > s.explodingCeiling) {
        return { kind: 'exploding', evidence: this.evidence(r, 'kernel gradient norm', l.layer, l.kernelGrad, s.explodingCeiling) };
      }
    }
    // Sustained growth: the global norm multiplied by growthFactor at each of `sustain`
    // checks in a row while the loss rose too. Gradients can grow while a model converges
    // (sharper minima, RMSprop/Adam near the end); divergence is growth with a worse loss.
    if (this.previousGlobal !== undefined && this.previousGlobal > 0 && r.globalGrad >= s.growthFactor * this.previousGlobal) {
      if (this.growthRun === 0) {
        this.growthSince = this.previousGlobal;
        this.growthLossSince = this.previousLoss;
      }
      this.growthRun++;
    } else {
      this.growthRun = 0;
    }
    this.previousGlobal = r.globalGrad;
    this.previousLoss = r.loss;
    if (this.growthRun >= s.sustain && r.loss > this.growthLossSince) {
      return { kind: 'exploding', evidence: this.evidence(r, 'global gradient growth', null, r.globalGrad / this.growthSince, Math.pow(s.growthFactor, s.sustain)) };
    }
    return undefined;
  }

  private vanishing(r: CheckReading): Verdict | undefined {
    const s = this.settings;
    // Vanishing is about the signal reaching the first layers; a model with one layer
    // (no hidden layer) has nothing for it to vanish through.
    if (r.layers.length < 2) return undefined;
    const first = r.layers[0];
    const output = r.layers[r.layers.length - 1];
    let found: VerdictEvidence | undefined;
    if (first.kernelGrad < s.vanishingFloor) {
      found = this.evidence(r, 'kernel gradient norm', first.layer, first.kernelGrad, s.vanishingFloor);
    } else if (output.kernelGrad > 0 && first.kernelGrad / output.kernelGrad < s.vanishingRatio) {
      found = this.evidence(r, `gradient norm ratio to ${output.layer}`, first.layer, first.kernelGrad / output.kernelGrad, s.vanishingRatio);
    } else if (first.updateRatio < s.updateRatioFloor) {
      found = this.evidence(r, 'update ratio', first.layer, first.updateRatio, s.updateRatioFloor);
    }
    this.vanishingRun = found ? this.vanishingRun + 1 : 0;
    return found && this.vanishingRun >= s.sustain ? { kind: 'vanishing', evidence: found } : undefined;
  }
}

/** A short description of a verdict, for leaderboards: `vanishing: dense_1 |g|=2.1e-9 (1e-7 floor)`. */
export function describeVerdict(v: Verdict | undefined | null): string {
  if (!v) return '-';
  if (v.kind === 'healthy' || !v.evidence) return v.kind;
  const e = v.evidence;
  const num = formatReading;
  const where = `${e.preflight ? 'preflight, ' : ''}epoch ${e.epoch} step ${e.step}`;
  if (e.threshold === null) return `${v.kind}: ${e.layer ? `${e.layer} ` : ''}${e.statistic} ${num(e.value)} at ${where}`;
  const symbol: Record<string, string> = { 'kernel gradient norm': '|g|', 'bias gradient norm': '|g_bias|', 'update ratio': 'lr|g|/|w|' };
  const name = symbol[e.statistic] ?? e.statistic;
  const limit = v.kind === 'vanishing' ? (e.statistic === 'kernel gradient norm' ? 'floor' : 'min') : e.statistic === 'global gradient growth' ? 'max' : 'ceiling';
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
