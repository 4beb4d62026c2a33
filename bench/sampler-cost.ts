// Time per suggestion of the model-based samplers, against the size of the history.
//
//   npm run bench:sampler-cost -- [--sizes 100,1000,10000] [--rounds 5] [--asks 10]
//
// A 12-parameter space (4 floats, one reverse-log; 4 ints, stepped and log-scale among
// them; 3 choices; a boolean) and a history of N finished trials (random
// configurations, scored by a smooth function of the parameters, every tenth trial
// rejected) plus 4 running ones. Each round times `asks` suggestions of every sampler
// at every size, the samplers alternating within a round (a shared machine's speed
// drifts); the median over rounds is printed, wall-clock and CPU (user + system) time
// of this process, in milliseconds per suggestion. Targets (issue 17): TPE <= 5 ms at
// 1,000 trials; GP <= 50 ms at 1,000 (its history is capped at 100 trials).
import { parseArgs } from 'node:util';
import seedrandom from 'seedrandom';
import { gpSampler } from '../src/sampler/gp.js';
import { randomSampler } from '../src/sampler/random.js';
import { tpeSampler } from '../src/sampler/tpe.js';
import type { Sampler, TrialSummary } from '../src/sampler/types.js';
import { defineSearchSpace, sampleParams } from '../src/space/define.js';
import { randomDecider } from '../src/space/sample.js';
import type { Params } from '../src/space/types.js';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '100,1000,10000' }, rounds: { type: 'string', default: '5' }, asks: { type: 'string', default: '10' } },
});
const sizes = values.sizes.split(',').map(Number);
const rounds = Number(values.rounds);
const asks = Number(values.asks);

const space = defineSearchSpace({
  name: 'bench-12',
  description: 'twelve parameters of every kind',
  build(hp) {
    const learningRate = hp.float('learning_rate', 1e-5, 1e-1, { sampling: 'log' });
    hp.float('momentum', 0, 0.99);
    hp.float('decay', 0.5, 0.999, { sampling: 'reverseLog' });
    hp.float('weight_decay', 1e-6, 1e-2, { sampling: 'log' });
    const units = hp.int('units', 8, 512, { sampling: 'log' });
    const layers = hp.int('layers', 1, 6);
    const batchSize = hp.int('batch_size', 16, 256, { step: 16 });
    hp.float('dropout', 0, 0.5, { step: 0.05 });
    hp.choice('activation', ['relu', 'tanh', 'elu', 'selu']);
    hp.choice('optimizer', ['sgd', 'adam', 'rmsprop']);
    hp.boolean('batch_norm');
    hp.choice('l2', [0, 1e-5, 1e-4, 1e-3]);
    return {
      model: { kind: 'mlp', hidden: Array.from({ length: layers }, () => ({ units, activation: 'relu' as const, initializer: 'heNormal' as const })) },
      training: { optimizer: 'adam', learningRate, batchSize },
    };
  },
});

function score(p: Params): number {
  const lr = Math.log10(p.learning_rate as number) + 3;
  const units = Math.log2(p.units as number) - 7;
  return -(lr * lr) - 0.1 * units * units - Math.abs((p.momentum as number) - 0.9) - (p.activation === 'relu' ? 0 : 0.2) - 0.05 * (p.layers as number);
}

function history(size: number): TrialSummary[] {
  const rng = seedrandom(`history:${size}`);
  const trials: TrialSummary[] = [];
  for (let n = 0; n < size + 4; n++) {
    const params = sampleParams(space, randomDecider(rng));
    const status = n >= size ? 'running' : n % 10 === 9 ? 'rejected' : 'completed';
    trials.push({ number: n, status, params, score: status === 'completed' ? score(params) : null, epochsRun: 10, toEpoch: null, parent: null });
  }
  return trials;
}

const samplers: [string, Sampler][] = [
  ['tpe (independent)', tpeSampler()],
  ['tpe (multivariate)', tpeSampler({ multivariate: true })],
  ['gp', gpSampler()],
  ['random', randomSampler()],
];
const histories = new Map(sizes.map((size) => [size, history(size)]));

/** ms per suggestion: wall and CPU. */
function time(sampler: Sampler, trials: TrialSummary[], round: number): [number, number] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < asks; i++) sampler.sample({ space, direction: 'max', rng: seedrandom(`ask:${round}:${i}`), trials });
  const cpu = process.cpuUsage(c0);
  return [(performance.now() - t0) / asks, (cpu.user + cpu.system) / 1000 / asks];
}

// Warm-up: compile the code paths before anything is timed.
for (const [, sampler] of samplers) for (const trials of histories.values()) time(sampler, trials.slice(0, 200), -1);

const wall = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  for (const size of sizes) {
    for (const [name, sampler] of samplers) {
      const [w, c] = time(sampler, histories.get(size)!, round);
      const key = `${name}@${size}`;
      wall.set(key, [...(wall.get(key) ?? []), w]);
      cpu.set(key, [...(cpu.get(key) ?? []), c]);
    }
  }
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};
console.log(`ms per suggestion, median of ${rounds} rounds of ${asks} asks (wall / CPU), 12 parameters, N finished trials + 4 running`);
console.log(['sampler'.padEnd(20), ...sizes.map((s) => `N=${s}`.padStart(18))].join(''));
for (const [name] of samplers) {
  const cells = sizes.map((size) => `${median(wall.get(`${name}@${size}`)!).toFixed(2)} / ${median(cpu.get(`${name}@${size}`)!).toFixed(2)}`.padStart(18));
  console.log([name.padEnd(20), ...cells].join(''));
}
