// `--pruner none` (the default): every trial runs to its end. Optuna's NopPruner.
import type { Pruner } from './types.js';

export const nonePruner: Pruner = { name: 'none', prune: () => false };
