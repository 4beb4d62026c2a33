// Regression networks learn the standardised target. An export appends one fixed dense
// layer, y = output * std + mean, so that model.json alone (plain tf.loadLayersModel)
// predicts in the target's own units; gradtune's own predictions take the output before
// that layer and rescale it in float64, which keeps the digits of a target whose mean is
// large beside its spread (1e12 + small changes) that float32 would round away.
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../train/tf.js';
import type { TargetScaling } from '../data/types.js';
import { TARGET_RESCALE_LAYER } from './preprocessing.js';

/**
 * The model with the rescale layer appended. The result shares `model`'s layers: dispose
 * the result only (disposing both would free the shared weights twice).
 */
export function withTargetRescale(model: TF.LayersModel, scaling: TargetScaling): TF.LayersModel {
  const weights = [tf.tensor2d([[scaling.std]]), tf.tensor1d([scaling.mean])];
  try {
    const rescale = tf.layers.dense({ units: 1, name: TARGET_RESCALE_LAYER, trainable: false, weights });
    const output = rescale.apply(model.outputs[0]) as TF.SymbolicTensor;
    return tf.model({ inputs: model.inputs, outputs: output, name: model.name });
  } finally {
    // The layer's variables hold copies.
    tf.dispose(weights);
  }
}

/**
 * The network before the rescale layer named `layer`: its output is the standardised
 * target. Shares the loaded model's layers; dispose the loaded model, not this one.
 */
export function beforeRescale(model: TF.LayersModel, layer: string): TF.LayersModel | undefined {
  const found = model.layers.find((l) => l.name === layer);
  if (!found) return undefined;
  return tf.model({ inputs: model.inputs, outputs: found.input as TF.SymbolicTensor });
}
