// The cures a practitioner tries for each finding, in the order they would try them (the
// classic guidance the issue quotes), each as a test on what a change of parameter did to
// the configuration: the cure applies to this configuration, the change achieved it, and
// how much one achieving change is preferred over another (lower first).
import type { FindingKind } from '../train/diagnostics-types.js';
import type { AspectName, Aspects } from './aspects.js';

export interface Cure {
  /** Shown to the user: `ReLU-family activation`. */
  name: string;
  /** The aspects the cure is about; any other aspect the change moves is a side effect. */
  aspects: AspectName[];
  /** Whether the cure makes sense for this configuration at all. */
  applies(before: Aspects): boolean;
  /** Whether the changed configuration has the cure. */
  achieved(before: Aspects, after: Aspects): boolean;
  /** Among changes that achieve it, lower is preferred. */
  preference(before: Aspects, after: Aspects): number;
}

const SATURATING = new Set(['sigmoid', 'tanh']);
const RELU_FAMILY = ['relu', 'leakyRelu', 'elu', 'selu'];
const NOT_RELU = ['leakyRelu', 'elu', 'selu'];
const SCALED_INIT = ['heNormal', 'heUniform', 'glorotUniform', 'glorotNormal', 'leCunNormal'];
const ADAPTIVE = ['adam', 'rmsprop', 'adamax', 'adagrad'];

const rank = (list: readonly string[], value: string) => {
  const i = list.indexOf(value);
  return i < 0 ? list.length : i;
};
/** Distance in orders of magnitude: how far `value` is from the `target` a practitioner would pick. */
const decades = (value: number, target: number) => Math.abs(Math.log10(value / target));
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const isRandomNormal = (init: string) => init.startsWith('randomNormal');

const reluActivation: Cure = {
  name: 'ReLU-family activation',
  aspects: ['activation'],
  applies: (b) => b.activation.some((a) => SATURATING.has(a)),
  achieved: (b, a) => a.activation.length === b.activation.length && a.activation.every((x, i) => (SATURATING.has(b.activation[i]) ? RELU_FAMILY.includes(x) : x === b.activation[i])),
  preference: (_b, a) => rank(RELU_FAMILY, a.activation[0]),
};

const scaledInit: Cure = {
  name: 'He or Glorot initialisation',
  aspects: ['initializer'],
  applies: (b) => b.initializer.some(isRandomNormal),
  achieved: (b, a) => a.initializer.length === b.initializer.length && a.initializer.every((x) => SCALED_INIT.includes(x)),
  // He for the ReLU family, Glorot for sigmoid/tanh.
  preference: (b, a) => {
    const relu = RELU_FAMILY.includes(b.activation[0] ?? 'relu');
    return rank(relu ? ['heNormal', 'heUniform', 'glorotUniform', 'glorotNormal', 'leCunNormal'] : ['glorotUniform', 'glorotNormal', 'leCunNormal', 'heNormal', 'heUniform'], a.initializer[0]);
  },
};

const heInit: Cure = {
  name: 'He initialisation',
  aspects: ['initializer'],
  applies: (b) => b.activation.includes('relu') && b.initializer.some((i) => !i.startsWith('he')),
  achieved: (b, a) => a.initializer.length === b.initializer.length && a.initializer.every((x) => x.startsWith('he')),
  preference: (_b, a) => rank(['heNormal', 'heUniform'], a.initializer[0]),
};

const glorotInit: Cure = {
  name: 'Glorot initialisation',
  aspects: ['initializer'],
  applies: (b) => b.initializer.some((i) => !i.startsWith('glorot')),
  achieved: (b, a) => a.initializer.length === b.initializer.length && a.initializer.every((x) => x.startsWith('glorot')),
  preference: (_b, a) => rank(['glorotUniform', 'glorotNormal'], a.initializer[0]),
};

const batchNorm: Cure = {
  name: 'batch normalisation',
  aspects: ['batchNorm'],
  applies: (b) => b.batchNorm.length > 0 && b.batchNorm.some((x) => !x),
  achieved: (b, a) => a.batchNorm.length === b.batchNorm.length && a.batchNorm.every((x) => x),
  preference: () => 0,
};

const fewerLayers: Cure = {
  name: 'fewer layers',
  aspects: ['units'],
  applies: (b) => b.units.length > 2,
  achieved: (b, a) => a.units.length >= 1 && a.units.length < b.units.length,
  // Halving the depth (as far as the space goes).
  preference: (b, a) => Math.abs(a.units.length - Math.max(2, Math.ceil(b.units.length / 2))),
};

const residual: Cure = {
  name: 'residual connections',
  aspects: ['residual'],
  applies: (b) => !b.residual && b.units.length >= 2,
  achieved: (_b, a) => a.residual,
  preference: () => 0,
};

const clipping: Cure = {
  name: 'gradient clipping',
  aspects: ['clip'],
  applies: (b) => b.clip === 'none',
  achieved: (_b, a) => a.clip !== 'none',
  // By the global norm (as Keras's global_clipnorm) before clipping each value.
  preference: (_b, a) => (a.clip.startsWith('norm') ? 0 : 1),
};

const lowerRate: Cure = {
  name: 'a lower learning rate',
  aspects: ['learningRate'],
  applies: () => true,
  achieved: (b, a) => a.learningRate <= b.learningRate / 2,
  preference: (b, a) => decades(a.learningRate, b.learningRate / 10),
};

const warmup: Cure = {
  name: 'learning-rate warmup',
  aspects: ['warmupEpochs'],
  applies: (b) => b.warmupEpochs === 0,
  achieved: (_b, a) => a.warmupEpochs > 0,
  preference: (_b, a) => Math.abs(a.warmupEpochs - 2),
};

const adaptive: Cure = {
  name: 'an adaptive optimizer (Adam)',
  aspects: ['optimizer'],
  applies: (b) => !ADAPTIVE.includes(b.optimizer),
  achieved: (_b, a) => ADAPTIVE.includes(a.optimizer),
  preference: (_b, a) => rank(ADAPTIVE, a.optimizer),
};

const higherRate: Cure = {
  name: 'a larger learning rate',
  aspects: ['learningRate'],
  applies: () => true,
  achieved: (b, a) => a.learningRate >= b.learningRate * 2,
  preference: (b, a) => decades(a.learningRate, b.learningRate * 10),
};

const schedule: Cure = {
  name: 'a learning-rate schedule',
  aspects: ['decay', 'warmupEpochs'],
  applies: (b) => b.decay === 'constant' && b.warmupEpochs === 0,
  achieved: (_b, a) => a.decay !== 'constant' || a.warmupEpochs > 0,
  preference: (_b, a) => (a.decay === 'cosine' ? 0 : a.decay !== 'constant' ? 1 : 2),
};

const dropout: Cure = {
  name: 'dropout',
  aspects: ['dropout'],
  applies: (b) => b.dropout.length > 0 && Math.max(...b.dropout) < 0.5,
  achieved: (b, a) => a.dropout.length === b.dropout.length && a.dropout.every((x, i) => x > b.dropout[i]),
  preference: (_b, a) => Math.abs(a.dropout[0] - 0.3),
};

const penalty: Cure = {
  name: 'an L2 (or L1) weight penalty',
  aspects: ['l2', 'l1'],
  applies: (b) => b.l2.length > 0,
  achieved: (b, a) => a.l2.length === b.l2.length && (a.l2.every((x, i) => x > b.l2[i]) || a.l1.every((x, i) => x > b.l1[i])),
  // L2 at 1e-4 first, then L1.
  preference: (b, a) => (a.l2.every((x, i) => x > b.l2[i]) ? decades(a.l2[0], 1e-4) : 10 + decades(a.l1[0], 1e-5)),
};

const earlierStop: Cure = {
  name: 'earlier stopping',
  aspects: ['patience', 'epochs'],
  applies: (b) => b.patience === null || b.patience > 3,
  achieved: (b, a) => (a.patience !== null && (b.patience === null || a.patience < b.patience)) || (b.epochs !== null && a.epochs !== null && a.epochs < b.epochs),
  preference: (_b, a) => (a.patience !== null ? Math.abs(a.patience - 3) : 10),
};

const smallerNetwork: Cure = {
  name: 'a smaller network',
  aspects: ['units'],
  applies: (b) => sum(b.units) > 16,
  achieved: (b, a) => a.units.length >= 1 && sum(a.units) < sum(b.units),
  // Half the widest layer first; dropping layers after that.
  preference: (b, a) => {
    if (a.units.length !== b.units.length) return 2 + Math.abs(a.units.length / b.units.length - 0.5);
    const changed = b.units.findIndex((u, i) => a.units[i] !== u);
    const widest = b.units[changed] === Math.max(...b.units) ? 0 : 1;
    return widest + Math.abs(a.units[changed] / b.units[changed] - 0.5);
  },
};

const leakyActivation: Cure = {
  name: 'leaky ReLU or ELU activation',
  aspects: ['activation'],
  applies: (b) => b.activation.includes('relu'),
  achieved: (b, a) => a.activation.length === b.activation.length && a.activation.every((x, i) => (b.activation[i] === 'relu' ? NOT_RELU.includes(x) : x === b.activation[i])),
  preference: (_b, a) => rank(NOT_RELU, a.activation[0]),
};

/** Cures in the order to try them, per finding; "more data" is no parameter and left to the user. */
export const CURES: Record<FindingKind, readonly Cure[]> = {
  vanishing: [reluActivation, scaledInit, batchNorm, fewerLayers, residual],
  exploding: [clipping, lowerRate, warmup, batchNorm, scaledInit],
  'slow-training': [adaptive, higherRate, schedule],
  overfitting: [dropout, penalty, earlierStop, smallerNetwork],
  'dead-units': [leakyActivation, lowerRate, heInit, batchNorm],
  saturation: [reluActivation, batchNorm, glorotInit, lowerRate],
};

/** Cures no parameter can express, said alongside the remedies. */
export const ADVICE: Partial<Record<FindingKind, string>> = {
  overfitting: 'more training data',
};
