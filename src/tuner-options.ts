// Tuner options: what a user passes, their defaults, and validation (one clear error
// per mistake, before anything is written).
import { availableParallelism } from 'node:os';
import { GradtuneError } from './errors.js';
import { isSamplerName, SAMPLER_NAMES } from './sampler/by-name.js';
import type { Sampler } from './sampler/types.js';
import type { Oracle } from './oracle/oracle.js';
import { DEFAULT_SAMPLE_TIMEOUT } from './space/time-limit.js';
import { storageFromEnv } from './store/open-store.js';
import { BUILTIN_SPACES } from './space/load.js';
import { checkGridPoints } from './space/grid-values.js';
import { isBuiltinDataset } from './data/builtin.js';
import type { DataColumnOptions, DataSource, Task } from './data/types.js';
import { resolveDiagnostics } from './train/diagnostics-settings.js';
import { DEFAULT_MAX_REPAIRS } from './oracle/repair.js';
import { HYPERBAND_DEFAULTS, hyperbandSchedule, resolveHyperbandSettings } from './oracle/hyperband-schedule.js';
import { ASHA_DEFAULTS, ashaRungs } from './oracle/asha.js';
import { resolvePrunerSettings, type PrunerName, type PrunerSettings } from './pruner/settings.js';
import type { Pruner } from './pruner/types.js';
import type { DiagnosticsSettings } from './train/diagnostics-types.js';
import { BACKEND_CHOICES, type BackendPreference, type Direction } from './train/types.js';

export const ALGORITHMS = ['random', 'grid', 'hyperband', 'asha'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Columns, encoding and missing values of the data (README "Your own data") come from DataColumnOptions; checked by loadDataset. */
export interface TunerOptions extends DataColumnOptions {
  /** A built-in space name (mlp, quick) or a path to a space module. Default: mlp. */
  space?: string;
  /**
   * A built-in dataset name (digits, iris, breast-cancer) or a path to a CSV file. Default:
   * digits. Leave it out when the data is given to search(x, y) as arrays or tensors.
   */
  data?: string;
  /** Target column of a CSV; default: the last column. */
  target?: string;
  task?: Task;
  /** Validation fraction, in (0, 1). Default 0.2. */
  valSplit?: number;
  algorithm?: Algorithm;
  /** Total trials of the study (a continued study counts the ones it has). Default 20; grid: the whole grid. */
  maxTrials?: number;
  /** Grid search: points a float without a step is discretised into (>= 2, min and max included). */
  gridPoints?: number;
  /** Hyperband and ASHA (and the asha pruner): reduction factor between rounds or rungs (default 3; an integer >= 2). */
  factor?: number;
  /** ASHA: epochs of its first rung (default 1); rungs at minEpochs * factor^k up to maxEpochs. */
  minEpochs?: number;
  /**
   * Stops running trials after an epoch when they are clearly worse than others at the same
   * epoch: `none` (default), `median` (Optuna's MedianPruner), `asha` (Optuna's
   * SuccessiveHalvingPruner), or a pruner of your own (src/pruner/types.ts). For random and
   * grid search.
   */
  pruner?: PrunerName | Pruner;
  /** median: no pruning until this many trials have completed (Optuna's n_startup_trials, default 5). */
  prunerStartupTrials?: number;
  /** median: no pruning before this epoch (Optuna's n_warmup_steps, default 0). */
  prunerWarmupEpochs?: number;
  /** median: epochs between checks after the warm-up (Optuna's interval_steps, default 1). */
  prunerIntervalEpochs?: number;
  /** median: completed trials that must have reported an epoch to judge it (Optuna's n_min_trials, default 1). */
  prunerMinTrials?: number;
  /** asha pruner: epochs of the first rung (Optuna's min_resource, default 1). */
  prunerMinEpochs?: number;
  /** asha pruner: the first rung at prunerMinEpochs * factor^rate (Optuna's min_early_stopping_rate, default 0). */
  prunerMinEarlyStoppingRate?: number;
  /** asha pruner: prune while no more than this many trials reached a rung (Optuna's bootstrap_count, default 0). */
  prunerBootstrapCount?: number;
  /** Hyperband: sweeps over the brackets (default 1). */
  hyperbandIterations?: number;
  /** Cap on each trial's epochs. Default 30. */
  maxEpochs?: number;
  /** Parallel trials. Default: the number of cores. */
  workers?: number;
  /** Seeds configurations, the data split, weights and batch order. Default 42. */
  seed?: number;
  /** SQLite file. Default gradtune.db in the working directory. */
  storage?: string;
  /** Study name. Default: `<space>-<dataset>`. */
  study?: string;
  /**
   * Objective metric; default val_accuracy (classification) or val_loss (regression). Or a
   * metric of your own, computed on the validation rows after every epoch (F1, AUC...).
   */
  objective?: string | CustomObjective;
  direction?: Direction;
  /** Start the study afresh, deleting its trials. */
  overwrite?: boolean;
  backend?: BackendPreference;
  /**
   * Keep the checkpoints (best-epoch weights) of only this many best completed trials,
   * plus those Hyperband may still promote; the others are dropped. Default: keep all.
   */
  keepCheckpoints?: number;
  /** Gradient-monitor settings (thresholds, cadence, preflight, reject); see DEFAULT_DIAGNOSTICS. */
  diagnostics?: Partial<DiagnosticsSettings>;
  /** Times a failed trial is run again (same number and params) before it stays failed. Default 0. */
  maxRetries?: number;
  /** Stop the search when this many trials in a row fail for good. Default 3, as in Keras Tuner. */
  maxConsecutiveFailures?: number;
  /** Seconds after which a trial is ended as failed and its worker replaced. Default: no limit. */
  trialTimeout?: number;
  /** Seconds between heartbeats of a running trial. Default 10. */
  heartbeatInterval?: number;
  /** Seconds without a heartbeat after which a running trial is stale and run again. Default 60. */
  staleAfter?: number;
  /** After a rejection, run the same configuration with a remedy from the space (see src/oracle/repair.ts). */
  repair?: boolean;
  /** With `repair`: repairs in a row from one original trial. Default 3. */
  maxRepairs?: number;
  /** Seconds after which the search starts no new trial; running ones finish. Default: no limit. */
  timeout?: number;
  /** Seconds after `timeout` when trials still running are given back to the store (re-run on resume). Default: let them finish. */
  timeoutGrace?: number;
  /** Seconds the space's build(hp) may take in this process to draw one configuration. Default 60. */
  sampleTimeout?: number;
  /** Train each configuration this many times with different seeds and score the mean (Keras Tuner's executions_per_trial). Default 1. */
  executionsPerTrial?: number;
  /** k-fold cross-validation on the training rows: each configuration trains once per fold, scored by the mean. */
  folds?: number;
  /**
   * How new configurations are drawn, for random search and Hyperband: `random`
   * (default), `tpe`, `tpe-independent`, `gp`, or a Sampler object of your own.
   */
  sampler?: string | Sampler;
  /** An oracle of your own (when trials run, with which configuration and epochs); replaces `algorithm`. */
  oracle?: Oracle & { name?: string };
}

/** The TunerOptions that shape the data's columns and features (they go into the study's DataSource). */
export const DATA_SHAPE_KEYS = ['features', 'ignore', 'id', 'passthrough', 'categorical', 'maxCategories', 'missing', 'encoding'] as const;
export type DataShape = Pick<DataSource, (typeof DATA_SHAPE_KEYS)[number]>;

function dataShapeOf(o: TunerOptions): DataShape {
  return Object.fromEntries(DATA_SHAPE_KEYS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as DataShape;
}

export interface ResolvedOptions {
  space: { builtin?: string; path?: string; label: string };
  data: { builtin?: string; path?: string; label: string };
  target?: string;
  task?: Task;
  valSplit: number;
  algorithm: Algorithm;
  /** Infinity: no cap (grid search without --max-trials runs the whole grid). */
  maxTrials: number;
  gridPoints?: number;
  /** Hyperband settings, validated (undefined for other algorithms). */
  hyperband?: { factor: number; iterations: number };
  /** ASHA settings, validated (undefined for other algorithms). */
  asha?: { factor: number; minEpochs: number };
  /** The pruner as stored with the study; undefined: none. */
  pruner?: PrunerSettings;
  /** A pruner written in the user's code (its name is in `pruner`). */
  customPruner?: Pruner;
  maxEpochs: number;
  workers: number;
  seed: number;
  storage: string;
  study?: string;
  objective?: string;
  direction?: Direction;
  /** A metric computed in this process from each epoch's validation predictions. */
  customObjective?: CustomObjective;
  overwrite: boolean;
  backend: BackendPreference;
  /** Infinity: keep every checkpoint. */
  keepCheckpoints: number;
  /** The run's own overrides, validated (a space's may come under them). */
  diagnostics: Partial<DiagnosticsSettings>;
  maxRetries: number;
  maxConsecutiveFailures: number;
  /** Seconds; Infinity: no limit. */
  trialTimeout: number;
  /** Seconds. */
  heartbeatInterval: number;
  /** Seconds. */
  staleAfter: number;
  /** Set with --repair. */
  repair?: { maxRepairs: number };
  /** Seconds; Infinity: no limit. */
  timeout: number;
  /** Seconds; Infinity: running trials finish. */
  timeoutGrace: number;
  /** Seconds. */
  sampleTimeout: number;
  executionsPerTrial: number;
  /** Undefined: no cross-validation. */
  folds?: number;
  /** The sampler's name (built-in, or a user's `custom:<name>`) and the user's object when given. */
  sampler: { name: string; instance?: Sampler };
  /** The user's own oracle, when given: the study's algorithm is then `custom:<name>`. */
  oracle?: Oracle & { name?: string };
  /** Only the options given: a continued study keeps its own otherwise. */
  dataShape: DataShape;
}

export const DEFAULTS = {
  space: 'mlp',
  data: 'digits',
  valSplit: 0.2,
  algorithm: 'random' as Algorithm,
  maxTrials: 20,
  maxEpochs: 30,
  seed: 42,
  storage: 'gradtune.db',
  backend: 'auto' as BackendPreference,
  maxRetries: 0,
  maxConsecutiveFailures: 3,
  heartbeatInterval: 10,
  staleAfter: 60,
};

export const OBJECTIVE_METRICS = ['val_accuracy', 'accuracy', 'val_loss', 'loss', 'val_mae', 'mae'] as const;

/**
 * An objective written in the user's code, as Keras's custom metrics: computed on the
 * validation rows after every epoch, in the process that runs the search.
 * - classification: `truth[i]` is row i's class index (into the dataset's classes),
 *   `predicted[i]` its class probabilities;
 * - regression: `truth[i]` and `predicted[i][0]` are values in the target's own units.
 */
export interface CustomObjective {
  /** Its name in histories and reports, e.g. `val_f1`; not one of the built-in metrics. */
  name: string;
  direction: Direction;
  metric: (truth: number[], predicted: number[][]) => number;
}

function checkCustomObjective(c: CustomObjective, direction: Direction | undefined): void {
  if (typeof c !== 'object' || c === null || typeof c.metric !== 'function') {
    throw new GradtuneError('a custom objective is { name, direction, metric: (truth, predicted) => number }');
  }
  if (typeof c.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(c.name)) {
    throw new GradtuneError(`custom objective name ${JSON.stringify(c.name)}: use letters, digits, _ . - (e.g. "val_f1")`);
  }
  if ((OBJECTIVE_METRICS as readonly string[]).includes(c.name) || ['epoch', 'learningRate'].includes(c.name)) {
    throw new GradtuneError(`custom objective name "${c.name}" is taken by a built-in metric; give yours its own name, e.g. "val_f1"`);
  }
  if (c.direction !== 'min' && c.direction !== 'max') throw new GradtuneError(`custom objective "${c.name}": direction must be "min" or "max"`);
  if (direction !== undefined && direction !== c.direction) {
    throw new GradtuneError(`direction "${direction}" contradicts the custom objective's "${c.direction}"; give it once, in the objective`);
  }
}

function positiveSeconds(flag: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v > 0)) throw new GradtuneError(`${flag} must be a number of seconds > 0, got ${value}`);
  return v;
}

function wholeNumber(flag: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new GradtuneError(`${flag} must be a whole number >= ${min}, got ${value}`);
  return v;
}

/** The sampler by name or object; grid search draws nothing, so a sampler there is a mistake. */
function resolveSampler(sampler: string | Sampler | undefined, algorithm: string): { name: string; instance?: Sampler } {
  if (sampler === undefined) return { name: 'random' };
  if (algorithm === 'grid') throw new GradtuneError('--sampler applies to random search, Hyperband and ASHA; grid search tries every combination in order and draws nothing');
  if (typeof sampler === 'string') {
    if (!isSamplerName(sampler)) throw new GradtuneError(`unknown sampler "${sampler}": use one of ${SAMPLER_NAMES.join(', ')}`);
    return { name: sampler };
  }
  if (typeof sampler !== 'object' || sampler === null || typeof sampler.sample !== 'function' || typeof sampler.name !== 'string' || sampler.name === '') {
    throw new GradtuneError('a sampler is an object { name: string, sample(ctx) => params } (see the Sampler type), or one of ' + SAMPLER_NAMES.join(', '));
  }
  return { name: isSamplerName(sampler.name) ? sampler.name : `custom:${sampler.name}`, instance: sampler };
}

function checkOracle(oracle: (Oracle & { name?: string }) | undefined): (Oracle & { name?: string }) | undefined {
  if (oracle !== undefined && (typeof oracle !== 'object' || oracle === null || typeof oracle.next !== 'function')) {
    throw new GradtuneError('an oracle is an object { name?: string, next(study, trials, queued) => decision } (see the Oracle type)');
  }
  return oracle;
}

/** A name without a path separator or extension is a built-in; anything else is a file. */
function looksLikePath(value: string): boolean {
  return /[\\/]/.test(value) || /\.(ts|js|mts|mjs|csv|gz)$/i.test(value);
}

/**
 * Validates what was given and fills in the defaults. `defaults` are the caller's own
 * (the CLI searches with Hyperband by default, the API with random search).
 */
export function resolveOptions(given: TunerOptions, defaults: Partial<TunerOptions> = {}): ResolvedOptions {
  const o: TunerOptions = { ...defaults, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  const space = o.space ?? DEFAULTS.space;
  if (!looksLikePath(space) && !(BUILTIN_SPACES as readonly string[]).includes(space)) {
    throw new GradtuneError(`unknown search space "${space}": built-in spaces are ${BUILTIN_SPACES.join(', ')}; give a path like ./my-space.ts for your own`);
  }
  const data = o.data ?? DEFAULTS.data;
  if (!looksLikePath(data) && !isBuiltinDataset(data)) {
    throw new GradtuneError(`unknown dataset "${data}": built-in datasets are digits, iris, breast-cancer; use --data <file.csv> for your own`);
  }
  const valSplit = o.valSplit ?? DEFAULTS.valSplit;
  if (!(valSplit > 0 && valSplit < 1)) throw new GradtuneError(`--val-split must be between 0 and 1 (exclusive), got ${o.valSplit}`);
  const algorithm = o.algorithm ?? DEFAULTS.algorithm;
  if (!(ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new GradtuneError(`unknown algorithm "${algorithm}": use one of ${ALGORITHMS.join(', ')}`);
  }
  const backend = o.backend ?? DEFAULTS.backend;
  if (!BACKEND_CHOICES.includes(backend)) throw new GradtuneError(`unknown backend "${backend}": use one of ${BACKEND_CHOICES.join(', ')}`);
  const custom = typeof o.objective === 'object' ? o.objective : undefined;
  if (custom) checkCustomObjective(custom, o.direction);
  else if (typeof o.objective === 'string' && !(OBJECTIVE_METRICS as readonly string[]).includes(o.objective)) {
    throw new GradtuneError(`unknown objective "${o.objective}": use one of ${OBJECTIVE_METRICS.join(', ')}`);
  }
  if (o.direction !== undefined && o.direction !== 'min' && o.direction !== 'max') {
    throw new GradtuneError(`--direction must be min or max, got "${o.direction}"`);
  }
  if (o.task !== undefined && o.task !== 'classification' && o.task !== 'regression') {
    throw new GradtuneError(`--task must be classification or regression, got "${o.task}"`);
  }
  if (o.gridPoints !== undefined) {
    // Silently ignored it would look like a setting that took effect.
    if (algorithm !== 'grid') throw new GradtuneError(`--grid-points applies to --algo grid only, not --algo ${algorithm}`);
    checkGridPoints(o.gridPoints);
  }
  if (o.hyperbandIterations !== undefined && algorithm !== 'hyperband') {
    throw new GradtuneError(`--hyperband-iterations applies to --algo hyperband only, not --algo ${algorithm}`);
  }
  if (o.minEpochs !== undefined && algorithm !== 'asha') throw new GradtuneError(`--min-epochs applies to --algo asha only, not --algo ${algorithm}`);
  const prunerName = typeof o.pruner === 'object' && o.pruner !== null ? o.pruner.name : (o.pruner ?? 'none');
  if (o.factor !== undefined && algorithm !== 'hyperband' && algorithm !== 'asha' && prunerName !== 'asha') {
    throw new GradtuneError(`--factor applies to --algo hyperband, --algo asha and --pruner asha, not --algo ${algorithm}${prunerName === 'none' ? '' : ` with --pruner ${prunerName}`}`);
  }
  if (prunerName !== 'none' && (algorithm === 'hyperband' || algorithm === 'asha')) {
    throw new GradtuneError(`--pruner applies to --algo random and grid, not --algo ${algorithm}, which stops trials by its own schedule; drop --pruner or use --algo random`);
  }
  const pruner = resolvePrunerSettings({
    pruner: o.pruner,
    median: { startupTrials: o.prunerStartupTrials, warmupEpochs: o.prunerWarmupEpochs, intervalEpochs: o.prunerIntervalEpochs, minTrials: o.prunerMinTrials },
    successiveHalving: {
      minEpochs: o.prunerMinEpochs,
      factor: prunerName === 'asha' ? o.factor : undefined,
      minEarlyStoppingRate: o.prunerMinEarlyStoppingRate,
      bootstrapCount: o.prunerBootstrapCount,
    },
  });
  const hyperband =
    algorithm === 'hyperband'
      ? (({ factor, iterations }) => ({ factor, iterations }))(
          resolveHyperbandSettings({ maxEpochs: o.maxEpochs ?? HYPERBAND_DEFAULTS.maxEpochs, factor: o.factor ?? HYPERBAND_DEFAULTS.factor, iterations: o.hyperbandIterations ?? HYPERBAND_DEFAULTS.iterations }),
        )
      : undefined;
  const scheduled = algorithm === 'hyperband' || algorithm === 'asha';
  // Hyperband's and ASHA's max_epochs is their own default (27): the epochs of a trial that runs to the end.
  const maxEpochs = wholeNumber('--max-epochs', o.maxEpochs, scheduled ? HYPERBAND_DEFAULTS.maxEpochs : DEFAULTS.maxEpochs, 1);
  let asha: ResolvedOptions['asha'];
  if (algorithm === 'asha') {
    asha = { factor: o.factor ?? ASHA_DEFAULTS.factor, minEpochs: o.minEpochs ?? ASHA_DEFAULTS.minEpochs };
    ashaRungs({ maxEpochs, ...asha });
  }
  if (o.timeoutGrace !== undefined && o.timeout === undefined) throw new GradtuneError('--timeout-grace applies after --timeout; give --timeout too');
  const heartbeatInterval = positiveSeconds('--heartbeat-interval', o.heartbeatInterval, DEFAULTS.heartbeatInterval);
  const staleAfter = positiveSeconds('--stale-after', o.staleAfter, DEFAULTS.staleAfter);
  // A live trial must beat at least twice within the grace period, or a busy machine
  // would see its own trials go stale and run twice.
  if (staleAfter < 2 * heartbeatInterval) {
    throw new GradtuneError(`--stale-after (${staleAfter} s) must be at least twice --heartbeat-interval (${heartbeatInterval} s); raise --stale-after or beat more often`);
  }
  const seed = o.seed ?? DEFAULTS.seed;
  if (!Number.isInteger(seed)) throw new GradtuneError(`--seed must be a whole number, got ${o.seed}`);
  return {
    space: looksLikePath(space) ? { path: space, label: space } : { builtin: space, label: space },
    data: looksLikePath(data) ? { path: data, label: data } : { builtin: data, label: data },
    target: o.target,
    task: o.task,
    valSplit,
    algorithm,
    // A grid has a natural end; 20 of it would be an arbitrary corner.
    // A grid or a Hyperband schedule has a natural end; --max-trials only caps it.
    // ASHA has no end of its own: by default it runs as many trials as a Hyperband sweep with the same settings.
    maxTrials:
      algorithm === 'asha' && o.maxTrials === undefined && o.oracle === undefined
        ? hyperbandSchedule({ maxEpochs, factor: asha!.factor, iterations: 1 }).totalTrials
        : (algorithm !== 'random' || o.oracle !== undefined) && o.maxTrials === undefined
          ? Infinity
          : wholeNumber('--max-trials', o.maxTrials, DEFAULTS.maxTrials, 1),
    gridPoints: o.gridPoints,
    hyperband,
    asha,
    pruner,
    customPruner: typeof o.pruner === 'object' && o.pruner !== null ? o.pruner : undefined,
    maxEpochs,
    workers: wholeNumber('--workers', o.workers, availableParallelism(), 1),
    seed,
    storage: storageFromEnv(o.storage),
    study: o.study,
    objective: custom ? custom.name : (o.objective as string | undefined),
    direction: custom ? custom.direction : o.direction,
    customObjective: custom,
    overwrite: o.overwrite ?? false,
    backend,
    keepCheckpoints: o.keepCheckpoints === undefined ? Infinity : wholeNumber('--keep-checkpoints', o.keepCheckpoints, 0, 0),
    diagnostics: validRunDiagnostics(o.diagnostics),
    maxRetries: wholeNumber('--max-retries', o.maxRetries, DEFAULTS.maxRetries, 0),
    maxConsecutiveFailures: wholeNumber('--max-consecutive-failures', o.maxConsecutiveFailures, DEFAULTS.maxConsecutiveFailures, 1),
    trialTimeout: o.trialTimeout === undefined ? Infinity : positiveSeconds('--trial-timeout', o.trialTimeout, Infinity),
    heartbeatInterval,
    staleAfter,
    repair: resolveRepair(o),
    timeout: o.timeout === undefined ? Infinity : positiveSeconds('--timeout', o.timeout, Infinity),
    timeoutGrace: o.timeoutGrace === undefined ? Infinity : positiveSeconds('--timeout-grace', o.timeoutGrace, Infinity),
    sampleTimeout: positiveSeconds('--sample-timeout', o.sampleTimeout, DEFAULT_SAMPLE_TIMEOUT),
    executionsPerTrial: wholeNumber('--executions-per-trial', o.executionsPerTrial, 1, 1),
    folds: o.folds === undefined ? undefined : wholeNumber('--folds', o.folds, 0, 2),
    sampler: resolveSampler(o.sampler, o.oracle ? 'custom' : algorithm),
    oracle: checkOracle(o.oracle),
    dataShape: dataShapeOf(o),
  };
}

function resolveRepair(o: TunerOptions): ResolvedOptions['repair'] {
  if (o.maxRepairs !== undefined && !o.repair) throw new GradtuneError('--max-repairs applies with --repair; add --repair or leave --max-repairs out');
  if (!o.repair) return undefined;
  if (o.diagnostics?.reject === false) throw new GradtuneError('--repair repairs rejected trials, and --no-reject rejects none: use one or the other');
  return { maxRepairs: wholeNumber('--max-repairs', o.maxRepairs, DEFAULT_MAX_REPAIRS, 1) };
}

/** Checks the run's overrides on top of the defaults; returns only what the run set. */
function validRunDiagnostics(given: Partial<DiagnosticsSettings> | undefined): Partial<DiagnosticsSettings> {
  const set = Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) as Partial<DiagnosticsSettings>;
  resolveDiagnostics(set);
  return set;
}

/** `quick-iris`, `mlp-my-data`: a valid study name derived from the space and dataset. */
export function defaultStudyName(space: string, data: string): string {
  const base = (s: string) =>
    s
      .replace(/^.*[\\/]/, '')
      .replace(/\.(csv\.gz|csv|gz|ts|mts|js|mjs)$/i, '')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '');
  return `${base(space) || 'space'}-${base(data) || 'data'}`.slice(0, 64);
}
