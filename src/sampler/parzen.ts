// The Parzen estimator of TPE, as Optuna builds it (optuna/samplers/_tpe/parzen_estimator.py,
// Optuna 4/5 defaults): a mixture with one kernel per observation plus one prior kernel,
// each kernel a product over the modelled parameters.
//
// - Numeric parameters live on their axis (log-scale ones in log space; stepped ones as
//   buckets, see axis.ts). A kernel is a normal truncated to the axis, centred on the
//   observation; its width is the larger distance to its sorted neighbours (the axis ends
//   count as neighbours, except for the outermost observations: consider_endpoints off),
//   clipped to [range / min(100, 1 + kernels), range] (the "magic clip"). The prior
//   kernel sits mid-axis with the whole range as its width.
// - Categorical parameters (choices by index, booleans) get, per observation, the
//   observed value's count plus prior_weight / kernels on every value, normalised; the
//   prior kernel is uniform.
// - Kernel weights: 1 each up to 25 observations; beyond, the 25 most recent keep 1 and
//   older ones ramp down linearly (Optuna's default_weights), and the prior kernel weighs
//   prior_weight; all normalised.
//
// Sampling picks a kernel by weight and draws each parameter from it; the density of a
// stepped value is its bucket's mass. Densities are compared only as l(x) / g(x) between
// two estimators over the same axes, so a log-scale parameter's density is taken in log
// space (the Jacobian cancels).
import type { NumericAxis } from './axis.js';
import { LOG_SQRT_2PI, logNormalMass, logSumExp, truncatedStandardNormal } from './normal.js';

/** One modelled parameter: a numeric axis, or a categorical with `size` values (indexes). */
export type Dim = { kind: 'numeric'; axis: NumericAxis } | { kind: 'categorical'; size: number };

/**
 * Drawn points, column by column. Per dim, `value` holds the parameter's value (numeric)
 * or value index (categorical); `pos` what the densities read: the place on the axis of a
 * continuous value, else the same as `value`. Stepped dims also keep their bucket edges.
 */
export interface Points {
  count: number;
  value: Float64Array[];
  pos: Float64Array[];
  left: (Float64Array | null)[];
  right: (Float64Array | null)[];
}

/** Optuna's default_weights: older observations (listed first) fade out past 25. */
export function observationWeights(n: number): Float64Array {
  const w = new Float64Array(n).fill(1);
  if (n >= 25) {
    const ramp = n - 25;
    // np.linspace(1 / n, 1, num=ramp)
    for (let i = 0; i < ramp; i++) w[i] = ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1);
  }
  return w;
}

interface NumericKernels {
  kind: 'numeric';
  axis: NumericAxis;
  mu: Float64Array;
  sigma: Float64Array;
  invSigma: Float64Array;
  /** (lo - mu) / sigma and (hi - mu) / sigma: the truncation, in kernel units. */
  a: Float64Array;
  b: Float64Array;
}

interface CategoricalKernels {
  kind: 'categorical';
  size: number;
  /** The observed index per observation kernel (the prior kernel has none). */
  observed: Int32Array;
  /** log probability of the observed value and of any other value, for observation kernels. */
  logHit: number;
  logMiss: number;
  /** Probability of the observed value in one draw from an observation kernel. */
  hit: number;
}

export class ParzenEstimator {
  /** Kernels: one per observation, then the prior. */
  readonly kernels: number;
  private readonly logWeights: Float64Array;
  private readonly cumulative: Float64Array;
  /** Per kernel: the parts of its log density that do not depend on the point. */
  private readonly constant: Float64Array;
  private readonly dims: (NumericKernels | CategoricalKernels)[];

  /**
   * @param dims the modelled parameters
   * @param columns per dim, the observations' places (numeric) or indexes (categorical), oldest first
   */
  constructor(dims: readonly Dim[], columns: readonly Float64Array[], priorWeight: number) {
    const n = columns.length > 0 ? columns[0].length : 0;
    const k = n + 1;
    this.kernels = k;
    const weights = new Float64Array(k);
    weights.set(observationWeights(n));
    weights[n] = n === 0 ? 1 : priorWeight;
    let total = 0;
    for (const w of weights) total += w;
    this.logWeights = new Float64Array(k);
    this.cumulative = new Float64Array(k);
    let running = 0;
    for (let i = 0; i < k; i++) {
      this.logWeights[i] = Math.log(weights[i] / total);
      running += weights[i] / total;
      this.cumulative[i] = running;
    }
    this.cumulative[k - 1] = 1;
    this.constant = Float64Array.from(this.logWeights);
    this.dims = dims.map((dim, d) => (dim.kind === 'numeric' ? this.numeric(dim.axis, columns[d], n, priorWeight) : categorical(dim.size, columns[d], n, priorWeight)));
  }

  private numeric(axis: NumericAxis, observed: Float64Array, n: number, _priorWeight: number): NumericKernels {
    const k = n + 1;
    const { lo, hi } = axis;
    const range = hi - lo;
    const mu = new Float64Array(k);
    mu.set(observed);
    mu[n] = 0.5 * (lo + hi);
    const sigma = new Float64Array(k);
    if (n > 0) {
      const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => observed[x] - observed[y]);
      const sorted = new Float64Array(n + 2);
      sorted[0] = lo;
      for (let i = 0; i < n; i++) sorted[i + 1] = observed[order[i]];
      sorted[n + 1] = hi;
      const minSigma = range / Math.min(100, 1 + k);
      for (let i = 0; i < n; i++) {
        let s = Math.max(sorted[i + 1] - sorted[i], sorted[i + 2] - sorted[i + 1]);
        // consider_endpoints=False: the outermost observations look only inwards.
        if (n >= 2 && i === 0) s = sorted[2] - sorted[1];
        if (n >= 2 && i === n - 1) s = sorted[n] - sorted[n - 1];
        sigma[order[i]] = Math.min(range, Math.max(minSigma, s));
      }
    }
    sigma[n] = range;
    const invSigma = new Float64Array(k);
    const a = new Float64Array(k);
    const b = new Float64Array(k);
    const continuous = axis.count === null;
    for (let i = 0; i < k; i++) {
      invSigma[i] = 1 / sigma[i];
      a[i] = (lo - mu[i]) * invSigma[i];
      b[i] = (hi - mu[i]) * invSigma[i];
      this.constant[i] -= logNormalMass(a[i], b[i]);
      if (continuous) this.constant[i] -= Math.log(sigma[i]) + LOG_SQRT_2PI;
    }
    return { kind: 'numeric', axis, mu, sigma, invSigma, a, b };
  }

  /** `count` points drawn from the mixture. */
  sample(rng: () => number, count: number): Points {
    const points: Points = {
      count,
      value: this.dims.map(() => new Float64Array(count)),
      pos: this.dims.map(() => new Float64Array(count)),
      left: this.dims.map((d) => (d.kind === 'numeric' && d.axis.count !== null ? new Float64Array(count) : null)),
      right: this.dims.map((d) => (d.kind === 'numeric' && d.axis.count !== null ? new Float64Array(count) : null)),
    };
    const prior = this.kernels - 1;
    for (let j = 0; j < count; j++) {
      const kernel = this.pick(rng());
      for (let d = 0; d < this.dims.length; d++) {
        const dim = this.dims[d];
        if (dim.kind === 'categorical') {
          const u = rng();
          const index = kernel !== prior && u < dim.hit ? dim.observed[kernel] : Math.min(dim.size - 1, Math.floor(rng() * dim.size));
          points.value[d][j] = index;
          points.pos[d][j] = index;
          continue;
        }
        const z = truncatedStandardNormal(rng, dim.a[kernel], dim.b[kernel]);
        const value = dim.axis.valueAt(dim.mu[kernel] + dim.sigma[kernel] * z);
        points.value[d][j] = value;
        if (dim.axis.count === null) {
          points.pos[d][j] = dim.axis.position(value)!;
        } else {
          const [l, r] = dim.axis.bucket(value);
          points.pos[d][j] = value;
          points.left[d]![j] = l;
          points.right[d]![j] = r;
        }
      }
    }
    return points;
  }

  /** The kernel whose cumulative weight first exceeds u (binary search). */
  private pick(u: number): number {
    let lo = 0;
    let hi = this.kernels - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** log density (stepped values: log mass) of each point under the mixture. */
  logPdf(points: Points): Float64Array {
    const k = this.kernels;
    const out = new Float64Array(points.count);
    const acc = new Float64Array(k);
    // A stepped value drawn twice reuses its bucket's masses (few values, many draws).
    const massCache = this.dims.map(() => new Map<number, Float64Array>());
    for (let j = 0; j < points.count; j++) {
      acc.set(this.constant);
      for (let d = 0; d < this.dims.length; d++) {
        const dim = this.dims[d];
        const x = points.pos[d][j];
        if (dim.kind === 'categorical') {
          const prior = k - 1;
          const { observed, logHit, logMiss } = dim;
          for (let i = 0; i < prior; i++) acc[i] += observed[i] === x ? logHit : logMiss;
          acc[prior] -= Math.log(dim.size);
        } else if (dim.axis.count === null) {
          const { mu, invSigma } = dim;
          for (let i = 0; i < k; i++) {
            const z = (x - mu[i]) * invSigma[i];
            acc[i] -= 0.5 * z * z;
          }
        } else {
          let masses = massCache[d].get(x);
          if (masses === undefined) {
            masses = new Float64Array(k);
            const l = points.left[d]![j];
            const r = points.right[d]![j];
            const { mu, invSigma } = dim;
            for (let i = 0; i < k; i++) masses[i] = logNormalMass((l - mu[i]) * invSigma[i], (r - mu[i]) * invSigma[i]);
            massCache[d].set(x, masses);
          }
          for (let i = 0; i < k; i++) acc[i] += masses[i];
        }
      }
      out[j] = logSumExp(acc, k);
    }
    return out;
  }
}

function categorical(size: number, observed: Float64Array, n: number, priorWeight: number): CategoricalKernels {
  const k = n + 1;
  const smoothing = priorWeight / k;
  const rowSum = 1 + smoothing * size;
  return {
    kind: 'categorical',
    size,
    observed: Int32Array.from(observed),
    logHit: Math.log((1 + smoothing) / rowSum),
    logMiss: Math.log(smoothing / rowSum),
    hit: 1 / rowSum,
  };
}
