import { readFileSync } from 'node:fs';
import { decodeLenient } from '../src/store/codec.js';
import { expandReadings } from '../src/train/diagnostics.js';
import { CACHE, type Collection } from './diagnostics-accuracy-collect.js';
const c = decodeLenient<Collection>(readFileSync(CACHE, 'utf8'));
const sustained = (xs: number[], k = 3) => { let best = Infinity; for (let i = 0; i + k <= xs.length; i++) best = Math.min(best, Math.max(...xs.slice(i, i + k))); return best; };
const best = new Map<string, number>(); for (const t of c.trials) best.set(t.dataset, Math.max(best.get(t.dataset) ?? 0, t.score ?? 0));
const chance = new Map(c.datasets.map((d) => [d.name, d.chance]));
const rows = c.trials.map((t) => {
  const r = expandReadings(t.readings!);
  const ratio = sustained(r.map((x) => x.layers[0].kernelGrad / x.layers[x.layers.length - 1].kernelGrad));
  const first = sustained(r.map((x) => x.layers[0].kernelGrad));
  const upd = sustained(r.map((x) => x.layers[0].updateRatio));
  const healthy = (t.score ?? 0) >= chance.get(t.dataset)! + 0.8 * (best.get(t.dataset)! - chance.get(t.dataset)!);
  return { t, ratio, first, upd, healthy };
});
const h = rows.filter((x) => x.healthy);
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
for (const k of ['ratio', 'first', 'upd'] as const) console.log(k, 'healthy min', q(h.map((x) => x[k]), 0).toExponential(1), 'p1', q(h.map((x) => x[k]), 0.01).toExponential(1), 'p5', q(h.map((x) => x[k]), 0.05).toExponential(1));
for (const [s, n] of [['mlp-digits', 247], ['cases-digits', 41]] as const) { const x = rows.find((y) => y.t.study === s && y.t.number === n)!; console.log(s, n, x.ratio.toExponential(1), x.first.toExponential(1), x.upd.toExponential(1)); }
console.log(h.sort((a, b) => a.ratio - b.ratio).slice(0, 5).map((x) => `${x.t.study}#${x.t.number} ${x.t.config.layers}x${x.t.config.activation} ${x.t.config.optimizer} ratio ${x.ratio.toExponential(1)} upd ${x.upd.toExponential(1)}`));
console.log(h.sort((a, b) => a.upd - b.upd).slice(0, 5).map((x) => `${x.t.study}#${x.t.number} ${x.t.config.layers}x${x.t.config.activation} ${x.t.config.optimizer} ${x.t.config.learningRate.toPrecision(2)} ratio ${x.ratio.toExponential(1)} upd ${x.upd.toExponential(1)}`));
const sgd = h.filter((x) => ['sgd', 'momentum'].includes(x.t.config.optimizer));
console.log('healthy sgd/momentum', sgd.length);
for (const k of ['ratio', 'first', 'upd'] as const) console.log(k, 'healthy sgd min', q(sgd.map((x) => x[k]), 0).toExponential(1), 'p5', q(sgd.map((x) => x[k]), 0.05).toExponential(1));
console.log(sgd.sort((a, b) => a.upd - b.upd).slice(0, 6).map((x) => `${x.t.study}#${x.t.number} ${x.t.config.layers}x${x.t.config.activation} ${x.t.config.optimizer} ${x.t.config.learningRate.toPrecision(2)} score ${x.t.score?.toFixed(3)} upd ${x.upd.toExponential(1)}`));
