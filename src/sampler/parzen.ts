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
  /** The observation kernels in ascending order of mu (the prior kernel, last, is not among them). */
  order: Uint32Array;
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
    const order = sortOrder(observed);
    if (n > 0) {
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
    // Stepped parameters repeat the same (centre, width) pairs many times: one mass each.
    const truncation = new Map<number, Map<number, number>>();
    for (let i = 0; i < k; i++) {
      invSigma[i] = 1 / invSigma[i];
      logInvSigma[i] = Math.log(invSigma[i]);
      const a = (lo - mu[i]) * invSigma[i];
      const b = (hi - mu[i]) * invSigma[i];
      // A kernel more than 5.5 widths from both ends loses under 4e-8 of its mass to the
      // truncation: none is taken off (and the costly tails are skipped).
      if (a > -5.5 || b < 5.5) {
        let byWidth = truncation.get(mu[i]);
        if (byWidth === undefined) truncation.set(mu[i], (byWidth = new Map()));
        let mass = byWidth.get(invSigma[i]);
        if (mass === undefined) byWidth.set(invSigma[i], (mass = logNormalMass(a, b)));
        this.constant[i] -= mass;
      }
      if (continuous) this.constant[i] += logInvSigma[i] - LOG_SQRT_2PI;
    }
    return { kind: 'numeric', axis, order, mu, invSigma, logInvSigma };
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
    if (this.dims.length === 1 && this.dims[0].kind === 'categorical') {
      const table = this.categoricalTable(this.dims[0]);
      const out = new Float64Array(points.count);
      for (let j = 0; j < points.count; j++) out[j] = table[points.pos[0][j]];
      return out;
    }
    const pivot = this.kernels < WINDOW_FROM ? -1 : this.narrowestDim();
    return pivot < 0 ? this.logPdfAll(points) : this.logPdfWindowed(points, pivot);
  }

  /**
   * The numeric dim whose widest observation kernel is narrowest against its range (the
   * one that rules out the most kernels), or -1 when no dim is numeric.
   */
  private narrowestDim(): number {
    let best = -1;
    let bestWidth = Infinity;
    this.dims.forEach((dim, d) => {
      if (dim.kind !== 'numeric') return;
      let minInv = Infinity;
      for (let i = 0; i < this.kernels - 1; i++) if (dim.invSigma[i] < minInv) minInv = dim.invSigma[i];
      const width = 1 / (minInv * (dim.axis.hi - dim.axis.lo));
      if (width < bestWidth) [best, bestWidth] = [d, width];
    });
    return best;
  }

  /**
   * The same sum over the kernels near each point along one numeric dim (the pivot)
   * only. Kernels sorted by their centre there are taken outwards from the point until
   * none further out can come within CUT of a term already found: each kernel's term is
   * at most its constant minus half its squared distance along the pivot in its own
   * width, and running maxima of the constants and widths bound a whole tail at once.
   */
  private logPdfWindowed(points: Points, pivot: number): Float64Array {
    const k = this.kernels;
    const n = k - 1;
    const dim = this.dims[pivot] as NumericKernels;
    const { order, mu, invSigma } = dim;
    const sortedMu = new Float64Array(n);
    for (let q = 0; q < n; q++) sortedMu[q] = mu[order[q]];
    // Over each tail of the sorted kernels: the largest constant and the widest kernel.
    const upConst = new Float64Array(n + 1).fill(-Infinity);
    const upInv = new Float64Array(n + 1).fill(Infinity);
    for (let q = n - 1; q >= 0; q--) {
      upConst[q] = Math.max(upConst[q + 1], this.constant[order[q]]);
      upInv[q] = Math.min(upInv[q + 1], invSigma[order[q]]);
    }
    const downConst = new Float64Array(n + 1).fill(-Infinity);
    const downInv = new Float64Array(n + 1).fill(Infinity);
    for (let q = 0; q < n; q++) {
      downConst[q + 1] = Math.max(downConst[q], this.constant[order[q]]);
      downInv[q + 1] = Math.min(downInv[q], invSigma[order[q]]);
    }
    const stepped = dim.axis.count !== null;
    const masses = this.dims.map(() => new Map<number, Float64Array>());
    const out = new Float64Array(points.count);
    const idx = new Uint32Array(k);
    const acc = new Float64Array(k);
    for (let j = 0; j < points.count; j++) {
      // The point's extent along the pivot: a place, or a bucket.
      const left = stepped ? points.left[pivot]![j] : points.pos[pivot][j];
      const right = stepped ? points.right[pivot]![j] : left;
      let p = 0;
      let hi = n;
      while (p < hi) {
        const mid = (p + hi) >> 1;
        if (sortedMu[mid] < left) p = mid + 1;
        else hi = mid;
      }
      // A term found first (the prior and the nearest kernels) sets how far to look.
      let m = 0;
      idx[m++] = n;
      if (p < n) idx[m++] = order[p];
      if (p > 0) idx[m++] = order[p - 1];
      this.terms(points, j, idx, m, acc, masses);
      let best = -Infinity;
      for (let u = 0; u < m; u++) if (acc[u] > best) best = acc[u];
      let qHi = p;
      for (; qHi < n; qHi++) {
        const gap = (sortedMu[qHi] - right) * upInv[qHi];
        if (gap > 0 && upConst[qHi] - 0.5 * gap * gap < best - CUT) break;
      }
      let qLo = p;
      for (; qLo > 0; qLo--) {
        const gap = (left - sortedMu[qLo - 1]) * downInv[qLo];
        if (gap > 0 && downConst[qLo] - 0.5 * gap * gap < best - CUT) break;
      }
      m = 0;
      idx[m++] = n;
      for (let q = qLo; q < qHi; q++) idx[m++] = order[q];
      this.terms(points, j, idx, m, acc, masses);
      out[j] = logSumExpNear(acc, m);
    }
    return out;
  }

  /** Every kernel at every point: for small mixtures, and when no parameter is numeric. */
  private logPdfAll(points: Points): Float64Array {
    const k = this.kernels;
    const idx = new Uint32Array(k);
    for (let i = 0; i < k; i++) idx[i] = i;
    const acc = new Float64Array(k);
    const masses = this.dims.map(() => new Map<number, Float64Array>());
    const out = new Float64Array(points.count);
    for (let j = 0; j < points.count; j++) {
      this.terms(points, j, idx, k, acc, masses);
      out[j] = logSumExpNear(acc, k);
    }
    return out;
  }

  /**
   * acc[u] = the log term of kernel idx[u] at point j, for u < m. Bucket masses are
   * bounded first, then computed exactly (and cached per value) only for the kernels
   * within CUT of the best exact term; the others get -Infinity.
   */
  private terms(points: Points, j: number, idx: Uint32Array, m: number, acc: Float64Array, masses: Map<number, Float64Array>[]): void {
    const prior = this.kernels - 1;
    for (let u = 0; u < m; u++) acc[u] = this.constant[idx[u]];
    let stepped = false;
    for (let d = 0; d < this.dims.length; d++) {
      const dim = this.dims[d];
      const x = points.pos[d][j];
      if (dim.kind === 'categorical') {
        const { observed, logHit, logMiss } = dim;
        const logPrior = -Math.log(dim.size);
        for (let u = 0; u < m; u++) {
          const i = idx[u];
          acc[u] += i === prior ? logPrior : observed[i] === x ? logHit : logMiss;
        }
      } else if (dim.axis.count === null) {
        const { mu, invSigma } = dim;
        for (let u = 0; u < m; u++) {
          const i = idx[u];
          const z = (x - mu[i]) * invSigma[i];
          acc[u] -= 0.5 * z * z;
        }
      } else {
        stepped = true;
        const l = points.left[d]![j];
        const r = points.right[d]![j];
        const logWidth = Math.log(r - l);
        const { mu, invSigma, logInvSigma } = dim;
        for (let u = 0; u < m; u++) {
          const i = idx[u];
          acc[u] += massBound((l - mu[i]) * invSigma[i], (r - mu[i]) * invSigma[i], logWidth + logInvSigma[i]);
        }
      }
    }
    if (!stepped) return;
    // This point's cache of exact masses, per stepped dim.
    const caches: (Float64Array | null)[] = this.dims.map((dim, d) => {
      if (dim.kind !== 'numeric' || dim.axis.count === null) return null;
      const x = points.pos[d][j];
      let cache = masses[d].get(x);
      if (cache === undefined) {
        cache = new Float64Array(this.kernels).fill(NaN);
        masses[d].set(x, cache);
      }
      return cache;
    });
    let top = 0;
    for (let u = 1; u < m; u++) if (acc[u] > acc[top]) top = u;
    const floor = acc[top] + this.massCorrection(idx[top], points, j, caches) - CUT;
    for (let u = 0; u < m; u++) acc[u] = acc[u] >= floor ? acc[u] + this.massCorrection(idx[u], points, j, caches) : -Infinity;
  }

  /** Exact bucket masses minus their bounds, summed over the stepped dims, for kernel i at point j. */
  private massCorrection(i: number, points: Points, j: number, caches: readonly (Float64Array | null)[]): number {
    let c = 0;
    for (let d = 0; d < this.dims.length; d++) {
      const cache = caches[d];
      if (cache === null) continue;
      const dim = this.dims[d] as NumericKernels;
      const l = points.left[d]![j];
      const r = points.right[d]![j];
      const a = (l - dim.mu[i]) * dim.invSigma[i];
      const b = (r - dim.mu[i]) * dim.invSigma[i];
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

/** Mixtures of at least this many kernels are summed over a window of near kernels only. */
const WINDOW_FROM = 64;

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
