// The constructed cases of bench/diagnostics-accuracy.ts: configurations built to have
// their gradients vanish or explode, the classic ways. Whether one of them *genuinely*
// did is decided afterwards from how it trained with rejection off (see the benchmark):
// some of them train anyway, and then they count as what they turned out to be.
//
//   vanishing: deep (4-10 layers) sigmoid or tanh stacks with small random-normal weights
//              (stddev 0.001-0.05) or Glorot weights, plain or adaptive optimizers;
//   exploding: ReLU-family or tanh networks with large random-normal weights (stddev
//              0.5-3) or He weights, and learning rates far too large for their
//              optimizer (SGD/momentum 0.5-20, Adam/RMSprop 0.05-2), never clipped.
import { defineSearchSpace } from '../src/space/define.js';
import type { Activation, HiddenLayer, Initializer, OptimizerName } from '../src/space/types.js';

export default defineSearchSpace({
  name: 'diagnostics-accuracy',
  description: 'networks built to vanish or explode, for measuring the gradient monitor',
  build(hp) {
    const family = hp.choice('family', ['vanishing', 'exploding'] as const);
    const optimizer = hp.choice('optimizer', ['sgd', 'momentum', 'adam', 'rmsprop'] as const) as OptimizerName;
    const adaptive = optimizer === 'adam' || optimizer === 'rmsprop';
    const batchSize = hp.choice('batch_size', [16, 32, 64, 128], { default: 32 });
    const units = hp.choice('units', [16, 32, 64, 128], { default: 32 });
    let layers: number;
    let activation: Activation;
    let initializer: Initializer;
    let initStddev: number | undefined;
    let learningRate: number;
    if (family === 'vanishing') {
      layers = hp.int('layers', 4, 10);
      activation = hp.choice('activation', ['sigmoid', 'tanh'] as const);
      initializer = hp.choice('initializer', ['randomNormal', 'glorotUniform'] as const);
      initStddev = initializer === 'randomNormal' ? hp.choice('init_stddev', [0.001, 0.01, 0.05]) : undefined;
      learningRate = adaptive ? hp.float('learning_rate', 1e-4, 1e-2, { sampling: 'log' }) : hp.float('learning_rate', 1e-2, 1, { sampling: 'log' });
    } else {
      layers = hp.int('layers', 2, 8);
      activation = hp.choice('activation', ['relu', 'leakyRelu', 'elu', 'tanh'] as const);
      initializer = hp.choice('initializer', ['randomNormal', 'heNormal'] as const);
      initStddev = initializer === 'randomNormal' ? hp.float('init_stddev', 0.5, 3, { sampling: 'log' }) : undefined;
      learningRate = adaptive ? hp.float('learning_rate', 0.05, 2, { sampling: 'log' }) : hp.float('learning_rate', 0.5, 20, { sampling: 'log' });
    }
    const hidden: HiddenLayer[] = Array.from({ length: layers }, () => ({ units, activation, initializer, initStddev }));
    return {
      model: { kind: 'mlp', hidden },
      // No early stopping: a case trains its whole budget, so its outcome is clear.
      training: { optimizer, learningRate, batchSize, clip: { kind: 'none' } },
    };
  },
});
