import type * as TF from '@tensorflow/tfjs';
import { tf } from './backend.js';
import type { NamedTensor } from './checkpoint.js';
import type { OptimizerName } from '../space/types.js';
import { FusedOptimizer } from './fused-optimizer.js';

/** What the training loop steps with: gradtune's fused optimizer, or tfjs's own. */
export type TrainOptimizer = TF.Optimizer | FusedOptimizer;

/** gradtune's one-kernel optimizer when its kernels run on this backend, else tfjs's. */
export function makeTrainOptimizer(name: OptimizerName, learningRate: number, fused: boolean): TrainOptimizer {
  return fused ? new FusedOptimizer(name, learningRate) : makeOptimizer(name, learningRate);
}

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
export function setLearningRate(optimizer: TrainOptimizer, rate: number): void {
  if (optimizer instanceof FusedOptimizer) {
    optimizer.learningRate = rate;
    return;
  }
  const withSetter = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof withSetter.setLearningRate === 'function') withSetter.setLearningRate(rate);
  else withSetter.learningRate = rate;
}

/**
 * Frees an optimizer's tensors. tfjs's MomentumOptimizer.dispose() forgets the
 * learning-rate scalar `c` it inherits from SGD, one tensor leaked per trial; free it here.
 */
export function disposeOptimizer(optimizer: TrainOptimizer): void {
  optimizer.dispose();
  if (optimizer instanceof FusedOptimizer) return;
  const rate = (optimizer as unknown as { c?: TF.Tensor }).c;
  if (rate && !rate.isDisposed) rate.dispose();
}

/** What tfjs's AdamaxOptimizer keeps, privately: it implements neither getWeights nor setWeights. */
interface AdamaxInternals {
  beta1: number;
  iteration: TF.Variable;
  accBeta1: TF.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: TF.Variable }>;
  accumulatedWeightedInfNorm: Array<{ originalName: string; variable: TF.Variable }>;
  saveIterations(): Promise<NamedTensor>;
  extractIterations(weights: NamedTensor[]): Promise<NamedTensor[]>;
  iterations_: number;
}

function isAdamax(optimizer: TrainOptimizer): boolean {
  return optimizer.getClassName() === 'Adamax';
}

/**
 * The optimizer's state, as `getWeights()` lists it: the step count (a new scalar the
 * caller disposes), then the optimizer's own variables. Adamax, which tfjs leaves out,
 * is listed like Adam: the step count, the first moments, the weighted infinity norms.
 */
export async function optimizerState(optimizer: TrainOptimizer): Promise<NamedTensor[]> {
  if (optimizer instanceof FusedOptimizer) return optimizer.getWeights();
  if (!isAdamax(optimizer)) return optimizer.getWeights();
  const adamax = optimizer as unknown as AdamaxInternals;
  const variables = [...adamax.accumulatedFirstMoment, ...adamax.accumulatedWeightedInfNorm];
  return [await adamax.saveIterations(), ...variables.map((v) => ({ name: v.originalName, tensor: v.variable }))];
}

/** Sets the state `optimizerState` listed; the tensors are copied, so the caller still owns them. */
export async function restoreOptimizerState(optimizer: TrainOptimizer, state: NamedTensor[]): Promise<void> {
  if (optimizer instanceof FusedOptimizer || !isAdamax(optimizer)) return optimizer.setWeights(state);
  const adamax = optimizer as unknown as AdamaxInternals;
  const rest = await adamax.extractIterations(state);
  const steps = adamax.iterations_;
  // After t steps Adamax holds iteration = t and accBeta1 = beta1^(t+1) (it starts at beta1).
  tf.tidy(() => {
    adamax.iteration.assign(tf.scalar(steps));
    adamax.accBeta1.assign(tf.scalar(Math.pow(adamax.beta1, steps + 1)));
  });
  const half = rest.length / 2;
  const own = (w: NamedTensor) => ({ originalName: w.name, variable: tf.variable(w.tensor, false) });
  tf.dispose([...adamax.accumulatedFirstMoment, ...adamax.accumulatedWeightedInfNorm].map((v) => v.variable));
  adamax.accumulatedFirstMoment = rest.slice(0, half).map(own);
  adamax.accumulatedWeightedInfNorm = rest.slice(half).map(own);
}
