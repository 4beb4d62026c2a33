// Types of search spaces and the configurations they produce.
// This folder never imports tfjs at runtime: a custom model builder is typed with
// `import type`, which the compiler erases.
import type { LayersModel } from '@tensorflow/tfjs';
import type { DiagnosticsSettings } from '../train/diagnostics-types.js';

export type ParamValue = number | string | boolean;
/** The active parameters of one configuration, by name. Inactive ones are absent. */
export type Params = Record<string, ParamValue>;

export type IntSampling = 'linear' | 'log';
export type FloatSampling = 'linear' | 'log' | 'reverseLog';

/** A parameter declaration, as recorded when `build(hp)` first reaches it. */
export type ParamSpec =
  | { kind: 'int'; name: string; min: number; max: number; step?: number; sampling: IntSampling }
  | { kind: 'float'; name: string; min: number; max: number; step?: number; sampling: FloatSampling }
  | { kind: 'choice'; name: string; values: ParamValue[] }
  | { kind: 'boolean'; name: string }
  | { kind: 'fixed'; name: string; value: ParamValue };

export type Activation = 'relu' | 'elu' | 'selu' | 'leakyRelu' | 'tanh' | 'sigmoid' | 'linear';
export type Initializer = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'leCunNormal' | 'randomNormal';
export type OptimizerName = 'sgd' | 'momentum' | 'rmsprop' | 'adam' | 'adamax' | 'adagrad';
export type DecayKind = 'constant' | 'cosine' | 'exponential';

/** One hidden layer of an MLP that gradtune builds. */
export interface HiddenLayer {
  units: number;
  activation: Activation;
  initializer: Initializer;
  /** Standard deviation for `randomNormal` (default 0.05, as in Keras). */
  initStddev?: number;
  batchNorm?: boolean;
  dropout?: number;
  l1?: number;
  l2?: number;
}

export interface MlpModel {
  kind: 'mlp';
  hidden: HiddenLayer[];
  /**
   * Skip connections around every hidden layer after the first (its input added to its
   * output, through a linear projection where the widths differ): gradients reach the
   * first layers along the skips, the fifth remedy for vanishing gradients.
   */
  residual?: boolean;
}

export interface ModelShapes {
  /** Number of input features. */
  inputDim: number;
  /** Units of the output layer: classes for classification, 1 for regression. */
  outputUnits: number;
  task: 'classification' | 'regression';
  /** Seed for weight initialisers, derived from (study seed, trial number). */
  seed: number;
}

/**
 * A user's own model. It must output probabilities (softmax) for classification or
 * raw values for regression, shaped [batch, outputUnits].
 */
export interface CustomModel {
  kind: 'custom';
  build: (shapes: ModelShapes) => LayersModel;
}

export type ClipSetting = { kind: 'none' } | { kind: 'norm'; value: number } | { kind: 'value'; value: number };

export interface TrainingSettings {
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  /** Epochs this configuration wants; the study's `maxEpochs` caps it. */
  epochs?: number;
  /** Linear warmup from lr/10... to lr over this many epochs (0 = none). */
  warmupEpochs?: number;
  decay?: DecayKind;
  /** For exponential decay: factor per epoch after warmup (default 0.9). */
  decayRate?: number;
  clip?: ClipSetting;
  /** Stop when the objective has not improved by minDelta for `patience` epochs. */
  earlyStopping?: { patience: number; minDelta?: number };
}

/** What a space's `build(hp)` returns for one configuration. */
export interface TrialConfig {
  model: MlpModel | CustomModel;
  training: TrainingSettings;
  /** Gradient-monitor thresholds for this configuration; the run's flags override them. */
  diagnostics?: Partial<DiagnosticsSettings>;
}

export interface SearchSpaceDefinition {
  name: string;
  description: string;
  build: (hp: HyperParametersApi) => TrialConfig;
}

/** The `hp` object a space's build function receives (define-by-run). */
export interface HyperParametersApi {
  int(name: string, min: number, max: number, opts?: { step?: number; sampling?: IntSampling; default?: number }): number;
  float(name: string, min: number, max: number, opts?: { step?: number; sampling?: FloatSampling; default?: number }): number;
  choice<T extends ParamValue>(name: string, values: readonly T[], opts?: { default?: T }): T;
  boolean(name: string, opts?: { default?: boolean }): boolean;
  fixed<T extends ParamValue>(name: string, value: T): T;
}
