// The configurations bench/overhead.ts trains both ways. Only what model.fit can do
// too: no warmup/decay schedule, no gradient clipping, no early stopping, fixed epochs.
import { defineSearchSpace } from '../src/space/define.js';
import type { HiddenLayer } from '../src/space/types.js';

export const BENCH_EPOCHS = 10;

export default defineSearchSpace({
  name: 'overhead-bench',
  description: 'MLPs on digits with fixed epochs, comparable with model.fit',
  build(hp) {
    const layers = hp.int('layers', 1, 3);
    const activation = hp.choice('activation', ['relu', 'tanh', 'elu'] as const);
    const batchNorm = hp.boolean('batch_norm');
    const dropout = hp.choice('dropout', [0, 0.2]);
    const hidden: HiddenLayer[] = [];
    for (let i = 1; i <= layers; i++) {
      hidden.push({ units: hp.int(`units_${i}`, 32, 256, { sampling: 'log' }), activation, initializer: 'glorotUniform', batchNorm, dropout });
    }
    return {
      model: { kind: 'mlp', hidden },
      training: {
        optimizer: hp.choice('optimizer', ['adam', 'sgd', 'rmsprop'] as const),
        learningRate: hp.float('learning_rate', 1e-3, 3e-2, { sampling: 'log' }),
        batchSize: hp.choice('batch_size', [32, 64, 128]),
        epochs: BENCH_EPOCHS,
      },
    };
  },
});
