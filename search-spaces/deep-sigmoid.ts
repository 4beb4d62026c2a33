// A space for watching the gradient monitor work. It mixes the classic causes of
// vanishing and exploding gradients with their remedies, so a random search on it
// rejects a good share of its trials and records why.
//   gradtune search --space deep-sigmoid --dataset digits --max-trials 20
//   gradtune report --study deep-sigmoid-digits      (each trial's gradient verdict)
//
// The causes:
//   - deep stacks (4-10 layers) of sigmoid or tanh: each saturating layer multiplies the
//     backward signal by at most 0.25 (sigmoid) or 1 (tanh), and usually by far less;
//   - random-normal initial weights of the wrong scale: stddev 0.01 shrinks the signal at
//     every layer, forwards and backwards; stddev 1 blows it up;
//   - plain SGD with very high learning rates (up to 10) and no clipping: the weights
//     overshoot and grow, and so do the gradients, until the loss is NaN.
// The remedies:
//   - ReLU-family activations, which pass the gradient through unchanged where active;
//   - residual connections, which carry it past every layer along an identity path;
//   - He or Glorot initialisation, scaled so that a layer keeps its input's variance;
//   - batch normalisation, which re-centres and re-scales every layer's pre-activations;
//   - clipping the gradient by its global norm, which bounds every step.
//
// Most rejections come at the end of the preflight probe (the first 40 steps, inside the
// first epoch). Trials are small and short (16-64 units, 10 epochs, patience 3), so 20
// trials take well under a minute on 2 cores.
//
// `build(hp)` runs once per trial; each `hp.*` call declares a parameter and returns this
// trial's value (define-by-run): `init_stddev` exists only for randomNormal
// initialisation, and `clip_norm` only when the stabiliser is clipping.
import { defineSearchSpace } from '../src/space/define.js';
import type { Activation, ClipSetting, HiddenLayer, Initializer } from '../src/space/types.js';

// Two saturating activations (the cause) and two from the ReLU family (the remedy).
const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'tanh', 'relu', 'leakyRelu'];
// randomNormal (with init_stddev) is the cause. He (made for ReLU) and Glorot (made for
// sigmoid/tanh) are the remedies.
const INITIALIZERS: readonly Initializer[] = ['randomNormal', 'heNormal', 'glorotUniform'];

export default defineSearchSpace({
  name: 'deep-sigmoid',
  description: 'Deep sigmoid/tanh stacks, bad init and huge SGD learning rates vs ReLU, He/Glorot, batch norm and clipping: gradients vanish and explode',
  build(hp) {
    // --- Architecture ---------------------------------------------------------------
    // Depth makes a small loss of signal per layer fatal: 0.25^10 ≈ 1e-6.
    const layers = hp.int('layers', 4, 10, { default: 4 });
    // One width for every layer. Width matters little here, and small layers keep trials fast.
    const units = hp.choice('units', [16, 32, 64], { default: 32 });
    const activation = hp.choice('activation', ACTIVATIONS, { default: 'relu' });
    const initializer = hp.choice('initializer', INITIALIZERS, { default: 'heNormal' });
    // Conditional: only randomNormal has a free scale. Both values are wrong for a deep
    // stack: 0.01 shrinks the signal at every layer (vanishing), and 1 multiplies it by
    // about sqrt(units / 2) (exploding). He would use sqrt(2 / fan-in), 0.18-0.35 here.
    const initStddev = initializer === 'randomNormal' ? hp.choice('init_stddev', [0.01, 1], { default: 0.01 }) : undefined;
    // At most one stabiliser per trial, so the leaderboard shows what each remedy does on
    // its own: batch normalisation (after every hidden layer) or clipping (during training).
    const stabilizer = hp.choice('stabilizer', ['none', 'batchNorm', 'clipNorm'] as const);
    const batchNorm = stabilizer === 'batchNorm';

    const hidden: HiddenLayer[] = Array.from({ length: layers }, () => ({ units, activation, initializer, initStddev, batchNorm }));

    // --- Training -------------------------------------------------------------------
    // Plain SGD, with or without momentum, so the learning rate decides everything:
    // 0.05-0.5 trains, and above ~1 a deep ReLU network with no stabiliser diverges.
    const optimizer = hp.choice('optimizer', ['sgd', 'momentum'] as const, { default: 'sgd' });
    const learningRate = hp.float('learning_rate', 0.05, 10, { sampling: 'log', default: 0.1 });

    // Clipping by global norm: the remedy for a step that would be too large.
    const clip: ClipSetting =
      stabilizer === 'clipNorm' ? { kind: 'norm', value: hp.float('clip_norm', 0.5, 5, { sampling: 'log', default: 1 }) } : { kind: 'none' };

    // Residual connections around every layer after the first: the signal reaches the first
    // layers along the skips, whatever the activations do to it. Declared last, so that it
    // changed no earlier parameter's draw.
    const residual = hp.boolean('residual');

    return {
      model: { kind: 'mlp', hidden, residual },
      training: {
        optimizer,
        learningRate,
        batchSize: 32,
        // Fixed values are recorded with each trial but never searched. Short trials keep the search fast.
        epochs: hp.fixed('epochs', 10),
        earlyStopping: { patience: hp.fixed('patience', 3) },
        clip,
      },
      // A space may set the monitor's thresholds for its own trials; a run's flags
      // (here --update-ratio-floor) override them. The default update-ratio floor, 1e-9,
      // has to suit every optimizer and learning rate. In this space every trial is plain
      // SGD at a rate of 0.05 or more for about 450 steps. A first layer whose steps are
      // under 1e-5 of its weights' norm moves by under 0.5% in the whole trial, so it is
      // frozen. On digits such trials train to chance (10%), while trials that learn move
      // their first layer by 1e-4 of its norm per step or more.
      diagnostics: { updateRatioFloor: 1e-5 },
    };
  },
});
