// Residual (skip) connections for gradtune's MLPs: the input of a hidden layer is added to
// its output, so the backward signal reaches earlier layers along the identity path as
// well as through the layer's derivative (He et al., 2016), the fifth classic remedy for
// vanishing gradients. Where the widths differ, the input is projected to the layer's
// width by a linear layer without bias (a learned 1x1 projection, as in ResNet).
import type * as TF from '@tensorflow/tfjs';
import { tf } from './backend.js';

/**
 * `block` is the output of hidden layer `index` (after its activation and dropout), `input`
 * what that layer received. Returns their sum, named `residual_<index>`.
 */
export function addSkip(input: TF.SymbolicTensor, block: TF.SymbolicTensor, index: number, seed: number): TF.SymbolicTensor {
  const inWidth = input.shape[input.shape.length - 1];
  const outWidth = block.shape[block.shape.length - 1];
  const skip =
    inWidth === outWidth
      ? input
      : (tf.layers
          .dense({
            name: `residual_projection_${index}`,
            units: outWidth as number,
            useBias: false,
            kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2000 + index }) as never,
          })
          .apply(input) as TF.SymbolicTensor);
  return tf.layers.add({ name: `residual_${index}` }).apply([skip, block]) as TF.SymbolicTensor;
}
