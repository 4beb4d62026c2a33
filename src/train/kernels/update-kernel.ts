// One kernel that applies an optimizer's update to every trainable variable of a model:
// L1/L2 penalty gradients, clipping (by global norm or by value), the update rule, and,
// at the gradient monitor's check steps, the statistics it reads — in one pass over the
// weights, where tfjs's optimizers launch 3–12 small kernels per variable. The optimizer's
// slots are updated in place, and so are the weights unless `fresh` asks for new ones
// (the caller makes sure no other tensor shares the memory written in place). The arithmetic follows tfjs-core's optimizers operation for
// operation (src/optimizers/*_optimizer.ts), so results agree within float32 rounding.
import type { KernelMemory, TensorInfo as Info } from './memory.js';

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
          d += (x > 0 ? l1 : -l1) + 2 * l2 * x;
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

  // Pass 2: the update, one variable at a time.
  const lr = a.learningRate;
  const clipByValue = a.clipKind === 'value';
  const limit = a.clipValue;
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    const out = wOut[i];
    const gi = g[i];
    const l1 = l1Of(i);
    const l2 = l2Of(i);
    const penalised = l1 !== 0 || l2 !== 0;
    const len = wi.length;
    let gSq = 0;
    let wSq = 0;
    const s0 = slots > 0 ? s[0][i] : wi;
    const s1 = slots > 1 ? s[1][i] : wi;
    for (let j = 0; j < len; j++) {
      const x = wi[j];
      let d = gi[j];
      if (penalised) d += (x > 0 ? l1 : -l1) + 2 * l2 * x;
      if (clipByValue) d = d < -limit ? -limit : d > limit ? limit : d;
      else d *= scale;
      gSq += d * d;
      wSq += x * x;
      switch (a.rule) {
        case 'sgd':
          out[j] = x - lr * d;
          break;
        case 'momentum': {
          const acc = a.beta1 * s0[j] + d;
          s0[j] = acc;
          out[j] = x - lr * acc;
          break;
        }
        case 'rmsprop': {
          // decay in beta1, momentum in beta2: ms = decay·ms + (1-decay)·g²; mom = momentum·mom + lr·g/√(ms+ε).
          const ms = s0[j] * a.beta1 + d * d * (1 - a.beta1);
          const mom = s1[j] * a.beta2 + (d * lr) / Math.sqrt(ms + a.epsilon);
          s0[j] = ms;
          s1[j] = mom;
          out[j] = x - mom;
          break;
        }
        case 'adam': {
          const m = s0[j] * a.beta1 + d * (1 - a.beta1);
          const v = s1[j] * a.beta2 + d * d * (1 - a.beta2);
          s0[j] = m;
          s1[j] = v;
          out[j] = x - (lr * (m / a.correction1)) / (Math.sqrt(v / a.correction2) + a.epsilon);
          break;
        }
        case 'adamax': {
          const m = s0[j] * a.beta1 + d * (1 - a.beta1);
          const scaled = s1[j] * a.beta2;
          const ad = Math.abs(d);
          const u = scaled > ad ? scaled : ad;
          s0[j] = m;
          s1[j] = u;
          out[j] = x - (lr / a.correction1) * (m / (u + a.epsilon));
          break;
        }
        case 'adagrad': {
          const acc = s0[j] + d * d;
          s0[j] = acc;
          out[j] = x - lr * (d / Math.sqrt(acc + a.epsilon));
          break;
        }
      }
    }
    if (stats) {
      if (a.gradSlot[i] >= 0) stats[a.gradSlot[i]] = gSq;
      if (a.weightSlot[i] >= 0) stats[a.weightSlot[i]] = wSq;
    }
  }
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
