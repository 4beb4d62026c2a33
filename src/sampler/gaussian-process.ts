// A Gaussian process regressor as Keras Tuner's BayesianOptimization configures
// scikit-learn's (keras_tuner/tuners/bayesian.py): a Matérn kernel with nu = 5/2 and one
// length scale shared by every input dimension, `alpha` added to the diagonal (the
// observations' noise), targets normalised to mean 0 and standard deviation 1
// (normalize_y=True), and the length scale chosen by maximising the log marginal
// likelihood. scikit-learn runs L-BFGS from 21 starting points for that one number; here
// a log-spaced grid finds its basin and a golden-section search refines it.

const SQRT5 = Math.sqrt(5);

/** The Matérn 5/2 correlation at distance r (in length scales). */
function matern52(r: number): number {
  const s = SQRT5 * r;
  return (1 + s + (s * s) / 3) * Math.exp(-s);
}

/** Length scales searched (inputs live in the unit cube). */
const LOG_SCALE_MIN = Math.log(1e-2);
const LOG_SCALE_MAX = Math.log(1e2);
const GRID_POINTS = 11;
const GOLDEN_STEPS = 10;

export interface Prediction {
  /** Mean and standard deviation, in normalised units (see `normalise`). */
  mean: number;
  std: number;
}

export class GaussianProcess {
  private constructor(
    private readonly x: Float64Array,
    private readonly n: number,
    private readonly width: number,
    readonly lengthScale: number,
    /** Lower Cholesky factor of K + alpha·I, row-major n×n. */
    private readonly chol: Float64Array,
    /** (K + alpha·I)^-1 y. */
    private readonly weights: Float64Array,
  ) {}

  /**
   * Fits the length scale by maximum marginal likelihood, then the model.
   * @param x n rows of `width` inputs in [0, 1], row-major
   * @param y n targets, already normalised
   */
  static fit(x: Float64Array, y: Float64Array, width: number, alpha: number): GaussianProcess {
    const n = y.length;
    const d2 = squaredDistances(x, n, width);
    const evaluate = (logScale: number) => logMarginalLikelihood(d2, y, n, Math.exp(logScale), alpha);
    // Grid, then golden-section search between the best grid point's neighbours.
    const step = (LOG_SCALE_MAX - LOG_SCALE_MIN) / (GRID_POINTS - 1);
    let bestAt = LOG_SCALE_MIN;
    let best = -Infinity;
    for (let i = 0; i < GRID_POINTS; i++) {
      const at = LOG_SCALE_MIN + i * step;
      const v = evaluate(at);
      if (v > best) [best, bestAt] = [v, at];
    }
    let lo = Math.max(LOG_SCALE_MIN, bestAt - step);
    let hi = Math.min(LOG_SCALE_MAX, bestAt + step);
    const ratio = (Math.sqrt(5) - 1) / 2;
    let c = hi - ratio * (hi - lo);
    let e = lo + ratio * (hi - lo);
    let fc = evaluate(c);
    let fe = evaluate(e);
    for (let i = 0; i < GOLDEN_STEPS; i++) {
      if (fc > fe) {
        hi = e;
        e = c;
        fe = fc;
        c = hi - ratio * (hi - lo);
        fc = evaluate(c);
      } else {
        lo = c;
        c = e;
        fc = fe;
        e = lo + ratio * (hi - lo);
        fe = evaluate(e);
      }
    }
    const candidates: [number, number][] = [[best, bestAt], [fc, c], [fe, e]];
    const [, logScale] = candidates.reduce((a, b) => (b[0] > a[0] ? b : a));
    return GaussianProcess.withLengthScale(x, y, width, alpha, Math.exp(logScale), d2);
  }

  /** The model for a given length scale (no fitting). */
  static withLengthScale(x: Float64Array, y: Float64Array, width: number, alpha: number, lengthScale: number, d2?: Float64Array): GaussianProcess {
    const n = y.length;
    const chol = kernelMatrix(d2 ?? squaredDistances(x, n, width), n, lengthScale, alpha);
    if (!cholesky(chol, n)) throw new Error('the kernel matrix is not positive definite');
    const weights = Float64Array.from(y);
    solveLower(chol, n, weights);
    solveUpper(chol, n, weights);
    return new GaussianProcess(x, n, width, lengthScale, chol, weights);
  }

  /** Prediction at one input (`at`: `width` values from `offset`); `scratch` holds n numbers. */
  predict(at: Float64Array, offset: number, scratch: Float64Array): Prediction {
    const { n, width, x, lengthScale } = this;
    const kStar = scratch;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let c = 0; c < width; c++) {
        const diff = x[i * width + c] - at[offset + c];
        d += diff * diff;
      }
      kStar[i] = matern52(Math.sqrt(d) / lengthScale);
      mean += kStar[i] * this.weights[i];
    }
    solveLower(this.chol, n, kStar);
    let explained = 0;
    for (let i = 0; i < n; i++) explained += kStar[i] * kStar[i];
    return { mean, std: Math.sqrt(Math.max(0, 1 - explained)) };
  }
}

/** Targets shifted and scaled to mean 0, standard deviation 1 (1 when they are all equal). */
export function normalise(y: Float64Array): { y: Float64Array; mean: number; std: number } {
  const n = y.length;
  let mean = 0;
  for (const v of y) mean += v / n;
  let variance = 0;
  for (const v of y) variance += ((v - mean) * (v - mean)) / n;
  const std = variance > 0 ? Math.sqrt(variance) : 1;
  return { y: y.map((v) => (v - mean) / std), mean, std };
}

function squaredDistances(x: Float64Array, n: number, width: number): Float64Array {
  const d2 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let d = 0;
      for (let c = 0; c < width; c++) {
        const diff = x[i * width + c] - x[j * width + c];
        d += diff * diff;
      }
      d2[i * n + j] = d;
    }
  }
  return d2;
}

/** The lower triangle of K + alpha·I (the upper is never read). */
function kernelMatrix(d2: Float64Array, n: number, lengthScale: number, alpha: number): Float64Array {
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) k[i * n + j] = matern52(Math.sqrt(d2[i * n + j]) / lengthScale);
    k[i * n + i] = 1 + alpha;
  }
  return k;
}

/** In place: the lower triangle of `a` becomes L with L·Lᵀ = a. False when a is not positive definite. */
function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let diag = a[j * n + j];
    for (let k = 0; k < j; k++) diag -= a[j * n + k] * a[j * n + k];
    if (!(diag > 0)) return false;
    const l = Math.sqrt(diag);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
  }
  return true;
}

/** In place: b ← L⁻¹ b. */
function solveLower(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/** In place: b ← L⁻ᵀ b. */
function solveUpper(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/** log p(y | X, length scale): -½ yᵀK⁻¹y - Σ log L_ii - n/2 log 2π; -Infinity when K is singular. */
function logMarginalLikelihood(d2: Float64Array, y: Float64Array, n: number, lengthScale: number, alpha: number): number {
  const l = kernelMatrix(d2, n, lengthScale, alpha);
  if (!cholesky(l, n)) return -Infinity;
  const v = Float64Array.from(y);
  solveLower(l, n, v);
  let fit = 0;
  let logDet = 0;
  for (let i = 0; i < n; i++) {
    fit += v[i] * v[i];
    logDet += Math.log(l[i * n + i]);
  }
  return -0.5 * fit - logDet - 0.5 * n * Math.log(2 * Math.PI);
}
