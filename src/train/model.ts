// Builds a tf.LayersModel from a configuration: gradtune's MLP description or the
// user's own builder. The output layer is softmax for classification (the model
// outputs probabilities, as an exported model should) and linear for regression.
import { tf } from './backend.js';
import { GradtuneError } from '../errors.js';
import type { HiddenLayer, Initializer, MlpModel, ModelShapes, TrialConfig } from '../space/types.js';

function initializer(name: Initializer, seed: number, stddev = 0.05): tf.serialization.Serializable {
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
function activate(x: tf.SymbolicTensor, layer: HiddenLayer, index: number): tf.SymbolicTensor {
  if (layer.activation === 'leakyRelu') {
    return tf.layers.leakyReLU({ name: `leaky_relu_${index}` }).apply(x) as tf.SymbolicTensor;
  }
  return tf.layers.activation({ activation: layer.activation, name: `${layer.activation}_${index}` }).apply(x) as tf.SymbolicTensor;
}

export function buildMlp(desc: MlpModel, shapes: ModelShapes): tf.LayersModel {
  const input = tf.input({ shape: [shapes.inputDim], name: 'features' });
  let x = input;
  desc.hidden.forEach((layer, i) => {
    const index = i + 1;
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
      .apply(x) as tf.SymbolicTensor;
    if (layer.batchNorm) x = tf.layers.batchNormalization({ name: `batch_norm_${index}` }).apply(x) as tf.SymbolicTensor;
    x = activate(x, layer, index);
    if ((layer.dropout ?? 0) > 0) {
      x = tf.layers.dropout({ rate: layer.dropout!, seed: shapes.seed + 1000 + index, name: `dropout_${index}` }).apply(x) as tf.SymbolicTensor;
    }
  });
  const output = tf.layers
    .dense({
      name: 'output',
      units: shapes.outputUnits,
      activation: shapes.task === 'classification' ? 'softmax' : 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: shapes.seed }) as never,
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

export function buildModel(config: TrialConfig, shapes: ModelShapes): tf.LayersModel {
  if (config.model.kind === 'mlp') {
    if (config.model.hidden.length === 0) throw new GradtuneError('an MLP needs at least one hidden layer: make the space return hidden: [ ... ]');
    return buildMlp(config.model, shapes);
  }
  const model = config.model.build(shapes);
  if (!model || typeof (model as tf.LayersModel).apply !== 'function' || !Array.isArray((model as tf.LayersModel).trainableWeights)) {
    throw new GradtuneError('a custom model builder must return a tf.LayersModel (tf.sequential() or tf.model())');
  }
  const outShape = model.outputs[0]?.shape;
  if (!outShape || outShape[outShape.length - 1] !== shapes.outputUnits) {
    throw new GradtuneError(
      `the custom model outputs shape [${outShape?.join(', ')}] but the data needs ${shapes.outputUnits} output units: end the model with a dense layer of units: shapes.outputUnits`,
    );
  }
  return model;
}
