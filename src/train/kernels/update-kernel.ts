// One kernel that applies an optimizer's update to every trainable variable of a model:
// L1/L2 penalty gradients, clipping (by global norm or by value), the update rule, and,
// at the gradient monitor's check steps, the statistics it reads — in one pass over the
// weights, where tfjs's optimizers launch 3–12 small kernels per variable. The optimizer's
// slots are updated in place, and so are the weights unless `fresh` asks for new ones
// (the caller makes sure no other tensor shares the memory written in place). The arithmetic follows tfjs-core's optimizers operation for
// operation (src/optimizers/*_optimizer.ts), so results agree within float32 rounding.
import type { KernelMemory, TensorInfo as Info } from './memory.js';
import type { SimdRules } from './simd.js';

export const UPDATE_KERNEL = 'GradtuneApplyUpdates';

export type UpdateRule = 'sgd' | 'momentum' | 'rmsprop' | 'adam' | 'adamax' | 'adagrad';

/** Slots (optimizer state tensors) per variable, in tfjs's getWeights() order. */
export const SLOTS: Record<UpdateRule, number> = { sgd: 0, momentum: 1, rmsprop: 2, adam: 2, adamax: 2, adagrad: 1 };

export interface UpdateAttrs {
  rule: UpdateRule;
  /** Number of variables; inputs are w0..w{n-1}, g0.., then s{k}_{i} for each slot k. */
  n: number;
  learningRate: number;
  /** Rule constants: momentum (momentum), decay/momentum (rmsprop), beta1/beta2 (adam, adamax). */
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Adam: 1 - beta1^t and 1 - beta2^t for this step t, as tfjs computes them in float32. */
  correction1: number;
  correction2: number;
  clipKind: 'none' | 'norm' | 'value';
  clipValue: number;
  /** Per variable L1 and L2 penalty factors (0: none); empty when no variable has one. */
  l1: number[];
  l2: number[];
  /** Whether a `loss` input is given; the first output is then loss + penalties. */
  withLoss: boolean;
  /**
   * Gradient-monitor statistics: when statsWidth > 0 an output of that many floats holds
   * the loss at 0, |g_i|² (after clipping) at gradSlot[i] and |w_i|² (before the update)
   * at weightSlot[i]; -1 leaves a variable out.
   */
  statsWidth: number;
  gradSlot: number[];
  weightSlot: number[];
  /**
   * Write the updated weights to new tensors (outputs after the loss and statistics, one
   * per variable, each followed by a view of it shaped viewShapes[i] when that is not
   * empty) instead of in place; see cachesMatmulOperands.
   */
  fresh: boolean;
  viewShapes: number[][];
}


/** Runs the update; returns the kernel's outputs ([total loss], [statistics]). */
export function applyUpdates(mem: KernelMemory, inputs: Record<string, Info>, a: UpdateAttrs): Info[] {
  const n = a.n;
  const slots = SLOTS[a.rule];
  // Allocate outputs first: on wasm an allocation may grow the heap and detach older views.
  const lossOut = a.withLoss ? mem.output([]) : undefined;
  const statsOut = a.statsWidth > 0 ? mem.output([a.statsWidth]) : undefined;
  const freshOut: Info[] = [];
  if (a.fresh) for (let i = 0; i < n; i++) freshOut.push(mem.output(inputs[`w${i}`].shape));
  // With penalties or clipping, the gradient as applied goes to a scratch tensor first (in
  // the backend's memory, where the SIMD loops read).
  const simd = mem.simd && mem.offset ? mem.simd : undefined;
  const modified = a.l1.length > 0 || a.clipKind !== 'none';
  let longest = 0;
  for (let i = 0; i < n; i++) longest = Math.max(longest, inputs[`w${i}`].shape.reduce((x, y) => x * y, 1));
  const scratchOut = simd && modified ? mem.output([longest]) : undefined;
  const stats = statsOut ? mem.floats(statsOut).fill(0) : undefined;
  const w: Float32Array[] = [];
  const wOut: Float32Array[] = [];
  const g: Float32Array[] = [];
  const s: Float32Array[][] = [];
  for (let i = 0; i < n; i++) {
    w.push(mem.floats(inputs[`w${i}`]));
    wOut.push(a.fresh ? mem.floats(freshOut[i]) : w[i]);
    g.push(mem.floats(inputs[`g${i}`]));
  }
  for (let k = 0; k < slots; k++) {
    const row: Float32Array[] = [];
    for (let i = 0; i < n; i++) row.push(mem.floats(inputs[`s${k}_${i}`]));
    s.push(row);
  }
  const hasPenalty = a.l1.length > 0;
  const l1Of = (i: number) => (hasPenalty ? a.l1[i] : 0);
  const l2Of = (i: number) => (hasPenalty ? a.l2[i] : 0);

  // Pass 1 (only when needed): the penalties' value and the global gradient norm.
  let penalty = 0;
  let scale = 1;
  if (hasPenalty || a.clipKind === 'norm') {
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const wi = w[i];
      const gi = g[i];
      const l1 = l1Of(i);
      const l2 = l2Of(i);
      let absSum = 0;
      let sqSum = 0;
      let gSq = 0;
      for (let j = 0; j < gi.length; j++) {
        const x = wi[j];
        let d = gi[j];
        if (l1 !== 0 || l2 !== 0) {
          // d/dx (l1·|x| + l2·x²), with tfjs's sign convention: step(x, -1) is -1 at 0.
          d += l1 * (2 * +(x > 0) - 1) + 2 * l2 * x;
          absSum += Math.abs(x);
          sqSum += x * x;
        }
        gSq += d * d;
      }
      penalty += l1 * absSum + l2 * sqSum;
      sumSq += gSq;
    }
    // As clipGradients: scale = min(1, value / (‖g‖ + 1e-12)).
    if (a.clipKind === 'norm') scale = Math.min(1, a.clipValue / (Math.sqrt(sumSq) + 1e-12));
  }
  const loss = a.withLoss ? mem.floats(inputs.loss)[0] + penalty : 0;
  if (lossOut) mem.floats(lossOut)[0] = loss;
  if (stats) stats[0] = a.withLoss ? loss : 0;

  // Pass 2: the update, one variable at a time: the gradient as applied (penalties and
  // clipping folded in, into a scratch buffer when there are any), the statistics at a
  // check step, then the rule's loop.
  const clipByValue = a.clipKind === 'value';
  const limit = a.clipValue;
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    const l1 = l1Of(i);
    const l2 = l2Of(i);
    let d = g[i];
    let dInfo = inputs[`g${i}`];
    if (l1 !== 0 || l2 !== 0 || clipByValue || scale !== 1) {
      const into = scratchOut ? mem.floats(scratchOut).subarray(0, d.length) : undefined;
      d = effectiveGradient(d, wi, l1, l2, clipByValue, limit, scale, into);
      if (scratchOut) dInfo = scratchOut;
    }
    if (stats) {
      if (a.gradSlot[i] >= 0) stats[a.gradSlot[i]] = sumOfSquares(d);
      if (a.weightSlot[i] >= 0) stats[a.weightSlot[i]] = sumOfSquares(wi);
    }
    const s0 = slots > 0 ? s[0][i] : wi;
    const s1 = slots > 1 ? s[1][i] : wi;
    let done = 0;
    if (simd) {
      // Four lanes at a time over the backend's memory; the last len % 4 elements below.
      done = wi.length - (wi.length % 4);
      const at = (t: Info | undefined) => (t ? mem.offset!(t) : 0);
      simdRule(simd, a, done * 4, at(a.fresh ? freshOut[i] : inputs[`w${i}`]), at(inputs[`w${i}`]), at(dInfo), at(slots > 0 ? inputs[`s0_${i}`] : undefined), at(slots > 1 ? inputs[`s1_${i}`] : undefined));
    }
    if (done < wi.length) RULES[a.rule](wOut[i].subarray(done), wi.subarray(done), d.subarray(done), s0.subarray(done), s1.subarray(done), a);
  }
  if (scratchOut) mem.release(scratchOut);
  const outputs: Info[] = [];
  if (lossOut) outputs.push(lossOut);
  if (statsOut) outputs.push(statsOut);
  freshOut.forEach((t, i) => {
    outputs.push(t);
    const view = a.viewShapes[i];
    if (view && view.length > 0) outputs.push(mem.share(t, view));
  });
  return outputs;
}

let scratch = new Float32Array(0);

/** g + d/dx (l1·|x| + l2·x²) (tfjs's sign convention: step(x, -1) is -1 at 0), then clipped; into `into` or a scratch array. */
function effectiveGradient(g: Float32Array, w: Float32Array, l1: number, l2: number, byValue: boolean, limit: number, scale: number, into?: Float32Array): Float32Array {
  const len = g.length;
  if (!into && scratch.length < len) scratch = new Float32Array(len);
  const d = into ?? scratch.subarray(0, len);
  const penalised = l1 !== 0 || l2 !== 0;
  for (let j = 0; j < len; j++) {
    const x = w[j];
    // l1·step(x, -1) without a branch on the sign (see lean-kernels.ts: derivativeInto).
    let v = penalised ? g[j] + l1 * (2 * +(x > 0) - 1) + 2 * l2 * x : g[j];
    if (byValue) v = v < -limit ? -limit : v > limit ? limit : v;
    else v *= scale;
    d[j] = v;
  }
  return d;
}

/** The rule's SIMD loop over the first `bytes` bytes of each operand (byte offsets into the backend's memory). */
function simdRule(simd: SimdRules, a: UpdateAttrs, bytes: number, out: number, w: number, g: number, s0: number, s1: number): void {
  if (bytes === 0) return;
  const lr = a.learningRate;
  switch (a.rule) {
    case 'sgd':
      return simd.sgd(out, w, g, bytes, lr);
    case 'momentum':
      return simd.momentum(out, w, g, s0, bytes, lr, a.beta1);
    case 'rmsprop':
      return simd.rmsprop(out, w, g, s0, s1, bytes, lr, a.beta1, 1 - a.beta1, a.beta2, a.epsilon);
    case 'adam':
      return simd.adam(out, w, g, s0, s1, bytes, lr / a.correction1, a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, 1 / Math.sqrt(a.correction2), a.epsilon);
    case 'adamax':
      return simd.adamax(out, w, g, s0, s1, bytes, lr / a.correction1, a.beta1, 1 - a.beta1, a.beta2, a.epsilon);
    case 'adagrad':
      return simd.adagrad(out, w, g, s0, bytes, lr, a.epsilon);
  }
}

function sumOfSquares(x: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < x.length; j++) sum += x[j] * x[j];
  return sum;
}

/** One loop per rule (tfjs-core's optimizers, operation for operation): out ← w - update(g), slots in place. */
type RuleLoop = (out: Float32Array, w: Float32Array, g: Float32Array, s0: Float32Array, s1: Float32Array, a: UpdateAttrs) => void;

const RULES: Record<UpdateRule, RuleLoop> = {
  sgd(out, w, g, _s0, _s1, a) {
    const lr = a.learningRate;
    for (let j = 0; j < w.length; j++) out[j] = w[j] - lr * g[j];
  },
  momentum(out, w, g, acc, _s1, a) {
    const lr = a.learningRate;
    const m = a.beta1;
    for (let j = 0; j < w.length; j++) {
      const next = m * acc[j] + g[j];
      acc[j] = next;
      out[j] = w[j] - lr * next;
    }
  },
  rmsprop(out, w, g, ms, mom, a) {
    // decay in beta1, momentum in beta2: ms = decay·ms + (1-decay)·g²; mom = momentum·mom + lr·g/√(ms+ε).
    const lr = a.learningRate;
    const decay = a.beta1;
    const rest = 1 - decay;
    const momentum = a.beta2;
    const eps = a.epsilon;
    for (let j = 0; j < w.length; j++) {
      const d = g[j];
      const s = ms[j] * decay + d * d * rest;
      const next = mom[j] * momentum + (d * lr) / Math.sqrt(s + eps);
      ms[j] = s;
      mom[j] = next;
      out[j] = w[j] - next;
    }
  },
  adam(out, w, g, m1, m2, a) {
    const lr = a.learningRate;
    const b1 = a.beta1;
    const b2 = a.beta2;
    const r1 = 1 - b1;
    const r2 = 1 - b2;
    // lr·(m/c1)/(√(v/c2) + ε) with the divisions by constants hoisted out of the loop.
    const step = lr / a.correction1;
    const root = 1 / Math.sqrt(a.correction2);
    const eps = a.epsilon;
    for (let j = 0; j < w.length; j++) {
      const d = g[j];
      const m = m1[j] * b1 + d * r1;
      const v = m2[j] * b2 + d * d * r2;
      m1[j] = m;
      m2[j] = v;
      out[j] = w[j] - (step * m) / (Math.sqrt(v) * root + eps);
    }
  },
  adamax(out, w, g, m1, u1, a) {
    const step = a.learningRate / a.correction1;
    const b1 = a.beta1;
    const b2 = a.beta2;
    const r1 = 1 - b1;
    const eps = a.epsilon;
    for (let j = 0; j < w.length; j++) {
      const d = g[j];
      const m = m1[j] * b1 + d * r1;
      const scaled = u1[j] * b2;
      const ad = Math.abs(d);
      const u = scaled > ad ? scaled : ad;
      m1[j] = m;
      u1[j] = u;
      out[j] = w[j] - step * (m / (u + eps));
    }
  },
  adagrad(out, w, g, acc, _s1, a) {
    const lr = a.learningRate;
    const eps = a.epsilon;
    for (let j = 0; j < w.length; j++) {
      const d = g[j];
      const next = acc[j] + d * d;
      acc[j] = next;
      out[j] = w[j] - lr * (d / Math.sqrt(next + eps));
    }
  },
};
