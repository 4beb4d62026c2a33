// A small, fast space for trying gradtune out: on iris a trial takes about a second.
//   gradtune search --space quick --dataset iris --max-trials 20
//
// `build(hp)` runs once per trial; each `hp.*` call declares a parameter and returns the
// value chosen for this trial. A parameter declared inside an `if` exists only when the
// `if` is taken: `units_2` is part of a configuration only when `layers` is 2.
import { defineSearchSpace } from '../src/space/define.js';
import type { HiddenLayer } from '../src/space/types.js';

export default defineSearchSpace({
  name: 'quick',
  description: 'Small MLP (1-2 layers of 8-32 units), ~20 epochs: a fast first search',
  build(hp) {
    const layers = hp.int('layers', 1, 2);
    const activation = hp.choice('activation', ['relu', 'tanh'] as const);

    const widths = [hp.choice('units_1', [8, 16, 32], { default: 16 })];
    if (layers === 2) {
      // Conditional: absent from (and not searched for) one-layer configurations.
      widths.push(hp.choice('units_2', [8, 16, 32], { default: 16 }));
    }
    // Not every setting has to be a parameter: a constant keeps the space small.
    const hidden: HiddenLayer[] = widths.map((units) => ({ units, activation, initializer: 'glorotUniform' }));

    return {
      model: { kind: 'mlp', hidden },
      training: {
        optimizer: hp.choice('optimizer', ['adam', 'sgd'] as const),
        // Three decades as a choice (not a float) keep the space finite, so grid search
        // can walk it as is: `gradtune search --algo grid --space quick`.
        learningRate: hp.choice('learning_rate', [1e-3, 1e-2, 1e-1], { default: 1e-2 }),
        batchSize: hp.choice('batch_size', [16, 32]),
        // Fixed parameters are recorded with each trial but never searched.
        epochs: hp.fixed('epochs', 20),
        earlyStopping: { patience: hp.fixed('patience', 5) },
      },
    };
  },
});
