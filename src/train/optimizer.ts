import type * as TF from '@tensorflow/tfjs';
import { tf } from './backend.js';
import type { OptimizerName } from '../space/types.js';

export function makeOptimizer(name: OptimizerName, learningRate: number): TF.Optimizer {
  switch (name) {
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'momentum':
      return tf.train.momentum(learningRate, 0.9);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate);
    case 'adam':
      return tf.train.adam(learningRate);
    case 'adamax':
      return tf.train.adamax(learningRate);
    case 'adagrad':
      return tf.train.adagrad(learningRate);
  }
}

/**
 * Changes the learning rate of a live optimizer. SGD and momentum hold it as a kept
 * scalar tensor (setLearningRate replaces it); the others read a plain number per step.
 */
export function setLearningRate(optimizer: TF.Optimizer, rate: number): void {
  const withSetter = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof withSetter.setLearningRate === 'function') withSetter.setLearningRate(rate);
  else withSetter.learningRate = rate;
}

/**
 * Frees an optimizer's tensors. tfjs's MomentumOptimizer.dispose() forgets the
 * learning-rate scalar `c` it inherits from SGD, one tensor leaked per trial; free it here.
 */
export function disposeOptimizer(optimizer: TF.Optimizer): void {
  optimizer.dispose();
  const rate = (optimizer as unknown as { c?: TF.Tensor }).c;
  if (rate && !rate.isDisposed) rate.dispose();
}
