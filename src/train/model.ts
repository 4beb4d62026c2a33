// Builds a TF.LayersModel from a configuration: gradtune's MLP description or the
// user's own builder. The output layer is softmax for classification (the model
// outputs probabilities, as an exported model should) and linear for regression.
import type * as TF from '@tensorflow/tfjs';
import { tf } from './backend.js';
import { GradtuneError } from '../errors.js';
import { addSkip } from './residual.js';
import type { HiddenLayer, Initializer, MlpModel, ModelShapes, TrialConfig } from '../space/types.js';

function initializer(name: Initializer, seed: number, stddev = 0.05): TF.serialization.Serializable {
  switch (name) {
    case 'glorotUniform':
      return tf.initializers.glorotUniform({ seed });
    case 'glorotNormal':
      return tf.initializers.glorotNormal({ seed });
    case 'heNormal':
      return tf.initializers.heNormal({ seed });
    case 'heUniform':
      return tf.initializers.heUniform({ seed });
    case 'leCunNormal':
      return tf.initializers.leCunNormal({ seed });
    case 'randomNormal':
      return tf.initializers.randomNormal({ mean: 0, stddev, seed });
    default:
      throw new GradtuneError(`unknown initializer "${name as string}": use glorotUniform, glorotNormal, heNormal, heUniform, leCunNormal or randomNormal`);
  }
}

/** Applies one hidden layer's activation; leakyRelu is a layer in tfjs, not an activation name. */
function activate(x: TF.SymbolicTensor, layer: HiddenLayer, index: number): TF.SymbolicTensor {
  if (layer.activation === 'leakyRelu') {
    return tf.layers.leakyReLU({ name: `leaky_relu_${index}` }).apply(x) as TF.SymbolicTensor;
  }
  return tf.layers.activation({ activation: layer.activation, name: `${layer.activation}_${index}` }).apply(x) as TF.SymbolicTensor;
}

/** Models buildMlp made: the training loop may run them by the lean step (lean-step.ts). */
const gradtuneMlps = new WeakSet<TF.LayersModel>();

export function isGradtuneMlp(model: TF.LayersModel): boolean {
  return gradtuneMlps.has(model);
}

export function buildMlp(desc: MlpModel, shapes: ModelShapes): TF.LayersModel {
  const model = mlpLayers(desc, shapes);
  gradtuneMlps.add(model);
  return model;
}

function mlpLayers(desc: MlpModel, shapes: ModelShapes): TF.LayersModel {
  const input = tf.input({ shape: [shapes.inputDim], name: 'features' });
  let x = input;
  desc.hidden.forEach((layer, i) => {
    const index = i + 1;
    const layerInput = x;
    const regularize = (layer.l1 ?? 0) > 0 || (layer.l2 ?? 0) > 0;
    x = tf.layers
      .dense({
        name: `dense_${index}`,
        units: layer.units,
        // With batch norm the bias is redundant: the normalisation's beta takes its role.
        useBias: !layer.batchNorm,
        kernelInitializer: initializer(layer.initializer, shapes.seed + index, layer.initStddev) as never,
        kernelRegularizer: regularize ? tf.regularizers.l1l2({ l1: layer.l1 ?? 0, l2: layer.l2 ?? 0 }) : undefined,
      })
      .apply(x) as TF.SymbolicTensor;
    if (layer.batchNorm) x = tf.layers.batchNormalization({ name: `batch_norm_${index}` }).apply(x) as TF.SymbolicTensor;
    x = activate(x, layer, index);
    if ((layer.dropout ?? 0) > 0) {
      x = tf.layers.dropout({ rate: layer.dropout!, seed: shapes.seed + 1000 + index, name: `dropout_${index}` }).apply(x) as TF.SymbolicTensor;
    }
    // Around every hidden layer after the first (the first maps the features to the hidden width).
    if (desc.residual && i > 0) x = addSkip(layerInput, x, index, shapes.seed);
  });
  if (shapes.task === 'regression') {
    const output = tf.layers.dense({ name: 'output', units: shapes.outputUnits, kernelInitializer: tf.initializers.glorotUniform({ seed: shapes.seed }) as never });
    return tf.model({ inputs: input, outputs: output.apply(x) as TF.SymbolicTensor });
  }
  // Classification: linear logits, then softmax as a layer of its own, so training can
  // use the fused (and numerically safe) softmax cross-entropy on the logits while the
  // model itself, as exported, outputs probabilities.
  const logits = tf.layers
    .dense({ name: 'logits', units: shapes.outputUnits, kernelInitializer: tf.initializers.glorotUniform({ seed: shapes.seed }) as never })
    .apply(x) as TF.SymbolicTensor;
  const probabilities = tf.layers.activation({ activation: 'softmax', name: SOFTMAX_LAYER }).apply(logits) as TF.SymbolicTensor;
  return tf.model({ inputs: input, outputs: probabilities });
}

const SOFTMAX_LAYER = 'probabilities';

/** What the loop trains: the model's output, or the logits before its final softmax. */
export interface TrainingHead {
  /** Shares every layer (and weight) with the model. */
  model: TF.LayersModel;
  outputs: 'logits' | 'probabilities' | 'values';
}

/**
 * For gradtune's MLPs (classification), a head that stops at the logits; for anything
 * else the model itself. A custom model that ends in softmax trains on probabilities.
 */
export function trainingHead(model: TF.LayersModel, task: 'classification' | 'regression'): TrainingHead {
  if (task === 'regression') return { model, outputs: 'values' };
  const last = model.layers[model.layers.length - 1];
  if (last?.name === SOFTMAX_LAYER && model.layers.length > 1) {
    const head = tf.model({ inputs: model.inputs, outputs: last.input as TF.SymbolicTensor });
    // Never dispose the head: it owns no weights, and its dispose() would free the shared
    // layers' weights under the model. The model's own dispose frees everything.
    return { model: head, outputs: 'logits' };
  }
  return { model, outputs: 'probabilities' };
}

export function buildModel(config: TrialConfig, shapes: ModelShapes): TF.LayersModel {
  if (config.model.kind === 'mlp') {
    if (config.model.hidden.length === 0) throw new GradtuneError('an MLP needs at least one hidden layer: make the space return hidden: [ ... ]');
    return buildMlp(config.model, shapes);
  }
  const model = config.model.build(shapes);
  if (!model || typeof (model as TF.LayersModel).apply !== 'function' || !Array.isArray((model as TF.LayersModel).trainableWeights)) {
    throw new GradtuneError('a custom model builder must return a TF.LayersModel (tf.sequential() or tf.model())');
  }
  const outShape = model.outputs[0]?.shape;
  if (!outShape || outShape[outShape.length - 1] !== shapes.outputUnits) {
    const shown = outShape ? `outputs shape ${formatShape(outShape)}` : 'has no output';
    throw new GradtuneError(
      `the custom model ${shown} but the data needs ${shapes.outputUnits} output units: end the model with a dense layer of units: shapes.outputUnits`,
    );
  }
  return model;
}

/**
 * A tfjs shape as `[batch, 7]`: tfjs writes an unknown dimension as null, which
 * Array.join would print as nothing (`[, 7]`). The first one is the batch.
 */
export function formatShape(shape: ReadonlyArray<number | null>): string {
  return `[${shape.map((d, i) => (d === null ? (i === 0 ? 'batch' : 'null') : String(d))).join(', ')}]`;
}
