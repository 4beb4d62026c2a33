// Activation statistics on a fixed probe batch: for sigmoid/tanh the fraction of
// activations near their bounds (saturated: their derivative is ~0), for ReLU (and
// ReLU6) the fraction of units that output 0 for every probe example (dead: no gradient
// reaches their weights). Leaky ReLU, ELU and SELU keep a gradient below zero, so a unit
// of theirs that is negative on every example still learns: they are not counted.
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';

type ActivationFamily = 'saturating' | 'relu';

interface ProbeEntry {
  /** The kernel layer the activation belongs to (reports attribute it there). */
  layer: string;
  family: ActivationFamily;
  activation: string;
}

export interface ActivationProbe {
  /** Shares its layers with the trained model: never dispose it. */
  model: TF.LayersModel;
  entries: ProbeEntry[];
}

const SATURATING = new Set(['sigmoid', 'tanh', 'hardSigmoid']);
const RELU_FAMILY = new Set(['relu', 'relu6']);

function activationName(layer: TF.layers.Layer): string | undefined {
  const className = layer.getClassName();
  if (className === 'LeakyReLU') return 'leakyRelu';
  if (className === 'ReLU') return 'relu';
  if (className === 'ELU') return 'elu';
  if (className === 'Activation' || className === 'Dense') {
    const a = layer.getConfig().activation;
    return typeof a === 'string' ? a : undefined;
  }
  return undefined;
}

const hasKernel = (layer: TF.layers.Layer) => layer.trainableWeights.some((w) => w.originalName === `${layer.name}/kernel`);

/**
 * The layer with a kernel that feeds `layer`, through single-input layers (batch norm):
 * reports attribute an activation to it. Following the graph, not the layer list: a
 * residual projection can sit between a dense layer and its activation in that list.
 */
function feedingKernelLayer(layer: TF.layers.Layer): string | undefined {
  let current = layer;
  for (;;) {
    const inbound = current.inboundNodes[0]?.inboundLayers ?? [];
    if (inbound.length !== 1) return undefined;
    current = inbound[0];
    if (hasKernel(current)) return current.name;
  }
}

/** Finds the hidden activations of a model; undefined when it has none to watch. */
export function planActivationProbe(model: TF.LayersModel): ActivationProbe | undefined {
  const entries: ProbeEntry[] = [];
  const outputs: TF.SymbolicTensor[] = [];
  const finalLayer = model.layers[model.layers.length - 1];
  for (const layer of model.layers) {
    const activation = activationName(layer);
    if (!activation || layer === finalLayer) continue;
    const family: ActivationFamily | undefined = SATURATING.has(activation) ? 'saturating' : RELU_FAMILY.has(activation) ? 'relu' : undefined;
    if (!family) continue;
    // A Dense layer with its own activation is its own kernel layer.
    const kernelLayer = layer.getClassName() === 'Dense' ? layer.name : feedingKernelLayer(layer);
    if (!kernelLayer) continue;
    entries.push({ layer: kernelLayer, family, activation });
    outputs.push(layer.output as TF.SymbolicTensor);
  }
  if (entries.length === 0) return undefined;
  return { model: tf.model({ inputs: model.inputs, outputs }), entries };
}

/** One value per probe entry (saturated or dead fraction). Call inside tf.tidy. */
export function activationStatsTensor(probe: ActivationProbe, x: TF.Tensor): TF.Tensor1D {
  let outs = probe.model.apply(x, { training: false }) as TF.Tensor | TF.Tensor[];
  if (!Array.isArray(outs)) outs = [outs];
  const values = probe.entries.map((e, i) => {
    const a = outs[i] as TF.Tensor;
    if (e.family === 'relu') return tf.mean(tf.cast(tf.lessEqual(tf.max(a, 0), 0), 'float32'));
    const nearBound =
      e.activation === 'tanh' ? tf.greater(tf.abs(a), 0.98) : tf.logicalOr(tf.less(a, 0.02), tf.greater(a, 0.98));
    return tf.mean(tf.cast(nearBound, 'float32'));
  });
  return tf.stack(values) as TF.Tensor1D;
}
