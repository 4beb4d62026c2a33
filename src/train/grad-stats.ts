// Gradient statistics computed on the backend: a handful of reductions per variable at a
// check step, kept as one small tensor until the loop reads a batch of them back.
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';
import type { LayerGradientStats } from './diagnostics-types.js';
import type { CheckReading } from './diagnostics.js';

/** A layer with a kernel: what the monitor reports on. */
interface KernelLayer {
  layer: string;
  kernel: TF.Variable;
  /** Indexes of its kernel and bias in the trainable variable list. */
  kernelIndex: number;
  biasIndex: number | null;
}

export interface GradientStatsPlan {
  /** Names of the trainable variables, in the order the statistics list them. */
  variables: TF.Variable[];
  kernelLayers: KernelLayer[];
  /** Floats per check: loss, one squared norm per variable, one squared weight norm per kernel layer. */
  width: number;
}

export function planGradientStats(model: TF.LayersModel): GradientStatsPlan {
  const weights = model.trainableWeights;
  const variables = weights.map((w) => w.read() as TF.Variable);
  const kernelLayers: KernelLayer[] = [];
  for (const layer of model.layers) {
    const kernelIndex = weights.findIndex((w) => w.originalName === `${layer.name}/kernel`);
    if (kernelIndex < 0) continue;
    const biasIndex = weights.findIndex((w) => w.originalName === `${layer.name}/bias`);
    kernelLayers.push({ layer: layer.name, kernel: variables[kernelIndex], kernelIndex, biasIndex: biasIndex < 0 ? null : biasIndex });
  }
  return { variables, kernelLayers, width: 1 + variables.length + kernelLayers.length };
}

/**
 * [loss, |g_v|² for each variable, |W|² for each kernel layer] as one tensor. Call inside
 * tf.tidy with the gradients as applied (after clipping); keep the result.
 */
export function gradientStatsTensor(plan: GradientStatsPlan, grads: TF.NamedTensorMap, loss: TF.Scalar): TF.Tensor1D {
  const parts: TF.Tensor[] = [tf.reshape(loss, [1])];
  for (const v of plan.variables) {
    const g = grads[v.name];
    parts.push(g ? tf.reshape(tf.sum(tf.square(g)), [1]) : tf.zeros([1]));
  }
  for (const k of plan.kernelLayers) parts.push(tf.reshape(tf.sum(tf.square(k.kernel)), [1]));
  return tf.concat(parts) as TF.Tensor1D;
}

/** Turns one check's floats (read back) into a reading for the monitor. */
export function parseCheck(
  plan: GradientStatsPlan,
  values: Float32Array | number[],
  offset: number,
  meta: { epoch: number; step: number; preflight: boolean; learningRate: number },
): CheckReading {
  const at = (i: number) => values[offset + i];
  const loss = at(0);
  let globalSq = 0;
  for (let v = 0; v < plan.variables.length; v++) globalSq += at(1 + v);
  const layers: LayerGradientStats[] = plan.kernelLayers.map((k, i) => {
    const kernelGrad = Math.sqrt(at(1 + k.kernelIndex));
    const weight = Math.sqrt(at(1 + plan.variables.length + i));
    return {
      layer: k.layer,
      kernelGrad,
      biasGrad: k.biasIndex === null ? null : Math.sqrt(at(1 + k.biasIndex)),
      weight,
      updateRatio: weight > 0 ? (meta.learningRate * kernelGrad) / weight : Infinity,
    };
  });
  return { epoch: meta.epoch, step: meta.step, preflight: meta.preflight, loss, globalGrad: Math.sqrt(globalSq), layers };
}

/**
 * Where gradtune's update kernel writes each of `variables`' statistics so that its
 * output has gradientStatsTensor's layout: |g|² at 1 + the variable's place in the plan,
 * |W|² of a kernel at 1 + variables + its kernel layer's place.
 */
export function statsLayout(plan: GradientStatsPlan, variables: TF.Variable[]): { width: number; gradSlot: number[]; weightSlot: number[] } {
  return {
    width: plan.width,
    gradSlot: variables.map((v) => {
      const i = plan.variables.indexOf(v);
      return i < 0 ? -1 : 1 + i;
    }),
    weightSlot: variables.map((v) => {
      const k = plan.kernelLayers.findIndex((l) => l.kernel === v);
      return k < 0 ? -1 : 1 + plan.variables.length + k;
    }),
  };
}
