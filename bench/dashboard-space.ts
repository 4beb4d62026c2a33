// The space of bench/dashboard.ts: the quick space with a continuous learning rate, so a
// 10,000-trial study never runs out of new configurations.
import { defineSearchSpace } from '../src/space/define.js';
import type { HiddenLayer } from '../src/space/types.js';

export default defineSearchSpace({
  name: 'dashboard-bench',
  description: 'Small MLP (1-2 layers of 8-32 units) with a log-uniform learning rate',
  build(hp) {
    const layers = hp.int('layers', 1, 2);
    const activation = hp.choice('activation', ['relu', 'tanh'] as const);
    const widths = [hp.choice('units_1', [8, 16, 32])];
    if (layers === 2) widths.push(hp.choice('units_2', [8, 16, 32]));
    const hidden: HiddenLayer[] = widths.map((units) => ({ units, activation, initializer: 'glorotUniform' }));
    return {
      model: { kind: 'mlp', hidden },
      training: {
        optimizer: hp.choice('optimizer', ['adam', 'sgd'] as const),
        learningRate: hp.float('learning_rate', 1e-3, 1e-1, { sampling: 'log' }),
        batchSize: hp.choice('batch_size', [16, 32]),
        epochs: hp.fixed('epochs', 20),
        earlyStopping: { patience: hp.fixed('patience', 5) },
      },
    };
  },
});
