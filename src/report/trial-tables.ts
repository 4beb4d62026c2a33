// The two per-epoch tables of the single-trial report: gradient statistics per layer, and
// the training metrics. Cells are formatted here; render.ts draws them as text or markdown.
import type { EpochGradientStats, LayerGradientStats } from '../train/diagnostics-types.js';
import { formatReading } from '../train/diagnostics.js';
import type { EpochRecord } from '../train/types.js';
import { formatParam, formatScore } from './columns.js';
import type { Grid } from './render.js';

/** Written under the gradient table: what its numbers are, so they can be compared with the thresholds. */
export const GRADIENT_TABLE_NOTE =
  "L2 norms, means over the epoch's checks; update ratio = learning rate × kernel grad / weight; " +
  'saturated / dead: fractions of units on the probe batch';

/**
 * One row per epoch and layer, the epoch and its global gradient norm on the epoch's first
 * row only (they belong to the epoch, not to a layer). The saturated and dead columns
 * appear only when some layer has them (sigmoid/tanh and ReLU-family layers); a layer
 * without one leaves the cell empty, a layer without bias shows `-`.
 */
export function gradientGrid(epochs: readonly EpochGradientStats[]): Grid {
  const all = epochs.flatMap((e) => e.layers);
  const optional = (['saturated', 'dead'] as const).filter((k) => all.some((l) => l[k] !== undefined));
  const cell = (l: LayerGradientStats, k: (typeof optional)[number]) => (l[k] === undefined ? '' : formatReading(l[k]));
  const rows = epochs.flatMap((e) =>
    e.layers.map((l, i) => [
      i === 0 ? `${e.epoch}${e.partial ? ' (partial)' : ''}` : '',
      l.layer,
      formatReading(l.kernelGrad),
      l.biasGrad === null ? '-' : formatReading(l.biasGrad),
      formatReading(l.weight),
      formatReading(l.updateRatio),
      ...optional.map((k) => cell(l, k)),
      i === 0 ? formatReading(e.globalGrad) : '',
    ]),
  );
  return {
    head: ['epoch', 'layer', 'kernel grad', 'bias grad', 'weight', 'update ratio', ...optional, 'global grad'],
    align: ['right', 'left', 'right', 'right', 'right', 'right', ...optional.map(() => 'right' as const), 'right'],
    rows,
  };
}

/**
 * One row per epoch: every metric the trial recorded (loss, val_loss, then accuracy or
 * mae and their validation twins, in the order training wrote them) and the learning
 * rate. Metrics get the leaderboard's four significant digits, so the best epoch can be
 * found by eye; the learning rate is written like the parameter it came from.
 */
export function historyGrid(history: readonly EpochRecord[]): Grid {
  const metrics: string[] = [];
  for (const record of history) {
    for (const key of Object.keys(record)) {
      if (key !== 'epoch' && key !== 'learningRate' && !metrics.includes(key)) metrics.push(key);
    }
  }
  const value = (v: number | undefined) => (v === undefined ? '' : formatScore(v));
  return {
    head: ['epoch', ...metrics, 'learning rate'],
    align: ['right', ...metrics.map(() => 'right' as const), 'right'],
    rows: history.map((r) => [String(r.epoch), ...metrics.map((m) => value(r[m])), formatParam(r.learningRate)]),
  };
}
