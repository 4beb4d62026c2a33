// How often the gradient monitor is right: a labelled benchmark of trials, each rule
// measured on its own and the monitor as a whole.
//
//   npm run bench:diagnostics-accuracy                  # analyse bench/output/diagnostics-accuracy.json (collects first if missing)
//   npm run bench:diagnostics-accuracy -- --collect     # run (or continue) the searches, rewrite the JSON, analyse
//   npm run bench:diagnostics-accuracy -- --cache-only  # rewrite the JSON from the store as it is, analyse
//   npm run bench:diagnostics-accuracy -- --from f.json # analyse another collection's JSON
//   npm run bench:diagnostics-accuracy -- --collect --only hyperband-digits   # collect some studies only
//
// The trials (bench/diagnostics-accuracy-collect.ts): a broad random sample of the `mlp`
// space on digits, breast-cancer and iris, the issue's own default Hyperband study (mlp on
// digits, --max-epochs 27), and constructed cases built to vanish or explode
// (bench/diagnostics-accuracy-space.ts), all trained with rejection off and every
// check's readings kept, so each rule can be replayed offline on what the monitor saw.
//
// Labels come from how a trial trained, never from the rules:
//   healthy            its loss stayed finite and its score came within reach of the best:
//                      at least 80% of the way from chance (the majority class) to the best
//                      score of any benchmark trial on that dataset. A user who loses such
//                      a trial loses a contender (the issue's were 2nd-4th of 140).
//   genuine exploding  its loss turned NaN or infinite; or it was built to explode (no
//                      clipping and a learning rate >= 0.5 for SGD/momentum or >= 0.05 for
//                      Adam/RMSprop, or random-normal weights of stddev >= 0.5) and its
//                      training loss ended above its first epoch's: it diverged, whatever
//                      it scored on the way (some score at epoch 1, then blow up and die).
//   genuine vanishing  it was built to vanish (4+ sigmoid/tanh layers with small
//                      random-normal weights, stddev <= 0.05, or 3+ layers of any activation
//                      with stddev <= 0.01), its training loss stayed flat (never 10% below
//                      the first check's), and it failed. Deep sigmoid stacks with Glorot or
//                      LeCun weights that fail at tiny learning rates are not counted: their
//                      first layers' gradients stay within 1e-1..1e-3 of the output layer's
//                      (as in trials that train well); they train too slowly, and the
//                      slow-training finding is theirs.
//   other              none of these (e.g. mediocre but trained, slow): not counted in
//                      either rate; the rejections among them are listed for the record.
//
// Per rule: the false rejection rate (healthy trials the rule alone would reject, with the
// 95% upper bound: 0 of N still allows up to about 3/N), the share of genuine cases of its
// kind it catches on its own, and the epochs saved on those (epochs the trial trained
// with rejection off minus those it would have trained until rejected). Targets: at most
// 1 in 200 healthy trials rejected, at least 95% of the genuine cases caught.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GradientMonitor, GRADIENT_RULES, expandReadings, ruleKind, rulesFor, type CheckReading } from '../src/train/diagnostics.js';
import { DEFAULT_DIAGNOSTICS } from '../src/train/diagnostics-settings.js';
import { findFindings } from '../src/train/findings.js';
import { decodeLenient } from '../src/store/codec.js';
import { loadDataset } from '../src/data/load.js';
import type { DiagnosticsSettings, FindingKind, GradientRuleId, Verdict } from '../src/train/diagnostics-types.js';
import { CACHE, collect, writeCache, type Collection, type CollectedTrial } from './diagnostics-accuracy-collect.js';
import { legacyGrowthFires } from './diagnostics-accuracy-legacy.js';

const { values } = parseArgs({
  options: {
    collect: { type: 'boolean', default: false },
    'cache-only': { type: 'boolean', default: false },
    scale: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
    list: { type: 'boolean', default: false },
    from: { type: 'string' },
    only: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
  },
});

type Label = 'healthy' | 'exploding' | 'vanishing' | 'other';

// --set key=value replays the rules with another threshold (e.g. --set plateauEpochs=5).
const settings: DiagnosticsSettings = { ...DEFAULT_DIAGNOSTICS };
for (const kv of values.set ?? []) {
  const [key, value] = kv.split('=');
  if (!(key in settings) || value === undefined || !Number.isFinite(Number(value))) throw new Error(`--set ${kv}: expected <setting>=<number>`);
  (settings as unknown as Record<string, number>)[key] = Number(value);
}

// --- labels ------------------------------------------------------------------------

const within = (score: number | null, chance: number, best: number, share: number) => score !== null && score >= chance + share * (best - chance);

function builtToExplode(t: CollectedTrial): boolean {
  const c = t.config;
  if (c.clip !== 'none') return false;
  const adaptive = ['adam', 'rmsprop', 'adamax', 'adagrad'].includes(c.optimizer);
  return c.learningRate >= (adaptive ? 0.05 : 0.5) || (c.initStddev !== null && c.initStddev >= 0.5);
}

function builtToVanish(t: CollectedTrial): boolean {
  const c = t.config;
  const small = c.initStddev !== null && c.initStddev <= 0.05;
  return (c.layers >= 4 && (c.activation === 'sigmoid' || c.activation === 'tanh') && small) || (c.layers >= 3 && c.initStddev !== null && c.initStddev <= 0.01);
}

function label(t: CollectedTrial, readings: CheckReading[], chance: number, best: number): Label {
  const losses = [...t.history.map((h) => h.loss), ...readings.map((r) => r.loss)];
  if (losses.some((l) => !Number.isFinite(l))) return 'exploding';
  const failed = !within(t.score, chance, best, 0.25);
  const start = readings[0]?.loss ?? t.history[0]?.loss;
  const epochLosses = t.history.map((h) => h.loss);
  if (builtToVanish(t) && failed && start !== undefined && epochLosses.length > 0 && Math.min(...epochLosses) >= 0.9 * start) return 'vanishing';
  if (builtToExplode(t) && epochLosses.length > 1 && epochLosses[epochLosses.length - 1] > epochLosses[0]) return 'exploding';
  if (within(t.score, chance, best, 0.8)) return 'healthy';
  return 'other';
}

// --- replay ------------------------------------------------------------------------

interface Firing {
  verdict: Verdict;
  /** Epochs the trial would have trained before being rejected. */
  epochsRun: number;
}

/**
 * Replays the monitor with `rules` as the training loop drives it: checks in order, the
 * preflight's read at its end (a verdict there rejects at that step), later ones at the
 * end of their epoch, and each epoch's loss as a reading of its own.
 */
function replay(t: CollectedTrial, readings: CheckReading[], stepsPerEpoch: number, rules: readonly GradientRuleId[], adaptiveAware = true): Firing | undefined {
  // As the recorder does: the gradient-size rules leave adaptive optimizers alone.
  const monitor = new GradientMonitor(settings, adaptiveAware ? rulesFor(t.config.optimizer, rules) : rules, chanceLoss(t));
  const first = t.history[0]?.epoch ?? readings[0]?.epoch ?? 1;
  const totalSteps = stepsPerEpoch * Math.max(1, t.plannedEpochs ?? t.epochsRun);
  const preflightEnd = Math.min(settings.preflightSteps, totalSteps);
  const epochsAt = (epoch: number) => epoch - first + 1;
  let i = 0;
  // The preflight probe: its checks are read at its end.
  while (i < readings.length && readings[i].preflight) monitor.observe(readings[i++]);
  if (monitor.verdict.kind !== 'healthy') return { verdict: monitor.verdict, epochsRun: Math.floor(preflightEnd / stepsPerEpoch) };
  const lastEpoch = Math.max(t.history[t.history.length - 1]?.epoch ?? 0, readings[readings.length - 1]?.epoch ?? 0);
  for (let epoch = first; epoch <= lastEpoch; epoch++) {
    while (i < readings.length && readings[i].epoch === epoch) monitor.observe(readings[i++]);
    const record = t.history.find((h) => h.epoch === epoch);
    if (record && rules.includes('non-finite') && (!Number.isFinite(record.loss) || !Number.isFinite(record.val_loss))) {
      monitor.observe({ epoch, step: stepsPerEpoch, preflight: false, loss: Number.isFinite(record.loss) ? record.val_loss : record.loss, globalGrad: NaN, layers: [] });
    }
    if (record) monitor.observeEpoch(epoch, record.val_loss, chanceLoss(t), record.loss);
    if (monitor.verdict.kind !== 'healthy') return { verdict: monitor.verdict, epochsRun: epochsAt(epoch) };
  }
  return undefined;
}

/** Candidate: the epoch's training loss at least `factor` times the lowest epoch loss before it. */
function lossRise(t: CollectedTrial, factor: number): Firing | undefined {
  let min = Infinity;
  for (const [i, h] of t.history.entries()) {
    if (Number.isFinite(h.loss) && h.loss >= factor * min) {
      return { verdict: { kind: 'exploding', evidence: { statistic: 'loss rise', layer: null, value: h.loss / min, threshold: factor, epoch: h.epoch, step: 0, preflight: false } }, epochsRun: i + 1 };
    }
    min = Math.min(min, h.loss);
  }
  return undefined;
}


/** Candidate: some layer's update ratio (lr x |g| / |w|) above `ceiling` at 3 checks in a row, for plain and momentum SGD. */
function updateCeiling(r: Row, ceiling: number): Firing | undefined {
  if (!['sgd', 'momentum'].includes(r.t.config.optimizer)) return undefined;
  let run = 0;
  const first = r.t.history[0]?.epoch ?? r.readings[0]?.epoch ?? 1;
  for (const c of r.readings) {
    run = c.layers.some((l) => l.updateRatio > ceiling) ? run + 1 : 0;
    if (run >= 3) return { verdict: { kind: 'exploding', evidence: { statistic: 'update ratio', layer: null, value: Math.max(...c.layers.map((l) => l.updateRatio)), threshold: ceiling, epoch: c.epoch, step: c.step, preflight: c.preflight } }, epochsRun: c.preflight ? 0 : c.epoch - first + 1 };
  }
  return undefined;
}


function chanceLoss(t: CollectedTrial): number {
  return Math.log(collection.datasets.find((d) => d.name === t.dataset)!.classes);
}

// --- statistics ----------------------------------------------------------------------

/** log P(X = k) for X ~ Binomial(n, p). */
function logBinom(n: number, k: number, p: number): number {
  let lg = 0;
  for (let i = 1; i <= k; i++) lg += Math.log((n - k + i) / i);
  return lg + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/** Clopper-Pearson one-sided 95% upper bound on a rate of k in n. */
function upper95(k: number, n: number): number {
  if (n === 0) return 1;
  let lo = k / n;
  let hi = 1;
  for (let it = 0; it < 60; it++) {
    const p = (lo + hi) / 2;
    let cdf = 0;
    for (let j = 0; j <= k; j++) cdf += Math.exp(logBinom(n, j, p));
    if (cdf > 0.05) lo = p;
    else hi = p;
  }
  return hi;
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 && x > 0 ? 2 : 1)}%`;

// --- main ----------------------------------------------------------------------------

let collection: Collection;
if (values['cache-only']) {
  collection = await writeCache('');
} else if (values.from) {
  collection = decodeLenient<Collection>(readFileSync(values.from, 'utf8'));
} else if (values.collect || !existsSync(CACHE)) {
  const backend = await collect({ scale: Number(values.scale), workers: Number(values.workers), backend: 'auto', ...(values.only ? { only: values.only.split(',') } : {}) });
  collection = await writeCache(backend);
} else {
  collection = decodeLenient<Collection>(readFileSync(CACHE, 'utf8'));
}

const trials = collection.trials.filter((t) => t.readings !== null);
const nTrain = new Map(collection.datasets.map((d) => [d.name, loadDataset({ builtin: d.name, valSplit: 0.2, seed: 1 }).nTrain]));
const chance = new Map(collection.datasets.map((d) => [d.name, d.chance]));
const best = new Map<string, number>();
for (const t of trials) if (t.score !== null && t.score > (best.get(t.dataset) ?? -Infinity)) best.set(t.dataset, t.score);

interface Row {
  t: CollectedTrial;
  readings: CheckReading[];
  steps: number;
  label: Label;
}
const rows: Row[] = trials.map((t) => {
  const readings = expandReadings(t.readings!);
  const steps = Math.ceil(nTrain.get(t.dataset)! / Math.min(t.config.batchSize, nTrain.get(t.dataset)!));
  return { t, readings, steps, label: label(t, readings, chance.get(t.dataset)!, best.get(t.dataset)!) };
});

const count = (l: Label) => rows.filter((r) => r.label === l).length;
console.log(`trials: ${rows.length} (collected ${collection.collectedAt}${collection.backend ? `, ${collection.backend}` : ''})`);
for (const d of collection.datasets) {
  const on = rows.filter((r) => r.t.dataset === d.name);
  const by = (l: Label) => on.filter((r) => r.label === l).length;
  console.log(
    `  ${d.name.padEnd(14)} ${String(on.length).padStart(4)} trials; chance ${d.chance.toFixed(3)}, best ${best.get(d.name)?.toFixed(4)}, healthy from ${(d.chance + 0.8 * (best.get(d.name)! - d.chance)).toFixed(3)}: ` +
      `${by('healthy')} healthy, ${by('vanishing')} vanishing, ${by('exploding')} exploding, ${by('other')} other`,
  );
}
for (const source of ['mlp', 'hyperband', 'cases'] as const) {
  const on = rows.filter((r) => r.t.source === source);
  console.log(`  from ${source.padEnd(10)} ${String(on.length).padStart(4)} trials: ${(['healthy', 'vanishing', 'exploding', 'other'] as Label[]).map((l) => `${on.filter((r) => r.label === l).length} ${l}`).join(', ')}`);
}
console.log(`labels: ${count('healthy')} healthy, ${count('vanishing')} genuinely vanishing, ${count('exploding')} genuinely exploding, ${count('other')} other\n`);

interface Evaluated {
  name: string;
  kind: 'vanishing' | 'exploding' | 'both';
  fire: (r: Row) => Firing | undefined;
}
const single = (rule: GradientRuleId): Evaluated => ({ name: rule, kind: ruleKind(rule), fire: (r) => replay(r.t, r.readings, r.steps, [rule]) });
const group = (name: string, kind: 'vanishing' | 'exploding'): Evaluated => ({
  name,
  kind,
  fire: (r) => replay(r.t, r.readings, r.steps, GRADIENT_RULES.filter((g) => ruleKind(g) === kind)),
});
const evaluated: Evaluated[] = [
  ...GRADIENT_RULES.map(single),
  ...(['gradient-ceiling', 'gradient-growth'] as const).map(
    (rule): Evaluated => ({ name: `${rule} (before: on adaptive optimizers too)`, kind: 'exploding', fire: (r) => replay(r.t, r.readings, r.steps, [rule], false) }),
  ),
  {
    name: 'gradient-growth (before: vs previous check)',
    kind: 'exploding',
    fire: (r) => legacyGrowthFires(r.t, r.readings, r.steps, settings),
  },
  ...[2].map((factor): Evaluated => ({
    name: `loss-rise x${factor} (candidate, not used)`,
    kind: 'exploding',
    fire: (r) => lossRise(r.t, factor),
  })),
  ...[0.1].map((ceiling): Evaluated => ({
    name: `update-ratio ceiling ${ceiling} (candidate, SGD/momentum, not used)`,
    kind: 'exploding',
    fire: (r) => updateCeiling(r, ceiling),
  })),
  {
    // As it was before issue 14: every rule on every optimizer, growth against the previous
    // check, no loss-divergence, and any verdict rejecting, whatever the trial had learned.
    name: 'the monitor before issue 14',
    kind: 'both',
    fire: (r) => {
      const old = replay(r.t, r.readings, r.steps, ['non-finite', 'gradient-ceiling', 'vanishing-floor', 'vanishing-ratio', 'update-ratio'], false);
      const growth = legacyGrowthFires(r.t, r.readings, r.steps, settings);
      const first = [old, growth].filter((f): f is Firing => f !== undefined).sort((a, b) => a.epochsRun - b.epochsRun)[0];
      return first && { ...first, verdict: { ...first.verdict, afterLearning: undefined } };
    },
  },
  group('all vanishing rules', 'vanishing'),
  group('all exploding rules', 'exploding'),
  { name: 'the monitor (every rule)', kind: 'both', fire: (r) => replay(r.t, r.readings, r.steps, GRADIENT_RULES) },
];

const healthy = rows.filter((r) => r.label === 'healthy');
console.log(
  '| rule | kind | healthy rejected | rate (95% upper bound) | healthy stopped after learning (best epoch kept) | genuine caught | caught | missed | epochs saved on caught (of trained) |\n|---|---|---|---|---|---|---|---|---|',
);
const falseRejections: string[] = [];
const keptStops: string[] = [];
const rejects = (f: Firing | undefined) => f !== undefined && !f.verdict.afterLearning;
const line = (e: Evaluated, r: Row) =>
  `${e.name}: ${r.t.study} #${r.t.number} (score ${r.t.score?.toFixed(4)}, batch ${r.t.config.batchSize}, ${r.t.config.optimizer} ${r.t.config.learningRate.toPrecision(2)}, ${r.t.config.layers}x${r.t.config.activation}) ${describe(e.fire(r)!.verdict)}`;
for (const e of evaluated) {
  const genuine = rows.filter((r) => (e.kind === 'both' ? r.label === 'vanishing' || r.label === 'exploding' : r.label === e.kind));
  const wrongly = healthy.filter((r) => rejects(e.fire(r)));
  const stopped = healthy.filter((r) => e.fire(r)?.verdict.afterLearning);
  let caught = 0;
  let saved = 0;
  let trained = 0;
  for (const r of genuine) {
    const f = e.fire(r);
    trained += r.t.epochsRun;
    if (!f) continue;
    caught++;
    saved += Math.max(0, r.t.epochsRun - f.epochsRun);
  }
  for (const r of wrongly) falseRejections.push(line(e, r));
  for (const r of stopped) keptStops.push(line(e, r));
  console.log(
    `| ${e.name} | ${e.kind} | ${wrongly.length} of ${healthy.length} | ${pct(wrongly.length / healthy.length)} (${pct(upper95(wrongly.length, healthy.length))}) | ${stopped.length} | ${caught} of ${genuine.length} | ${pct(caught / Math.max(1, genuine.length))} | ${pct(1 - caught / Math.max(1, genuine.length))} | ${saved} of ${trained} |`,
  );
}

function describe(v: Verdict): string {
  const e = v.evidence;
  return e ? `${v.kind} ${e.rule ?? 'candidate'}: ${e.statistic}=${e.value.toPrecision(3)} at epoch ${e.epoch} step ${e.step}${e.preflight ? ' (preflight)' : ''}${v.afterLearning ? ', after learning' : ''}` : v.kind;
}

console.log(`\nhealthy trials the rules would reject (${falseRejections.length}):`);
for (const l of falseRejections) console.log(`  ${l}`);
console.log(`\nhealthy trials the rules would stop after they had learned, keeping their best epoch (${keptStops.length}):`);
for (const l of keptStops) console.log(`  ${l}`);

// Genuine cases the monitor misses, and what the rejections among "other" trials were.
const monitor = evaluated.find((e) => e.name === 'the monitor (every rule)')!;
const missed = rows.filter((r) => (r.label === 'vanishing' || r.label === 'exploding') && !monitor.fire(r));
console.log(`\ngenuine cases the monitor misses (${missed.length}):`);
for (const r of missed) {
  const c = r.t.config;
  console.log(`  ${r.label} ${r.t.study} #${r.t.number}: ${c.layers}x${c.activation} ${c.initializer}${c.initStddev !== null ? `(${c.initStddev})` : ''} ${c.optimizer} lr ${c.learningRate.toPrecision(2)} batch ${c.batchSize}, score ${r.t.score?.toFixed(3)}, losses ${r.t.history.map((h) => h.loss.toPrecision(3)).join(' ')}`);
}
const others = rows.filter((r) => r.label === 'other');
const otherRejected = others.filter((r) => monitor.fire(r));
console.log(`\n"other" trials (trained, not within reach of the best, not sick by construction): ${otherRejected.length} of ${others.length} would be rejected`);
if (values.list) for (const r of otherRejected) console.log(`  ${r.t.study} #${r.t.number} score ${r.t.score?.toFixed(3)}: ${describe(monitor.fire(r)!.verdict)}`);

// How often the other findings show, at their default thresholds, per label.
console.log('\nfindings at the default thresholds, share of trials per label:');
const kinds: FindingKind[] = ['slow-training', 'overfitting', 'dead-units', 'saturation'];
console.log(`| label | trials | ${kinds.join(' | ')} |\n|---|---|${kinds.map(() => '---|').join('')}`);
for (const l of ['healthy', 'vanishing', 'exploding', 'other'] as Label[]) {
  const on = rows.filter((r) => r.label === l);
  const share = (k: FindingKind) =>
    on.filter((r) => {
      const classes = collection.datasets.find((d) => d.name === r.t.dataset)!.classes;
      // Collected before leaky ReLU, ELU and SELU stopped counting as dead: only ReLU's count.
      const epochs = r.t.config.activation === 'relu' ? r.t.epochs : r.t.epochs.map((e) => ({ ...e, layers: e.layers.map(({ dead: _dead, ...l }) => l) }));
      return findFindings({ history: r.t.history, epochs, verdict: { kind: 'healthy' }, settings, chanceLoss: Math.log(classes) }).some((f) => f.kind === k);
    }).length;
  console.log(`| ${l} | ${on.length} | ${kinds.map((k) => `${share(k)} (${pct(share(k) / Math.max(1, on.length))})`).join(' | ')} |`);
}
