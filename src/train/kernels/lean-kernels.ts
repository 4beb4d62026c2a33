// The element-wise parts of a training step of gradtune's MLP, each one kernel where tfjs's
// Layers path and autodiff launch several: gathering a batch, the loss with its gradient
// and metric, activation derivatives (with the bias gradient and the dropout mask folded
// in), and batch normalisation forward (moving statistics updated in place) and backward. The matrix products stay tfjs's own kernels. Activation derivatives are
// taken from the activation's output, as tfjs's gradients do for sigmoid, tanh and elu.
//
// Layouts: the backward kernels also write the transposes the next matrix products need,
// so that every product runs untransposed (the wasm backend sends transposed products to
// a plain loop many times slower than its XNNPACK path): a layer's gradient dz [b, u] and
// dzᵀ [u, b], and its input's transpose xᵀ [in, b]; they then give dW = xᵀ·dz and the
// incoming gradient of the layer below already transposed, dhᵀ = W·dzᵀ [in, b], which
// that layer's kernel reads as such.
import type { KernelMemory, TensorInfo as Info } from './memory.js';

export type LeanActivation = 'linear' | 'relu' | 'elu' | 'selu' | 'leakyRelu' | 'tanh' | 'sigmoid';

// tfjs-core's SELU constants (ops/selu_util.ts).
const SELU_SCALE = 1.0507009873554805;
const SELU_SCALEALPHA = 1.7580993408473769;


export const GATHER_KERNEL = 'GradtuneGatherRows';
export const LOSS_KERNEL = 'GradtuneLossAndGradient';
export const ACTIVATION_GRAD_KERNEL = 'GradtuneActivationGrad';
export const BATCH_NORM_KERNEL = 'GradtuneBatchNormTrain';
export const BATCH_NORM_GRAD_KERNEL = 'GradtuneBatchNormGrad';

export interface ActivationAttrs {
  activation: LeanActivation;
  /** leakyRelu's slope below zero. */
  alpha: number;
}

/**
 * f'(u) from y = f(u), into `out` (same length as y). Which side of zero a unit is on is
 * taken as 0 or 1 without a branch, +(y > 0): a branch on it mispredicts about every
 * other unit, which made these loops several times slower.
 */
function derivativeInto(out: Float32Array, y: Float32Array, a: ActivationAttrs): void {
  const len = y.length;
  switch (a.activation) {
    case 'linear':
      out.fill(1, 0, len);
      return;
    case 'relu':
      for (let i = 0; i < len; i++) out[i] = +(y[i] > 0);
      return;
    case 'elu':
      // y ≥ 0: 1; below: y + 1.
      for (let i = 0; i < len; i++) {
        const v = y[i];
        out[i] = v + 1 - +(v >= 0) * v;
      }
      return;
    case 'selu':
      // y > 0: scale; below: y + scale·alpha.
      for (let i = 0; i < len; i++) {
        const v = y[i];
        const below = v + SELU_SCALEALPHA;
        out[i] = below + +(v > 0) * (SELU_SCALE - below);
      }
      return;
    case 'leakyRelu': {
      const alpha = a.alpha;
      for (let i = 0; i < len; i++) out[i] = alpha + +(y[i] > 0) * (1 - alpha);
      return;
    }
    case 'tanh':
      for (let i = 0; i < len; i++) out[i] = 1 - y[i] * y[i];
      return;
    case 'sigmoid':
      for (let i = 0; i < len; i++) out[i] = y[i] * (1 - y[i]);
      return;
  }
}

/**
 * du = dy · f'(u) (· the dropout multiplier) for rows × units, written as du [rows, units]
 * and duT [units, rows], with its column sums into `sums` (when given); dy arrives
 * transposed (dyT [units, rows]) and y = f(u) as [rows, units]. One pass over dyT.
 */
function activationGradInto(
  du: Float32Array,
  duT: Float32Array,
  sums: Float32Array | undefined,
  dyT: Float32Array,
  y: Float32Array,
  mask: Float32Array | undefined,
  rows: number,
  units: number,
  a: ActivationAttrs,
): void {
  // f'(y) first (into du), then one pass in dyT's order, in tiles (du is read and written
  // across rows).
  derivativeInto(du, y, a);
  if (sums) sums.fill(0);
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c = 0; c < units; c++) {
      const base = c * rows;
      let sum = 0;
      for (let r = r0; r < r1; r++) {
        const i = r * units + c;
        const v = mask ? dyT[base + r] * mask[i] * du[i] : dyT[base + r] * du[i];
        du[i] = v;
        duT[base + r] = v;
        sum += v;
      }
      if (sums) sums[c] += sum;
    }
  }
}

/** Writes the transpose of a [rows, cols] matrix into `out` ([cols, rows]). */
function transposeInto(out: Float32Array, m: Float32Array, rows: number, cols: number): void {
  // In tiles, so that the strided side stays in cache.
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const base = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = m[base + c];
      }
    }
  }
}

/** Side of the square tiles the transposing loops work in (32 × 32 floats: 4 KB). */
const TILE = 32;

/** Sums a [rows, cols] matrix over its rows into `out` (length cols). */
function columnSums(out: Float32Array, m: Float32Array, rows: number, cols: number): void {
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c] += m[base + c];
  }
}

/**
 * Copies the rows `rows` of x [n, f] and y [n, k] into a batch: x as [1, b, f] (for 3-D
 * matmuls; [b, f] when `flat`), y as [b, k].
 */
function gatherRows(mem: KernelMemory, inputs: Record<string, Info>, attrs: { rows: ArrayLike<number>; flat?: boolean }): Info[] {
  const { x, y } = inputs;
  const rows = attrs.rows;
  const b = rows.length;
  const f = x.shape[1];
  const k = y.shape[1];
  const xb = mem.output(attrs.flat ? [b, f] : [1, b, f]);
  const yb = mem.output([b, k]);
  const xs = mem.floats(x);
  const ys = mem.floats(y);
  const xo = mem.floats(xb);
  const yo = mem.floats(yb);
  for (let r = 0; r < b; r++) {
    const i = rows[r];
    xo.set(xs.subarray(i * f, i * f + f), r * f);
    yo.set(ys.subarray(i * k, i * k + k), r * k);
  }
  return [xb, yb];
}

/**
 * The output layer's backward start: the batch's mean loss, its metric summed over the
 * batch (correct predictions, or absolute error), the loss's gradient with respect to the
 * predictions d [1, b, k] and dᵀ [1, k, b], its sum over the batch (the output bias's
 * gradient), and the layer input's transpose xᵀ [1, in, b]. 'softmax': softmax
 * cross-entropy on logits, as tf.losses.softmaxCrossEntropy; 'mse': mean squared error.
 */
function lossAndGradient(mem: KernelMemory, inputs: Record<string, Info>, attrs: { loss: 'softmax' | 'mse' }): Info[] {
  const { pred, y, input } = inputs;
  const k = y.shape[1];
  const b = y.shape[0];
  const width = input.shape[input.shape.length - 1];
  const lossOut = mem.output([]);
  const metricOut = mem.output([]);
  const grad = mem.output([1, b, k]);
  const gradT = mem.output([1, k, b]);
  const biasGrad = mem.output([k]);
  const inputT = mem.output([1, width, b]);
  const p = mem.floats(pred);
  const t = mem.floats(y);
  const d = mem.floats(grad);
  let loss = 0;
  let metric = 0;
  if (attrs.loss === 'softmax') {
    for (let r = 0; r < b; r++) {
      const base = r * k;
      let max = p[base];
      let argPred = 0;
      let maxLabel = t[base];
      let argLabel = 0;
      for (let c = 1; c < k; c++) {
        if (p[base + c] > max) {
          max = p[base + c];
          argPred = c;
        }
        if (t[base + c] > maxLabel) {
          maxLabel = t[base + c];
          argLabel = c;
        }
      }
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(p[base + c] - max);
      const logSum = Math.log(sum);
      let rowLoss = 0;
      for (let c = 0; c < k; c++) {
        const logProb = p[base + c] - max - logSum;
        rowLoss -= t[base + c] * logProb;
        d[base + c] = (Math.exp(logProb) - t[base + c]) / b;
      }
      loss += rowLoss;
      if (argPred === argLabel) metric++;
    }
    loss /= b;
  } else {
    const size = b * k;
    for (let i = 0; i < size; i++) {
      const e = p[i] - t[i];
      loss += e * e;
      metric += Math.abs(e);
      d[i] = (2 * e) / size;
    }
    loss /= size;
  }
  mem.floats(lossOut)[0] = loss;
  mem.floats(metricOut)[0] = metric;
  columnSums(mem.floats(biasGrad), d, b, k);
  transposeInto(mem.floats(gradT), d, b, k);
  transposeInto(mem.floats(inputT), mem.floats(input), b, width);
  return [lossOut, metricOut, grad, gradT, biasGrad, inputT];
}

/**
 * A hidden layer's backward through its activation: from the incoming gradient dyT
 * [1, u, b], dz = dy · f'(y) (· dropout multiplier) as dz [1, b, u] and dzᵀ [1, u, b], its
 * sum over the batch (the bias gradient), and the layer input's transpose xᵀ [1, in, b].
 */
function activationGrad(mem: KernelMemory, inputs: Record<string, Info>, attrs: ActivationAttrs): Info[] {
  const { dyT, y, mask, input } = inputs;
  const units = y.shape[y.shape.length - 1];
  const b = y.shape[y.shape.length - 2];
  const width = input.shape[input.shape.length - 1];
  const dz = mem.output([1, b, units]);
  const dzT = mem.output([1, units, b]);
  const db = mem.output([units]);
  const inputT = mem.output([1, width, b]);
  activationGradInto(mem.floats(dz), mem.floats(dzT), mem.floats(db), mem.floats(dyT), mem.floats(y), mask ? mem.floats(mask) : undefined, b, units, attrs);
  transposeInto(mem.floats(inputT), mem.floats(input), b, width);
  return [dz, dzT, db, inputT];
}

export interface BatchNormAttrs {
  epsilon: number;
  momentum: number;
}

/**
 * Batch normalisation in training: the batch's mean and (biased) variance per unit,
 * x̂ = (z - mean)/√(var + ε), u = γ·x̂ + β; the moving mean and variance move toward the
 * batch's (m ← m - (m - batch)·(1 - momentum)) in place, as tfjs-layers'
 * BatchNormalization does. Outputs u, x̂ and 1/√(var + ε) for the backward pass. (The
 * activation that follows is tfjs's kernel: the backends' exp and tanh are faster than
 * JavaScript's.)
 */
function batchNormTrain(mem: KernelMemory, inputs: Record<string, Info>, attrs: BatchNormAttrs): Info[] {
  const { z, gamma, beta, movingMean, movingVariance } = inputs;
  const units = z.shape[z.shape.length - 1];
  const b = z.shape.length === 3 ? z.shape[1] : z.shape[0];
  const yOut = mem.output(z.shape);
  const xhatOut = mem.output([b, units]);
  const invStdOut = mem.output([units]);
  const zs = mem.floats(z);
  const g = mem.floats(gamma);
  const be = mem.floats(beta);
  const mm = mem.floats(movingMean);
  const mv = mem.floats(movingVariance);
  const y = mem.floats(yOut);
  const xhat = mem.floats(xhatOut);
  const invStd = mem.floats(invStdOut);
  const mean = new Float64Array(units);
  const variance = new Float64Array(units);
  for (let r = 0; r < b; r++) for (let c = 0; c < units; c++) mean[c] += zs[r * units + c];
  for (let c = 0; c < units; c++) mean[c] /= b;
  for (let r = 0; r < b; r++) {
    for (let c = 0; c < units; c++) {
      const e = zs[r * units + c] - mean[c];
      variance[c] += e * e;
    }
  }
  const decay = 1 - attrs.momentum;
  for (let c = 0; c < units; c++) {
    variance[c] /= b;
    invStd[c] = 1 / Math.sqrt(variance[c] + attrs.epsilon);
    mm[c] = mm[c] - (mm[c] - mean[c]) * decay;
    mv[c] = mv[c] - (mv[c] - variance[c]) * decay;
  }
  for (let r = 0; r < b; r++) {
    for (let c = 0; c < units; c++) {
      const i = r * units + c;
      const xh = (zs[i] - mean[c]) * invStd[c];
      xhat[i] = xh;
      y[i] = g[c] * xh + be[c];
    }
  }
  return [yOut, xhatOut, invStdOut];
}

/**
 * Backward through the activation and batch normalisation, from the incoming gradient dyT
 * [1, u, b]: du = dy·f'(y) (· dropout multiplier), dβ = Σ du, dγ = Σ du·x̂,
 * dz = γ/√(var+ε)/N · (N·du - dβ - x̂·dγ) as dz and dzᵀ, and the layer input's transpose.
 */
function batchNormGrad(mem: KernelMemory, inputs: Record<string, Info>, attrs: ActivationAttrs): Info[] {
  const { dyT, y, xhat, invStd, gamma, mask, input } = inputs;
  const units = gamma.shape[0];
  const b = y.shape[y.shape.length - 2];
  const width = input.shape[input.shape.length - 1];
  const dzOut = mem.output([1, b, units]);
  const dzTOut = mem.output([1, units, b]);
  const dgOut = mem.output([units]);
  const dbOut = mem.output([units]);
  const inputT = mem.output([1, width, b]);
  const dz = mem.floats(dzOut);
  const dzT = mem.floats(dzTOut);
  const dg = mem.floats(dgOut);
  const dbeta = mem.floats(dbOut);
  const xh = mem.floats(xhat);
  const is = mem.floats(invStd);
  const g = mem.floats(gamma);
  const dyTs = mem.floats(dyT);
  const m = mask ? mem.floats(mask) : undefined;
  // du = dy·f'(y)(·mask) into dz, column by column (dyT's order), with dβ = Σ du and dγ = Σ du·x̂.
  derivativeInto(dz, mem.floats(y), attrs);
  const n = b;
  for (let c = 0; c < units; c++) {
    const base = c * n;
    let sumDu = 0;
    let sumDuX = 0;
    for (let r = 0; r < n; r++) {
      const i = r * units + c;
      const du = m ? dyTs[base + r] * m[i] * dz[i] : dyTs[base + r] * dz[i];
      dz[i] = du;
      sumDu += du;
      sumDuX += du * xh[i];
    }
    dbeta[c] = sumDu;
    dg[c] = sumDuX;
  }
  // dz = γ/√(var+ε)/N · (N·du - dβ - x̂·dγ), written row-major and transposed.
  for (let c = 0; c < units; c++) {
    const k = (g[c] * is[c]) / n;
    const base = c * n;
    const db = dbeta[c];
    const dgc = dg[c];
    for (let r = 0; r < n; r++) {
      const i = r * units + c;
      const v = k * (n * dz[i] - db - xh[i] * dgc);
      dz[i] = v;
      dzT[base + r] = v;
    }
  }
  transposeInto(mem.floats(inputT), mem.floats(input), b, width);
  return [dzOut, dzTOut, dgOut, dbOut, inputT];
}

type Body = (mem: KernelMemory, inputs: Record<string, Info>, attrs: never) => Info | Info[];

export const LEAN_KERNELS: Record<string, Body> = {
  [GATHER_KERNEL]: gatherRows as Body,
  [LOSS_KERNEL]: lossAndGradient as Body,
  [ACTIVATION_GRAD_KERNEL]: activationGrad as Body,
  [BATCH_NORM_KERNEL]: batchNormTrain as Body,
  [BATCH_NORM_GRAD_KERNEL]: batchNormGrad as Body,
};
