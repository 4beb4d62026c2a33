// Collects the trials of bench/diagnostics-accuracy.ts: searches with rejection off and
// every check's readings kept, through the Tuner API (2 workers), into one SQLite store
// under bench/output/, then writes what the analysis needs to a JSON file beside it.
// A killed collection continues where it stopped (the store is the Tuner's own).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tuner } from '../src/tuner.js';
import { loadDataset } from '../src/data/load.js';
import { loadSpace } from '../src/space/load.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { encodeLenient } from '../src/store/codec.js';
import type { HiddenLayer, TrialConfig } from '../src/space/types.js';
import type { EpochGradientStats, RecordedReadings } from '../src/train/diagnostics-types.js';
import type { BackendPreference, EpochRecord } from '../src/train/types.js';

export const OUTPUT = fileURLToPath(new URL('./output/', import.meta.url));
export const STORE = join(OUTPUT, 'diagnostics-accuracy.db');
export const CACHE = join(OUTPUT, 'diagnostics-accuracy.json');
const CASES_SPACE = fileURLToPath(new URL('./diagnostics-accuracy-space.ts', import.meta.url));

/** Where a trial comes from: a broad sample of the mlp space, or a constructed case. */
export type Source = 'mlp' | 'hyperband' | 'cases';

interface PlannedStudy {
  study: string;
  source: Source;
  space: string;
  data: 'digits' | 'breast-cancer' | 'iris';
  algorithm: 'random' | 'hyperband';
  /** Random search: trials (times --scale). Hyperband: its whole schedule. */
  trials: number;
  maxEpochs: number;
  seed: number;
}

// Short budgets: enough epochs for a configuration to show whether it trains, few enough
// for hundreds of trials on two cores. The Hyperband study is the issue's own (the
// default `gradtune search`: mlp on digits, --max-epochs 27, seed 42), where the growth
// rule rejected good batch-16 trials after epoch 9.
export const PLAN: readonly PlannedStudy[] = [
  { study: 'mlp-digits', source: 'mlp', space: 'mlp', data: 'digits', algorithm: 'random', trials: 250, maxEpochs: 10, seed: 1 },
  { study: 'cases-digits', source: 'cases', space: CASES_SPACE, data: 'digits', algorithm: 'random', trials: 120, maxEpochs: 10, seed: 1 },
  { study: 'cases-breast-cancer', source: 'cases', space: CASES_SPACE, data: 'breast-cancer', algorithm: 'random', trials: 60, maxEpochs: 20, seed: 1 },
  { study: 'cases-iris', source: 'cases', space: CASES_SPACE, data: 'iris', algorithm: 'random', trials: 40, maxEpochs: 30, seed: 1 },
  { study: 'mlp-breast-cancer', source: 'mlp', space: 'mlp', data: 'breast-cancer', algorithm: 'random', trials: 150, maxEpochs: 20, seed: 1 },
  { study: 'mlp-iris', source: 'mlp', space: 'mlp', data: 'iris', algorithm: 'random', trials: 150, maxEpochs: 30, seed: 1 },
  { study: 'hyperband-digits', source: 'hyperband', space: 'mlp', data: 'digits', algorithm: 'hyperband', trials: 0, maxEpochs: 27, seed: 42 },
];

/** What the analysis reads about one trial. */
export interface CollectedTrial {
  study: string;
  source: Source;
  dataset: string;
  number: number;
  parent: number | null;
  status: string;
  score: number | null;
  epochsRun: number;
  plannedEpochs: number | null;
  params: Record<string, unknown>;
  config: ConfigSummary;
  history: EpochRecord[];
  epochs: EpochGradientStats[];
  readings: RecordedReadings | null;
}

/** The facts of a configuration the labels and the findings look at. */
export interface ConfigSummary {
  layers: number;
  activation: string;
  initializer: string;
  initStddev: number | null;
  batchNorm: boolean;
  optimizer: string;
  learningRate: number;
  batchSize: number;
  clip: string;
}

export interface CollectedDataset {
  name: string;
  /** Validation accuracy of always predicting the most frequent class. */
  chance: number;
  classes: number;
}

export interface Collection {
  collectedAt: string;
  backend: string;
  datasets: CollectedDataset[];
  trials: CollectedTrial[];
}

function summarise(config: TrialConfig): ConfigSummary {
  const hidden: HiddenLayer[] = config.model.kind === 'mlp' ? config.model.hidden : [];
  const first = hidden[0];
  const t = config.training;
  return {
    layers: hidden.length,
    activation: first?.activation ?? 'custom',
    initializer: first?.initializer ?? 'custom',
    initStddev: first?.initializer === 'randomNormal' ? (first.initStddev ?? 0.05) : null,
    batchNorm: Boolean(first?.batchNorm),
    optimizer: t.optimizer,
    learningRate: t.learningRate,
    batchSize: t.batchSize,
    clip: t.clip?.kind ?? 'none',
  };
}

function chanceOf(name: string): CollectedDataset {
  const ds = loadDataset({ builtin: name, valSplit: 0.2, seed: 1 });
  const counts = new Array<number>(ds.nOutputs).fill(0);
  for (let i = 0; i < ds.nVal; i++) {
    for (let c = 0; c < ds.nOutputs; c++) if (ds.yVal[i * ds.nOutputs + c] === 1) counts[c]++;
  }
  return { name, chance: Math.max(...counts) / ds.nVal, classes: ds.nOutputs };
}

/** Runs (or continues) every planned study; `scale` multiplies the random searches' trials. */
export async function collect(opts: { scale: number; workers: number; backend: BackendPreference; only?: readonly string[] }): Promise<string> {
  mkdirSync(OUTPUT, { recursive: true });
  let backend = '';
  for (const p of PLAN.filter((q) => !opts.only || opts.only.includes(q.study))) {
    const t0 = performance.now();
    const results = await new Tuner({
      space: p.space,
      data: p.data,
      algorithm: p.algorithm,
      ...(p.algorithm === 'random' ? { maxTrials: Math.max(1, Math.round(p.trials * opts.scale)) } : {}),
      maxEpochs: p.maxEpochs,
      workers: opts.workers,
      seed: p.seed,
      study: p.study,
      storage: STORE,
      backend: opts.backend,
      // Rejection off: every trial trains its budget, so its outcome says whether it was sick.
      diagnostics: { reject: false, keepReadings: true },
    }).search();
    backend = results.backend;
    console.log(`${p.study}: ${results.trials.length} trials (${results.stopReason}), ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  return backend;
}

/** Reads every planned study back from the store and writes the JSON cache. */
export async function writeCache(backend: string): Promise<Collection> {
  const store = await openSqliteStore(STORE, { readOnly: true });
  const trials: CollectedTrial[] = [];
  try {
    for (const p of PLAN) {
      const study = await store.getStudy(p.study);
      if (!study) continue;
      const space = await loadSpace(p.space.endsWith('.ts') ? { path: p.space } : { builtin: p.space });
      for (const t of await store.trials(study.id)) {
        if (t.status !== 'completed' && t.status !== 'rejected') continue;
        trials.push({
          study: p.study,
          source: p.source,
          dataset: p.data,
          number: t.number,
          parent: t.parent,
          status: t.status,
          score: t.score,
          epochsRun: t.epochsRun,
          plannedEpochs: t.plannedEpochs,
          params: t.params,
          config: summarise(space.configFor(t.params)),
          history: t.history,
          epochs: t.diagnostics?.epochs ?? [],
          readings: t.diagnostics?.readings ?? null,
        });
      }
    }
  } finally {
    await store.close();
  }
  const collection: Collection = {
    collectedAt: new Date().toISOString(),
    backend,
    datasets: ['digits', 'breast-cancer', 'iris'].map(chanceOf),
    trials,
  };
  // Non-finite readings (a NaN loss is the point of an exploding case) survive as strings.
  writeFileSync(CACHE, encodeLenient(collection));
  return collection;
}
