// Reads a gradtune MLP (model.ts) as a chain of blocks — dense, optional batch norm,
// activation, optional dropout — that the lean training step (lean-step.ts) can run
// without the Layers path. Anything it does not recognise exactly (another layer kind, a
// constraint, a regularizer other than L1/L2 on a kernel, a branch) gives no plan, and
// training takes the general path.
import type * as TF from '@tensorflow/tfjs';
import type { LeanActivation } from './kernels/lean-kernels.js';

export interface LeanBatchNorm {
  gamma: TF.Variable;
  beta: TF.Variable;
  movingMean: TF.Variable;
  movingVariance: TF.Variable;
  epsilon: number;
  momentum: number;
}

export interface LeanBlock {
  kernel: TF.Variable;
  bias: TF.Variable | null;
  batchNorm: LeanBatchNorm | null;
  activation: LeanActivation;
  /** leakyRelu's slope below zero. */
  alpha: number;
  dropout: { rate: number; seed: number } | null;
  l1: number;
  l2: number;
}

export interface LeanPlan {
  /** Hidden blocks, then the output block (linear, no batch norm, no dropout). */
  blocks: LeanBlock[];
  /** Softmax cross-entropy on logits (classification) or squared error on values (regression). */
  loss: 'softmax' | 'mse';
  /** The model's trainable variables in model.trainableWeights order (the optimizer's order). */
  variables: TF.Variable[];
}

const ACTIVATIONS: ReadonlySet<string> = new Set(['linear', 'relu', 'elu', 'selu', 'tanh', 'sigmoid']);

type Config = Record<string, unknown>;

function weight(layer: TF.layers.Layer, name: string): TF.Variable | undefined {
  const w = layer.weights.find((x) => x.originalName === `${layer.name}/${name}`);
  return w ? (w.read() as TF.Variable) : undefined;
}

function isFloat32(v: TF.Variable | undefined | null): boolean {
  return !v || v.dtype === 'float32';
}

/** L1/L2 factors of a kernel regularizer; undefined for anything else. */
function penalties(reg: unknown): { l1: number; l2: number } | undefined {
  if (reg == null) return { l1: 0, l2: 0 };
  const r = reg as { className?: string; config?: { l1?: number; l2?: number } };
  if (r.className !== 'L1L2' || !r.config) return undefined;
  return { l1: r.config.l1 ?? 0, l2: r.config.l2 ?? 0 };
}

function denseBlock(layer: TF.layers.Layer, c: Config): LeanBlock | undefined {
  if (c.biasRegularizer != null || c.activityRegularizer != null || c.kernelConstraint != null || c.biasConstraint != null) return undefined;
  const pen = penalties(c.kernelRegularizer);
  const kernel = weight(layer, 'kernel');
  const bias = c.useBias ? weight(layer, 'bias') : null;
  if (!pen || !kernel || kernel.shape.length !== 2 || bias === undefined || !isFloat32(kernel) || !isFloat32(bias)) return undefined;
  const activation = String(c.activation);
  if (!ACTIVATIONS.has(activation)) return undefined;
  return { kernel, bias, batchNorm: null, activation: activation as LeanActivation, alpha: 0, dropout: null, ...pen };
}

function batchNorm(layer: TF.layers.Layer, c: Config): LeanBatchNorm | undefined {
  if (!(c.axis === -1 || c.axis === 1) || c.center !== true || c.scale !== true) return undefined;
  if (c.betaRegularizer != null || c.gammaRegularizer != null || c.betaConstraint != null || c.gammaConstraint != null) return undefined;
  const [gamma, beta, movingMean, movingVariance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => weight(layer, n));
  if (!gamma || !beta || !movingMean || !movingVariance || ![gamma, beta, movingMean, movingVariance].every(isFloat32)) return undefined;
  return { gamma, beta, movingMean, movingVariance, epsilon: Number(c.epsilon), momentum: Number(c.momentum) };
}

/** Whether `layer` takes exactly the output of `previous` (a plain chain). */
function follows(layer: TF.layers.Layer, previous: TF.layers.Layer): boolean {
  const nodes = layer.inboundNodes;
  return nodes.length === 1 && nodes[0].inboundLayers.length === 1 && nodes[0].inboundLayers[0] === previous;
}

/**
 * The lean plan of a training head (model.ts: trainingHead) trained on `outputs` ('logits':
 * a classifier's head, which leaves the final softmax out; 'values': regression), or undefined.
 */
export function leanPlan(model: TF.LayersModel, outputs: 'logits' | 'probabilities' | 'values'): LeanPlan | undefined {
  if (outputs === 'probabilities') return undefined;
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || model.inputs[0].shape.length !== 2) return undefined;
  const layers = model.layers;
  if (layers[0]?.getClassName() !== 'InputLayer') return undefined;
  const blocks: LeanBlock[] = [];
  // What the current block has seen, in the order a block allows: dense, bn, activation, dropout.
  let stage: 'dense' | 'bn' | 'activation' | 'dropout' = 'dropout';
  for (let i = 1; i < layers.length; i++) {
    const layer = layers[i];
    if (!follows(layer, layers[i - 1]) || !layer.trainable) return undefined;
    const c = layer.getConfig() as Config;
    const block = blocks[blocks.length - 1];
    switch (layer.getClassName()) {
      case 'Dense': {
        const next = denseBlock(layer, c);
        if (!next) return undefined;
        blocks.push(next);
        stage = next.activation === 'linear' ? 'dense' : 'activation';
        break;
      }
      case 'BatchNormalization': {
        if (stage !== 'dense') return undefined;
        const bn = batchNorm(layer, c);
        if (!bn) return undefined;
        block.batchNorm = bn;
        stage = 'bn';
        break;
      }
      case 'Activation': {
        if (stage !== 'dense' && stage !== 'bn') return undefined;
        if (!ACTIVATIONS.has(String(c.activation))) return undefined;
        block.activation = c.activation as LeanActivation;
        stage = 'activation';
        break;
      }
      case 'LeakyReLU': {
        if (stage !== 'dense' && stage !== 'bn') return undefined;
        block.activation = 'leakyRelu';
        block.alpha = Number(c.alpha);
        stage = 'activation';
        break;
      }
      case 'Dropout': {
        if (stage === 'dropout' || c.noiseShape != null || typeof c.seed !== 'number') return undefined;
        const rate = Number(c.rate);
        if (rate > 0 && rate < 1) block.dropout = { rate, seed: c.seed };
        stage = 'dropout';
        break;
      }
      default:
        return undefined;
    }
  }
  const output = blocks[blocks.length - 1];
  if (!output || output.activation !== 'linear' || output.batchNorm || output.dropout || blocks.length < 2) return undefined;
  // Every trainable variable must be one the plan trains.
  const planned = new Set<TF.Variable>();
  for (const b of blocks) [b.kernel, b.bias, b.batchNorm?.gamma, b.batchNorm?.beta].forEach((v) => v && planned.add(v));
  const variables = model.trainableWeights.map((w) => w.read() as TF.Variable);
  if (variables.length !== planned.size || !variables.every((v) => planned.has(v))) return undefined;
  return { blocks, loss: outputs === 'logits' ? 'softmax' : 'mse', variables };
}
