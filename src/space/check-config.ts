// The training settings and MLP description a space's build(hp) returns, checked when the
// configuration is built: a wrong value is one line naming the setting and what it may
// be, not a crash deep in tfjs (an unknown optimizer), a silent misfit (a negative
// learning rate trains by gradient ascent) or an accepted nonsense (dropout 1.5).
import { GradtuneError } from '../errors.js';
import type { TrialConfig } from './types.js';

export const OPTIMIZERS = ['sgd', 'momentum', 'rmsprop', 'adam', 'adamax', 'adagrad'] as const;
export const ACTIVATIONS = ['relu', 'elu', 'selu', 'leakyRelu', 'tanh', 'sigmoid', 'linear'] as const;
export const INITIALIZERS = ['glorotUniform', 'glorotNormal', 'heNormal', 'heUniform', 'leCunNormal', 'randomNormal'] as const;
export const DECAYS = ['constant', 'cosine', 'exponential'] as const;

type Check = (value: unknown) => boolean;
const positive: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const nonNegative: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const wholeFrom = (min: number): Check => (v) => typeof v === 'number' && Number.isInteger(v) && v >= min;
const oneOf = (values: readonly string[]): Check => (v) => typeof v === 'string' && values.includes(v);

function require(where: string, setting: string, value: unknown, ok: Check, allowed: string): void {
  if (!ok(value)) {
    const shown = typeof value === 'string' ? `"${value}"` : typeof value === 'object' ? JSON.stringify(value) : String(value);
    throw new GradtuneError(`${where}: ${setting} is ${shown}; it must be ${allowed}`);
  }
}

/** Throws a GradtuneError naming the first setting out of its range. `where` names the space. */
export function checkTrialConfig(config: TrialConfig, where: string): void {
  const t = config.training;
  require(where, 'training.optimizer', t.optimizer, oneOf(OPTIMIZERS), `one of ${OPTIMIZERS.join(', ')}`);
  require(where, 'training.learningRate', t.learningRate, positive, 'a number > 0');
  require(where, 'training.batchSize', t.batchSize, wholeFrom(1), 'a whole number >= 1');
  if (t.epochs !== undefined) require(where, 'training.epochs', t.epochs, wholeFrom(1), 'a whole number >= 1');
  if (t.warmupEpochs !== undefined) require(where, 'training.warmupEpochs', t.warmupEpochs, nonNegative, 'a number >= 0');
  if (t.decay !== undefined) require(where, 'training.decay', t.decay, oneOf(DECAYS), `one of ${DECAYS.join(', ')}`);
  if (t.decayRate !== undefined) require(where, 'training.decayRate', t.decayRate, (v) => positive(v) && (v as number) <= 1, 'a number in (0, 1]');
  if (t.clip !== undefined) {
    require(where, 'training.clip.kind', t.clip?.kind, oneOf(['none', 'norm', 'value']), 'none, norm or value');
    if (t.clip.kind !== 'none') require(where, `training.clip.value (clip by ${t.clip.kind})`, t.clip.value, positive, 'a number > 0');
  }
  if (t.earlyStopping !== undefined) {
    require(where, 'training.earlyStopping.patience', t.earlyStopping?.patience, wholeFrom(1), 'a whole number >= 1');
    if (t.earlyStopping.minDelta !== undefined) require(where, 'training.earlyStopping.minDelta', t.earlyStopping.minDelta, nonNegative, 'a number >= 0');
  }
  if (config.model.kind !== 'mlp') return;
  config.model.hidden.forEach((layer, i) => {
    const at = `model.hidden[${i}]`;
    require(where, `${at}.units`, layer.units, wholeFrom(1), 'a whole number >= 1');
    require(where, `${at}.activation`, layer.activation, oneOf(ACTIVATIONS), `one of ${ACTIVATIONS.join(', ')}`);
    require(where, `${at}.initializer`, layer.initializer, oneOf(INITIALIZERS), `one of ${INITIALIZERS.join(', ')}`);
    if (layer.initStddev !== undefined) require(where, `${at}.initStddev`, layer.initStddev, positive, 'a number > 0');
    if (layer.dropout !== undefined) require(where, `${at}.dropout`, layer.dropout, (v) => nonNegative(v) && (v as number) < 1, 'a number in [0, 1)');
    if (layer.l1 !== undefined) require(where, `${at}.l1`, layer.l1, nonNegative, 'a number >= 0');
    if (layer.l2 !== undefined) require(where, `${at}.l2`, layer.l2, nonNegative, 'a number >= 0');
    if (layer.batchNorm !== undefined) require(where, `${at}.batchNorm`, layer.batchNorm, (v) => typeof v === 'boolean', 'true or false');
  });
}
