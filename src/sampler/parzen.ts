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
import { LOG_SQRT_2PI, logNormalMass, truncatedStandardNormal } from './normal.js';

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

/** Points with the given values (numeric: valid values; categorical: indexes), one column per dim. */
export function pointsOf(dims: readonly Dim[], values: Float64Array[]): Points {
  const count = values.length > 0 ? values[0].length : 0;
  const points: Points = { count, value: values, pos: [], left: [], right: [] };
  dims.forEach((dim, d) => {
    const stepped = dim.kind === 'numeric' && dim.axis.count !== null;
    const left = stepped ? new Float64Array(count) : null;
    const right = stepped ? new Float64Array(count) : null;
    let pos = values[d];
    if (dim.kind === 'numeric') {
      const { axis } = dim;
      if (stepped) {
        for (let j = 0; j < count; j++) [left![j], right![j]] = axis.bucket(values[d][j]);
      } else {
        pos = new Float64Array(count);
        for (let j = 0; j < count; j++) pos[j] = axis.position(values[d][j])!;
      }
    }
    points.pos.push(pos);
    points.left.push(left);
    points.right.push(right);
  });
  return points;
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
  /** 1 / sigma and log(1 / sigma), per kernel (sigma itself is never needed). */
  invSigma: Float64Array;
  logInvSigma: Float64Array;
}

interface CategoricalKernels {
  kind: 'categorical';
  size: number;
  /** The observed index per observation kernel (the prior kernel has none). */
  observed: Int32Array;
  /** log probability of the observed value and of any other value, for observation kernels. */
  logHit: number;
  logMiss: number;
  /** Chance that a draw from an observation kernel takes the observed value outright (else any value, uniformly). */
  hit: number;
}

export class ParzenEstimator {
  /** Kernels: one per observation, then the prior. */
  readonly kernels: number;
  /** Kernel weights, normalised, and their running sums (for picking a kernel). */
  private readonly weights: Float64Array;
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
    for (let i = 0; i < k; i++) total += weights[i];
    this.cumulative = new Float64Array(k);
    this.constant = new Float64Array(k);
    let running = 0;
    for (let i = 0; i < k; i++) {
      weights[i] /= total;
      running += weights[i];
      this.cumulative[i] = running;
      this.constant[i] = Math.log(weights[i]);
    }
    this.cumulative[k - 1] = 1;
    this.weights = weights;
    this.dims = dims.map((dim, d) => (dim.kind === 'numeric' ? this.numeric(dim.axis, columns[d], n) : categorical(dim.size, columns[d], n, priorWeight)));
  }

  private numeric(axis: NumericAxis, observed: Float64Array, n: number): NumericKernels {
    const k = n + 1;
    const { lo, hi } = axis;
    const range = hi - lo;
    const mu = new Float64Array(k);
    mu.set(observed);
    mu[n] = 0.5 * (lo + hi);
    // Widths first (kept in invSigma until inverted below).
    const invSigma = new Float64Array(k);
    if (n > 0) {
      const order = sortOrder(observed);
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
        invSigma[order[i]] = Math.min(range, Math.max(minSigma, s));
      }
    }
    invSigma[n] = range;
    const logInvSigma = new Float64Array(k);
    const continuous = axis.count === null;
    for (let i = 0; i < k; i++) {
      invSigma[i] = 1 / invSigma[i];
      logInvSigma[i] = Math.log(invSigma[i]);
      const a = (lo - mu[i]) * invSigma[i];
      const b = (hi - mu[i]) * invSigma[i];
      // A kernel far from both ends loses no mass to the truncation (skips the costly tails).
      if (a > -8.3 || b < 8.3) this.constant[i] -= logNormalMass(a, b);
      if (continuous) this.constant[i] += logInvSigma[i] - LOG_SQRT_2PI;
    }
    return { kind: 'numeric', axis, mu, invSigma, logInvSigma };
  }

  /** `count` points drawn from the mixture. */
  sample(rng: () => number, count: number): Points {
    const values = this.dims.map(() => new Float64Array(count));
    const prior = this.kernels - 1;
    for (let j = 0; j < count; j++) {
      const kernel = this.pick(rng());
      for (let d = 0; d < this.dims.length; d++) {
        const dim = this.dims[d];
        if (dim.kind === 'categorical') {
          const u = rng();
          values[d][j] = kernel !== prior && u < dim.hit ? dim.observed[kernel] : Math.min(dim.size - 1, Math.floor(rng() * dim.size));
          continue;
        }
        const mu = dim.mu[kernel];
        const inv = dim.invSigma[kernel];
        const z = truncatedStandardNormal(rng, (dim.axis.lo - mu) * inv, (dim.axis.hi - mu) * inv);
        values[d][j] = dim.axis.valueAt(mu + z / inv);
      }
    }
    return pointsOf(this.dims, values);
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

  /**
   * log density (stepped values: log mass) of each point under the mixture.
   *
   * Exact up to a relative 1e-7: a kernel whose log term lies more than CUT below the
   * largest is left out of the sum. That is what keeps it fast: with hundreds of
   * kernels, most are far from a point, and their bucket masses (the costly part) are
   * bounded cheaply first and computed only for kernels that can matter.
   */
  logPdf(points: Points): Float64Array {
    const k = this.kernels;
    const out = new Float64Array(points.count);
    if (this.dims.length === 1 && this.dims[0].kind === 'categorical') {
      const table = this.categoricalTable(this.dims[0]);
      for (let j = 0; j < points.count; j++) out[j] = table[points.pos[0][j]];
      return out;
    }
    const acc = new Float64Array(k);
    const stepped: number[] = [];
    for (let d = 0; d < this.dims.length; d++) {
      const dim = this.dims[d];
      if (dim.kind === 'numeric' && dim.axis.count !== null) stepped.push(d);
    }
    // Exact bucket masses, per stepped dim and drawn value, filled in as kernels need them.
    const masses = stepped.map(() => new Map<number, Float64Array>());
    const caches: Float64Array[] = new Array(stepped.length);
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
          // An upper bound now; the exact mass below, for the kernels that can matter.
          const l = points.left[d]![j];
          const r = points.right[d]![j];
          const logWidth = Math.log(r - l);
          const { mu, invSigma, logInvSigma } = dim;
          for (let i = 0; i < k; i++) acc[i] += massBound((l - mu[i]) * invSigma[i], (r - mu[i]) * invSigma[i], logWidth + logInvSigma[i]);
        }
      }
      if (stepped.length > 0) {
        for (let s = 0; s < stepped.length; s++) {
          const x = points.pos[stepped[s]][j];
          let cache = masses[s].get(x);
          if (cache === undefined) {
            cache = new Float64Array(k).fill(NaN);
            masses[s].set(x, cache);
          }
          caches[s] = cache;
        }
        // Bounds replaced by exact masses for the kernels within CUT of the best exact
        // value; the others are dropped (-Infinity).
        let top = 0;
        for (let i = 1; i < k; i++) if (acc[i] > acc[top]) top = i;
        const floor = acc[top] + this.massCorrection(top, points, j, stepped, caches) - CUT;
        for (let i = 0; i < k; i++) acc[i] = acc[i] >= floor ? acc[i] + this.massCorrection(i, points, j, stepped, caches) : -Infinity;
      }
      out[j] = logSumExpNear(acc, k);
    }
    return out;
  }

  /** Exact bucket masses minus their bounds, summed over the stepped dims, for kernel i and point j. */
  private massCorrection(i: number, points: Points, j: number, stepped: readonly number[], caches: readonly Float64Array[]): number {
    let c = 0;
    for (let s = 0; s < stepped.length; s++) {
      const d = stepped[s];
      const dim = this.dims[d] as NumericKernels;
      const l = points.left[d]![j];
      const r = points.right[d]![j];
      const a = (l - dim.mu[i]) * dim.invSigma[i];
      const b = (r - dim.mu[i]) * dim.invSigma[i];
      const cache = caches[s];
      let exact = cache[i];
      if (exact !== exact) exact = cache[i] = logNormalMass(a, b); // NaN: not computed yet
      c += exact - massBound(a, b, Math.log(r - l) + dim.logInvSigma[i]);
    }
    return c;
  }

  /** log p(value) of a lone categorical parameter: the mixture summed per value once, not per point. */
  private categoricalTable(dim: CategoricalKernels): Float64Array {
    const prior = this.kernels - 1;
    const byValue = new Float64Array(dim.size);
    let observedWeight = 0;
    for (let i = 0; i < prior; i++) {
      byValue[dim.observed[i]] += this.weights[i];
      observedWeight += this.weights[i];
    }
    const hit = Math.exp(dim.logHit);
    const miss = Math.exp(dim.logMiss);
    const priorShare = this.weights[prior] / dim.size;
    return byValue.map((w) => Math.log(miss * (observedWeight - w) + hit * w + priorShare));
  }
}

/**
 * Kernels whose log term is more than this below the largest are left out of a sum: each
 * would add at most e^-25 = 1.4e-11 of the largest term, 1.4e-7 for 10,000 kernels, far
 * below what could reorder TPE's candidates.
 */
const CUT = 25;

/**
 * An upper bound of log(Φ(b) - Φ(a)) from the density at the interval's point nearest
 * the centre times its width (logWidth = log(b - a)), and 1: cheap, and tight far out.
 */
function massBound(a: number, b: number, logWidth: number): number {
  const near = a > 0 ? a : b < 0 ? -b : 0;
  return Math.min(0, logWidth - LOG_SQRT_2PI - 0.5 * near * near);
}

/** log Σ exp(values), leaving out the terms more than CUT below the largest. */
function logSumExpNear(values: Float64Array, length: number): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) if (values[i] > max) max = values[i];
  if (max === -Infinity) return -Infinity;
  const floor = max - CUT;
  let sum = 0;
  for (let i = 0; i < length; i++) if (values[i] > floor) sum += Math.exp(values[i] - max);
  return max + Math.log(sum);
}

/**
 * The indexes of `values` in ascending order of value, equal values in index order (a
 * stable argsort). A numeric sort of a copy then a binary search per value: several
 * times faster than sorting indexes with a comparator.
 */
export function sortOrder(values: Float64Array): Uint32Array {
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  const order = new Uint32Array(n);
  // Per run of equal values (known by its first place), how many of its places are filled.
  const filled = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    order[lo + filled[lo]++] = i;
  }
  return order;
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
