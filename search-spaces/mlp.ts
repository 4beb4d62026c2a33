// The default search space: a multilayer perceptron, with most of what matters when
// training one. Copy this file to start your own space, then run
// `gradtune search --space ./my-space.ts ...`.
//
// `build(hp)` runs once per trial. Each `hp.*` call declares a parameter *and* returns
// the value chosen for this trial (define-by-run, as in Keras Tuner and Optuna), so a
// parameter declared inside an `if` or a loop only exists when it is reached: units_5
// is only part of a configuration whose `layers` is 5 or more.
//
// Defaults (`default:`) are the configuration you would try by hand first; without one
// a parameter defaults to its minimum, its first choice, or false.
import { defineSearchSpace } from '../src/space/define.js';
import type { Activation, ClipSetting, DecayKind, HiddenLayer, Initializer, OptimizerName } from '../src/space/types.js';

const ACTIVATIONS: readonly Activation[] = ['relu', 'elu', 'selu', 'leakyRelu', 'tanh', 'sigmoid'];
const INITIALIZERS: readonly Initializer[] = ['glorotUniform', 'heNormal', 'leCunNormal', 'randomNormal'];
const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'rmsprop', 'adam', 'adamax', 'adagrad'];
const DECAYS: readonly DecayKind[] = ['constant', 'cosine', 'exponential'];
// Regularisation strengths are orders of magnitude apart, so a short list covers them.
const PENALTIES = [0, 1e-5, 1e-4, 1e-3];

export default defineSearchSpace({
  name: 'mlp',
  description: 'Multilayer perceptron: depth, width, activation, regularisation, optimizer and schedule',
  build(hp) {
    // --- Architecture ---------------------------------------------------------------
    const layers = hp.int('layers', 1, 6, { default: 2 });
    // One width per layer. Log sampling: 8 → 16 matters as much as 256 → 512.
    const widths: number[] = [];
    for (let i = 1; i <= layers; i++) {
      widths.push(hp.int(`units_${i}`, 8, 512, { sampling: 'log', default: 64 }));
    }
    // Shared by all hidden layers: per-layer choices multiply the space for little gain.
    const activation = hp.choice('activation', ACTIVATIONS, { default: 'relu' });
    const initializer = hp.choice('initializer', INITIALIZERS, { default: 'glorotUniform' });
    const batchNorm = hp.boolean('batch_norm');
    const dropout = hp.float('dropout', 0, 0.5, { step: 0.05 });
    const l1 = hp.choice('l1', PENALTIES);
    const l2 = hp.choice('l2', PENALTIES);

    const hidden: HiddenLayer[] = widths.map((units) => ({
      units,
      activation,
      initializer,
      batchNorm,
      dropout,
      l1,
      l2,
    }));

    // --- Training -------------------------------------------------------------------
    const optimizer = hp.choice('optimizer', OPTIMIZERS, { default: 'adam' });
    const learningRate = hp.float('learning_rate', 1e-4, 1e-1, { sampling: 'log', default: 1e-3 });
    const warmupEpochs = hp.int('warmup_epochs', 0, 5);
    const decay = hp.choice('decay', DECAYS);
    const batchSize = hp.choice('batch_size', [16, 32, 64, 128, 256, 512], { default: 32 });

    // A conditional parameter: the clipping threshold only exists when clipping is on.
    const clipKind = hp.choice('clip', ['none', 'norm', 'value'] as const);
    const clip: ClipSetting =
      clipKind === 'none' ? { kind: 'none' } : { kind: clipKind, value: hp.float('clip_value', 0.5, 5, { sampling: 'log', default: 1 }) };

    const patience = hp.int('patience', 2, 10, { default: 5 });
    // The study's --max-epochs caps this; early stopping usually ends training sooner.
    const epochs = hp.int('epochs', 10, 50, { step: 10, default: 30 });

    // Skip connections around the hidden layers after the first (projected where widths
    // differ): a remedy for vanishing gradients in deep stacks. Conditional: one layer has
    // nothing to skip. Declared last, so that it changed no earlier parameter's draw.
    const residual = layers >= 2 ? hp.boolean('residual') : false;

    return {
      model: { kind: 'mlp', hidden, residual },
      training: {
        optimizer,
        learningRate,
        batchSize,
        epochs,
        warmupEpochs,
        decay,
        clip,
        earlyStopping: { patience },
      },
    };
  },
});
