// The model getBestModels returns: the trained network between two fixed layers, so that
// it takes the features as the user has them and predicts in the target's own units, as
// `export` + `predict` do. In front, a BatchNormalization layer whose statistics are the
// study's standardisation (gamma = 1/std, moving mean = mean, moving variance = 1,
// epsilon 0: (x - mean) / std); behind a regression network, the export's rescale layer
// (y = output * std + mean, src/export/rescale.ts). Both are standard, non-trainable
// Keras layers: model.save writes them and tf.loadLayersModel reads them back anywhere.
//
// This computes in float32 where `predict` standardises in float64; the two agree to
// float32 rounding unless a feature's mean is huge beside its spread (1e9 + small
// changes), which float32 inputs cannot even represent.
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../train/tf.js';
import type { DatasetInfo } from '../data/types.js';
import { withTargetRescale } from './rescale.js';

export const STANDARDISE_LAYER = 'gradtune_standardise';

/**
 * `model` (trained on standardised features) wrapped to take raw features. The result
 * shares `model`'s layers: dispose the result only.
 */
export function withRawInput(model: TF.LayersModel, info: Pick<DatasetInfo, 'nFeatures' | 'scaling' | 'targetScaling'>): TF.LayersModel {
  const { mean, std } = info.scaling;
  const n = info.nFeatures;
  const weights = [tf.tensor1d(std.map((s) => 1 / s)), tf.zeros([n]), tf.tensor1d(mean), tf.ones([n])];
  let wrapped: TF.LayersModel;
  try {
    const input = tf.input({ shape: [n], name: 'gradtune_features' });
    const standardise = tf.layers.batchNormalization({ name: STANDARDISE_LAYER, trainable: false, epsilon: 0, weights });
    const output = model.apply(standardise.apply(input)) as TF.SymbolicTensor;
    wrapped = tf.model({ inputs: input, outputs: output, name: `${model.name}_raw` });
  } finally {
    // The layer's variables hold copies.
    tf.dispose(weights);
  }
  return info.targetScaling ? withTargetRescale(wrapped, info.targetScaling) : wrapped;
}
