// The training loss and the task metric as tfjs ops: the general training step's and the
// per-epoch validation's (the lean step computes the same in one kernel).
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';
import type { TrainingHead } from './model.js';

/** The training loss, mean over the batch. */
export function lossOf(pred: TF.Tensor, y: TF.Tensor, outputs: TrainingHead['outputs']): TF.Scalar {
  switch (outputs) {
    case 'logits':
      // Fused softmax + cross-entropy: one op with its own gradient, finite for any logits.
      return tf.losses.softmaxCrossEntropy(y, pred) as TF.Scalar;
    case 'probabilities':
      return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(pred, 1e-7, 1 - 1e-7))), 1))) as TF.Scalar;
    case 'values':
      return tf.mean(tf.square(tf.sub(pred, y))) as TF.Scalar;
  }
}

/** The task metric summed over the batch: correct predictions, or absolute error. */
export function metricSumOf(pred: TF.Tensor, y: TF.Tensor, outputs: TrainingHead['outputs']): TF.Scalar {
  if (outputs === 'values') return tf.sum(tf.abs(tf.sub(pred, y))) as TF.Scalar;
  return tf.sum(tf.cast(tf.equal(tf.argMax(pred, 1), tf.argMax(y, 1)), 'float32')) as TF.Scalar;
}
