// The search loop: ask the store for the next trial (the study's oracle decides), run it
// in the pool, tell the store the result. Everything that matters is in the store, so a
// search can be continued by running it again, and other processes can join it.
import { existsSync } from 'node:fs';
import { GradtuneError } from './errors.js';
import { loadSpace } from './space/load.js';
import { spaceFingerprint } from './space/fingerprint.js';
import { loadDatasetAsync, describeDataset } from './data/load.js';
import { loadMemoryDataset, MEMORY_DATASET_NAME, type FeatureMatrix, type Targets } from './data/memory.js';
import { datasetInfo } from './data/types.js';
import { openStore, parseStorage } from './store/open-store.js';
import { validateStudyName } from './store/names.js';
import { buildOracle } from './oracle/build.js';
import { repairRemedies } from './oracle/repair.js';
import { seedOf } from './oracle/seed.js';
import type { GridSize } from './space/grid.js';
import { TrialPool } from './pool/pool.js';
import { initBackend } from './train/backend.js';
import { bestTrial } from './report/rank.js';
import { checkpointsToKeep } from './export/retention.js';
import { rejectionSummary, type RejectionSummary } from './report/rejection.js';
import { resolveDiagnostics } from './train/diagnostics-settings.js';
import { DATA_SHAPE_KEYS, defaultStudyName, resolveOptions, type ResolvedOptions, type TunerOptions } from './tuner-options.js';
import { resumeOptions } from './study/resume.js';
import { studySettings, type StudySettings } from './study/settings.js';
import { checkQueuedParams } from './study/enqueue.js';
import { InterruptedError, withTimeLimit } from './space/time-limit.js';
import type * as TF from '@tensorflow/tfjs';
import { openExistingStore, requireStudy } from './store/existing.js';
import { bestHyperparameters, bestModels } from './study/best-models.js';
import { formatLeaderboard } from './report/leaderboard.js';
import { describeSpace } from './space/define.js';
import { formatParamSpec } from './space/params.js';
import type { Params } from './space/types.js';
import type { SearchSpace } from './space/define.js';
import type { Dataset, DataSource } from './data/types.js';
import type { NewStudy, QueuedParams, Store, StudyRecord, TrialRecord, TrialSummary } from './store/store.js';
import type { Oracle } from './oracle/oracle.js';
import { failedResult, type BackendName, type EpochRecord, type Objective, type TrialResult, type TrialSpec, type WorkerMemory } from './train/types.js';
import type { EpochAnswer, EpochReport } from './pool/epoch-channel.js';
import { customMetricInputs } from './data/validation-rows.js';
import { buildPruner } from './pruner/settings.js';
import { verdictRule, type Pruner } from './pruner/types.js';
import { foldDataset, foldOf } from './data/folds.js';

export type { TunerOptions } from './tuner-options.js';

/** Progress events, for the CLI's progress bar or a user's own logging. */
export interface TunerEvents {
  /** `gridSize`: the number of combinations, for --algo grid. */
  onStart?(info: { study: StudyRecord; dataset: Dataset; backend: BackendName; total: number; existing: number; workers: number; resumed: boolean; gridSize?: GridSize }): void;
  /** `rerun`: an earlier trial handed out again (it lost its process, or failed with retries left). */
  onTrialStart?(trial: TrialSummary, rerun?: 'stale' | 'retry'): void;
  /** After every epoch of a running trial, with the epoch's record (custom objective included). */
  onEpoch?(trial: TrialSummary, record: EpochRecord): void;
  /** `worker`: the memory of the worker thread that ran the trial, after it cleaned up. */
  onTrialEnd?(trial: TrialRecord, progress: { finished: number; running: number; best: TrialSummary | undefined; worker?: WorkerMemory }): void;
}

/** How the CLI runs a Tuner beyond the user's options. */
export interface TunerConfig {
  /** Defaults for options not given (the CLI searches with Hyperband by default; the API with random search). */
  defaults?: Partial<TunerOptions>;
  /** `gradtune worker`: join an existing study only, never create one. */
  join?: boolean;
  /**
   * false: trials send no per-epoch reports (nothing stored per epoch, no pruning, no
   * onEpoch event). Only bench/epoch-channel.ts sets it, to measure what reports cost.
   */
  epochReports?: boolean;
}

export interface SearchResults {
  study: StudyRecord;
  trials: TrialRecord[];
  best: TrialRecord | undefined;
  /** Why the search ended, e.g. "reached --max-trials 20". */
  stopReason: string;
  /** True when interrupt() ended the search: its running trials were given back, to be re-run on resume. */
  interrupted: boolean;
  /** Trials rejected by the gradient monitor, and the epochs that saved. */
  rejection: RejectionSummary;
  backend: BackendName;
  /** Where the study is stored, fit to print (a URL's password as ***). */
  storage: string;
}

function defaultObjective(dataset: Dataset, opts: ResolvedOptions): Objective {
  const metric = opts.objective ?? (dataset.task === 'classification' ? 'val_accuracy' : 'val_loss');
  if (dataset.task === 'regression' && metric.endsWith('accuracy')) {
    throw new GradtuneError(`objective "${metric}" needs a classification target; for regression use val_loss or val_mae`);
  }
  if (dataset.task === 'classification' && metric.endsWith('mae')) {
    throw new GradtuneError(`objective "${metric}" needs a regression target; for classification use val_accuracy or val_loss`);
  }
  const direction = opts.direction ?? (metric.endsWith('accuracy') ? 'max' : 'min');
  return { metric, direction };
}

/** What the new study stores about how it searches (src/study/settings.ts). */
function settingsOf(o: ResolvedOptions): StudySettings {
  return {
    version: 2,
    maxTrials: o.maxTrials,
    ...(o.gridPoints !== undefined ? { gridPoints: o.gridPoints } : {}),
    ...(o.hyperband ? { hyperband: o.hyperband } : {}),
    ...(o.asha ? { asha: o.asha } : {}),
    ...(o.pruner ? { pruner: o.pruner } : {}),
    diagnostics: o.diagnostics,
    maxRetries: o.maxRetries,
    ...(Number.isFinite(o.keepCheckpoints) ? { keepCheckpoints: o.keepCheckpoints } : {}),
    ...(o.executionsPerTrial > 1 ? { executionsPerTrial: o.executionsPerTrial } : {}),
    ...(o.folds !== undefined ? { folds: o.folds } : {}),
    ...(o.sampler.name !== 'random' ? { sampler: { name: o.sampler.name } } : {}),
    ...(o.repair ? { repair: o.repair } : {}),
  };
}

/** How many times each configuration trains, from the study's settings. */
function runsOf(study: StudyRecord): Pick<TrialSpec, 'executions' | 'folds'> {
  const s = studySettings(study);
  return {
    ...(s.executionsPerTrial && s.executionsPerTrial > 1 ? { executions: s.executionsPerTrial } : {}),
    // The folds are drawn from the study's seed: the same rows in every trial and process.
    ...(s.folds ? { folds: { k: s.folds, seed: study.seed } } : {}),
  };
}

/** What `search(x, y, options)` takes besides the arrays (Keras's `validation_data` and `validation_split`). */
export interface SearchOptions {
  /** The validation rows, `[xVal, yVal]`, in the forms x and y take. */
  validationData?: readonly [FeatureMatrix, Targets];
  /** Or hold out this fraction of x's rows (stratified by class, from the seed). Default: the Tuner's `valSplit` (0.2). */
  validationSplit?: number;
  /** The features' names (default x0, x1, ...): exports and `predict` read input columns by these names. */
  featureNames?: string[];
}

const SEARCH_OPTION_KEYS = ['validationData', 'validationSplit', 'featureNames'];

/** Arrays given to search(x, y), for the one search that uses them. */
interface MemoryInput {
  x: FeatureMatrix;
  y: Targets;
  options: SearchOptions;
}

/** How a study searched on arrays is named in the store and in messages. */
const MEMORY_LABEL = 'in-memory arrays';

/** Why a running trial was aborted: its --trial-timeout, or the whole search interrupted. */
type AbortReason = 'timeout' | 'interrupt';

/** How often a loop that was told to wait asks again when no trial of this process ends first. */
const WAIT_POLL_MS = 1000;

export class Tuner {
  /** The options as given and defaulted; for a continued study, the study's own once search() starts. */
  options: ResolvedOptions;
  private stopping = false;
  private interrupted = false;
  private timedOut: 'stopped' | 'interrupted' | undefined;
  /** Set when --max-consecutive-failures is reached: the error the search ends with. */
  private failureLimit: GradtuneError | undefined;
  private consecutiveFailures = 0;
  /** One per running trial, so interrupt() can end them all. */
  private readonly running = new Set<AbortController>();
  /** The numbers of the trials this process runs now. */
  private readonly mine = new Set<number>();
  private backend: BackendName = 'cpu';
  /** Wakes the loops that wait for a trial to finish (one of ours ended, or the search stops). */
  private wake: () => void = () => {};
  private woken: Promise<void> = this.newWakeup();
  private readonly pendingQueue: Params[] = [];
  /** The study's data as loaded in this process: a custom objective is computed against its validation rows. */
  private dataset: Dataset | undefined;
  /** The study's pruner (built from its settings when the search starts); undefined: none. */
  private pruner: Pruner | undefined;
  /** Per running trial, its epochs still being written to the store (when no pruner waits for them). */
  /** Per running trial: its epoch reports' writes, chained; false once one failed. */
  private readonly epochWrites = new Map<number, Promise<boolean>>();

  /** The arrays of the search() running now, when it was given arrays. */
  private memory: MemoryInput | undefined;

  constructor(
    private given: TunerOptions = {},
    private readonly events: TunerEvents = {},
    private readonly config: TunerConfig = {},
  ) {
    // Every mistake in the options is an error now, before anything is opened.
    this.options = resolveOptions(given, config.defaults);
  }

  /**
   * Queues a configuration to run as the study's next new trial (Optuna's enqueue_trial):
   * stored when search() opens the study; parameters not given are drawn as usual.
   */
  enqueueTrial(params: Params): void {
    this.pendingQueue.push({ ...params });
  }

  /** The study this tuner searched or loaded, and its trials as of then; undefined before. */
  private results: { study: StudyRecord; trials: TrialRecord[] } | undefined;

  /**
   * A tuner over a study already in a store (Keras Tuner's reload): its results, best
   * hyperparameters and best models, in a process other than the one that searched.
   * `search()` on it continues the study.
   */
  static async load(options: { study: string; storage?: string } & TunerOptions): Promise<Tuner> {
    const tuner = new Tuner(options);
    const store = await openExistingStore(tuner.options.storage);
    try {
      const study = await requireStudy(store, options.study);
      tuner.results = { study, trials: await store.trials(study.id) };
    } finally {
      await store.close();
    }
    return tuner;
  }

  /** The best k trials' hyperparameters, best first (Keras Tuner's get_best_hyperparameters). */
  getBestHyperparameters(k = 1): Params[] {
    const { study, trials } = this.requireResults('getBestHyperparameters');
    return bestHyperparameters(study, trials, k);
  }

  /**
   * The best k trials' models with their best-epoch weights, best first (Keras Tuner's
   * get_best_models). They take the features as given to search(x, y) (for a CSV, its
   * encoded features unstandardised: numbers as they are, 0/1 per category) and output
   * class probabilities or values in the target's units; dispose them when done.
   */
  async getBestModels(k = 1): Promise<TF.LayersModel[]> {
    const { study, trials } = this.requireResults('getBestModels');
    const store = await openExistingStore(this.options.storage);
    try {
      return await bestModels(store, study, trials, k, this.options.backend);
    } finally {
      await store.close();
    }
  }

  /** The leaderboard's top k, printed (Keras Tuner's results_summary); also returned. */
  resultsSummary(k = 10, print: (text: string) => void = (t) => process.stdout.write(t + '\n')): string {
    const { study, trials } = this.requireResults('resultsSummary');
    const text = formatLeaderboard(study, trials, { format: 'table', top: k });
    print(text);
    return text;
  }

  /** The parameters the space can declare, printed (Keras Tuner's search_space_summary); also returned. */
  async searchSpaceSummary(print: (text: string) => void = (t) => process.stdout.write(t + '\n')): Promise<string> {
    const space = await loadSpace(this.options.space);
    const specs = describeSpace(space);
    const width = Math.max(0, ...specs.map((s) => s.name.length));
    const text = [`search space "${space.name}": ${specs.length} parameters`, ...specs.map((s) => `  ${formatParamSpec(s, width)}`)].join('\n');
    print(text);
    return text;
  }

  private requireResults(call: string): { study: StudyRecord; trials: TrialRecord[] } {
    if (!this.results) throw new GradtuneError(`${call}() needs a study: call search() first, or get a tuner with Tuner.load({ study, storage })`);
    return this.results;
  }

  /** Ask running trial loops to stop after their current trial. */
  stop(): void {
    this.stopping = true;
    this.wake();
  }

  /**
   * Ends the search now (Ctrl-C): running trials are stopped and given back to the store
   * as stale, so the same command run again re-runs them first, with the same params.
   */
  interrupt(): void {
    this.stopping = true;
    this.interrupted = true;
    for (const controller of this.running) controller.abort('interrupt' satisfies AbortReason);
    this.wake();
  }

  /**
   * Runs (or continues) the study. Its data: the `data` option (a built-in dataset or a
   * CSV file), or arrays, as Keras Tuner takes them: `search(x, y, { validationData:
   * [xVal, yVal] })` or `{ validationSplit: 0.2 }`. x is `number[][]`, `{ values, shape:
   * [rows, cols] }` (a Float32Array, Float64Array or number[], row-major) or a
   * tf.Tensor2D; y class labels (numbers or strings), numbers (regression) or one-hot
   * rows. A study searched on arrays is continued by passing the same arrays again.
   */
  async search(x?: FeatureMatrix, y?: Targets, options: SearchOptions = {}): Promise<SearchResults> {
    this.memory = this.memoryInput(x, y, options);
    try {
      return await this.searchOnce();
    } finally {
      // The arrays are the caller's: not kept past the search.
      this.memory = undefined;
    }
  }

  /** Checks the arrays and options of search(x, y, options); undefined without arrays. */
  private memoryInput(x: FeatureMatrix | undefined, y: Targets | undefined, options: SearchOptions): MemoryInput | undefined {
    if (x === undefined && y === undefined) {
      if (Object.keys(options ?? {}).length > 0) throw new GradtuneError('search() options (validationData, validationSplit) go with arrays: search(x, y, options)');
      return undefined;
    }
    if (x === undefined || y === undefined) throw new GradtuneError('search(x, y) needs both the features x and the targets y');
    if (typeof options !== 'object' || options === null) throw new GradtuneError('the third argument of search(x, y, options) is an object: { validationData } or { validationSplit }');
    const unknown = Object.keys(options).find((k) => !SEARCH_OPTION_KEYS.includes(k));
    if (unknown !== undefined) {
      const hint = unknown === 'epochs' ? ' (the epochs are the Tuner\'s maxEpochs option, or the space\'s)' : unknown === 'batchSize' ? ' (the batch size is a training setting of the space)' : '';
      throw new GradtuneError(`unknown search() option "${unknown}"${hint}; search(x, y, options) takes ${SEARCH_OPTION_KEYS.join(', ')}`);
    }
    if (this.given.data !== undefined) throw new GradtuneError(`the data is given twice: the data option (${this.given.data}) and arrays to search(x, y); give one`);
    const csvOnly = (['target', ...DATA_SHAPE_KEYS] as const).find((k) => this.given[k] !== undefined);
    if (csvOnly !== undefined) throw new GradtuneError(`the ${csvOnly} option applies to a CSV file's columns, not to arrays given to search(x, y); leave it out`);
    if (options.validationData !== undefined && options.validationSplit !== undefined) {
      throw new GradtuneError('give validationData or validationSplit, not both');
    }
    if (options.validationSplit !== undefined) {
      if (this.given.valSplit !== undefined && this.given.valSplit !== options.validationSplit) {
        throw new GradtuneError(`validationSplit ${options.validationSplit} contradicts the valSplit option (${this.given.valSplit}); give it once`);
      }
      this.given = { ...this.given, valSplit: options.validationSplit };
      this.options = resolveOptions(this.given, this.config.defaults);
    }
    return { x, y, options };
  }

  private async searchOnce(): Promise<SearchResults> {
    const o = this.options;
    parseStorage(o.storage);
    // Worker threads load tfjs while this process checks the space, data and store.
    const pool = new TrialPool(o.workers, o.backend);
    try {
      return await this.searchWith(pool);
    } finally {
      await pool.close();
    }
  }

  private async searchWith(pool: TrialPool): Promise<SearchResults> {
    const memory = this.memory;
    const name = validateStudyName(this.given.study ?? defaultStudyName(this.options.space.label, memory ? MEMORY_DATASET_NAME : this.options.data.label));
    // Only a store that exists can hold the study: a new file is created once everything checks out.
    let store = await this.openIfExists();
    try {
      let existing = store ? await store.getStudy(name) : undefined;
      if (this.config.join && !existing) {
        throw new GradtuneError(`no study "${name}" in ${store?.location ?? parseStorage(this.options.storage).display}: a worker joins an existing study; start it with gradtune search --study ${name}`);
      }
      if (existing && !this.options.overwrite) {
        checkSameKindOfData(existing, memory !== undefined);
        this.options = resolveOptions(this.continuing(existing));
      }
      const o = this.options;

      // Check everything a user can get wrong before the store is written.
      const space = await loadSpace(o.space);
      try {
        // The space may set thresholds; check them (under the run's) with its default configuration.
        const defaults = withTimeLimit(() => space.configFor({}), o.sampleTimeout, `building the default configuration of search space ${o.space.label}`);
        resolveDiagnostics(defaults.diagnostics, o.diagnostics);
      } catch (err) {
        if (err instanceof GradtuneError) throw new GradtuneError(`search space ${o.space.label}: diagnostics: ${err.message}`);
        throw err;
      }
      const spaceHash = spaceFingerprint(o.space);
      const { dataset, dataSource } = await this.loadData(o, memory);
      this.dataset = dataset;
      const objective = defaultObjective(dataset, o);
      // Too many folds for the rows is an error now, not in every trial.
      if (o.folds !== undefined) foldOf(dataset, o.folds, o.seed);
      if (existing && !o.overwrite) this.checkSameWork(existing, spaceHash, dataset);
      const backend = await initBackend(o.backend);
      this.backend = backend;

      store ??= await openStore(o.storage, { staleAfterMs: o.staleAfter * 1000 });
      if (existing && o.overwrite) {
        await store.deleteStudy(name);
        existing = undefined;
      }
      const { study, resumed } = existing
        ? { study: await this.updateStudy(store, existing), resumed: true }
        : await this.createStudy(store, name, spaceHash, dataset, dataSource, objective, space);
      for (const params of this.pendingQueue.splice(0)) await store.enqueue(study.id, checkQueuedParams(space, params));
      return await this.run(store, study, resumed, space, dataset, pool);
    } finally {
      await store?.close();
    }
  }

  /**
   * The options of a run that continues `study`. A worker (another machine) may find the
   * study's space and data at other paths: where they are is its own, what they hold must
   * be the study's (checked by fingerprint in checkSameWork).
   */
  private continuing(study: StudyRecord): TunerOptions {
    if (!this.config.join) return resumeOptions(study, this.given);
    const stored = resumeOptions(study, { ...this.given, space: undefined, data: undefined });
    return { ...stored, space: this.given.space ?? stored.space, data: this.given.data ?? stored.data };
  }

  /**
   * The study's data, loaded once in this process: its arrays (in shared memory) go to
   * every trial's worker thread with the trial, so no thread reads the file again.
   */
  private async loadData(o: ResolvedOptions, memory: MemoryInput | undefined): Promise<{ dataset: Dataset; dataSource: DataSource }> {
    if (!memory) {
      const dataSource: DataSource = { builtin: o.data.builtin, path: o.data.path, target: o.target, task: o.task, valSplit: o.valSplit, seed: o.seed, ...o.dataShape };
      return { dataset: await loadDatasetAsync(dataSource), dataSource };
    }
    const { validationData, featureNames } = memory.options;
    const dataset = loadMemoryDataset(memory.x, memory.y, { valSplit: o.valSplit, seed: o.seed, task: o.task, validationData, featureNames });
    const dataSource: DataSource = {
      memory: { validation: validationData ? 'given' : 'split', info: datasetInfo(dataset) },
      ...(o.task ? { task: o.task } : {}),
      valSplit: o.valSplit,
      seed: o.seed,
    };
    return { dataset, dataSource };
  }

  /** The study's store if it can already hold the study: a SQLite file that exists, or a database. */
  private async openIfExists(): Promise<Store | undefined> {
    const location = parseStorage(this.options.storage);
    if (location.kind === 'sqlite' && !existsSync(location.path)) return undefined;
    return openStore(this.options.storage, { staleAfterMs: this.options.staleAfter * 1000 });
  }

  /** The study must be searched on the space and data it was created with. */
  private checkSameWork(study: StudyRecord, spaceHash: string, dataset: Dataset): void {
    const o = this.options;
    if (this.config.join) {
      // A worker must train exactly what the study's other processes train.
      if (study.spaceFingerprint && study.spaceFingerprint !== spaceHash) {
        throw new GradtuneError(
          `the space module ${o.space.label} is not the one study "${study.name}" was created with (${study.space}: its source differs); give this worker a copy of that file (--space <path>)`,
        );
      }
      if (study.datasetFingerprint !== dataset.fingerprint) {
        throw new GradtuneError(
          `the data ${o.data.label} is not the data study "${study.name}" was created on (${study.datasetName}: other contents); give this worker a copy of that file (--data <file.csv>)`,
        );
      }
      return;
    }
    const fix = 'use --overwrite to start it afresh, or --study <another-name>';
    if (study.spaceFingerprint && study.spaceFingerprint !== spaceHash) {
      throw new GradtuneError(`the space module ${study.space} has changed since study "${study.name}" was created (its source no longer matches); restore it, or ${fix}`);
    }
    if (study.datasetFingerprint !== dataset.fingerprint) {
      if (study.data.memory) {
        const how = (v: 'split' | 'given') => (v === 'given' ? 'validationData' : 'validationSplit');
        const current = this.memory?.options.validationData ? 'given' : 'split';
        if (study.data.memory.validation !== current) {
          throw new GradtuneError(`study "${study.name}" was searched with ${how(study.data.memory.validation)}, not ${how(current)}: pass the arrays as before, or overwrite: true to start it afresh, or study: '<another-name>'`);
        }
        throw new GradtuneError(`the arrays given to search() are not the ones study "${study.name}" was searched on (their values differ); pass the same x, y (and validationData), or overwrite: true to start it afresh, or study: '<another-name>'`);
      }
      throw new GradtuneError(`the data of study "${study.name}" (${study.datasetName}) has changed since it was created (other contents); restore the file, or ${fix}`);
    }
  }

  /** A continued study may have its --max-trials and --keep-checkpoints changed by this run. */
  private async updateStudy(store: Store, study: StudyRecord): Promise<StudyRecord> {
    const settings = studySettings(study);
    const o = this.options;
    const next = { ...settings };
    if (this.given.maxTrials !== undefined) next.maxTrials = o.maxTrials;
    if (this.given.keepCheckpoints !== undefined) next.keepCheckpoints = o.keepCheckpoints;
    if (next.maxTrials === settings.maxTrials && next.keepCheckpoints === settings.keepCheckpoints) return study;
    return store.updateStudySettings(study.id, { ...study.settings, maxTrials: next.maxTrials, keepCheckpoints: next.keepCheckpoints });
  }

  private async createStudy(
    store: Store,
    name: string,
    spaceHash: string,
    dataset: Dataset,
    data: DataSource,
    objective: Objective,
    space: SearchSpace,
  ): Promise<{ study: StudyRecord; resumed: boolean }> {
    const o = this.options;
    const fresh: NewStudy = {
      name,
      space: o.space.label,
      spaceFingerprint: spaceHash,
      datasetName: data.memory ? MEMORY_LABEL : o.data.label,
      datasetFingerprint: dataset.fingerprint,
      data,
      objective,
      algorithm: o.oracle ? `custom:${o.oracle.name ?? 'oracle'}` : o.algorithm,
      settings: { ...settingsOf(o) },
      seed: o.seed,
      maxEpochs: o.maxEpochs,
    };
    // The oracle is built once before the study is stored: a search that cannot run (a
    // grid over a float without a step, a grid too large to run whole) is refused with
    // nothing written, not after an empty study was created.
    withTimeLimit(
      () => buildOracle({ ...fresh, id: -1, createdAt: new Date().toISOString() }, space, { sampler: o.sampler.instance, oracle: o.oracle }),
      Math.max(o.sampleTimeout, 300),
      `counting the grid of search space ${o.space.label}`,
    );
    try {
      const study = await store.createStudy(fresh);
      return { study, resumed: false };
    } catch (err) {
      // Several processes started at once on a new study: one creates it, the others join.
      const raced = err instanceof GradtuneError && !o.overwrite ? await store.getStudy(name) : undefined;
      if (!raced) throw err;
      this.options = resolveOptions(resumeOptions(raced, this.given));
      this.checkSameWork(raced, spaceHash, dataset);
      return { study: raced, resumed: true };
    }
  }

  private async run(store: Store, study: StudyRecord, resumed: boolean, space: SearchSpace, dataset: Dataset, pool: TrialPool): Promise<SearchResults> {
    const o = this.options;
    // A grid is counted here, by building its combinations: user code, bounded in time too.
    const { oracle, total, gridSize } = withTimeLimit(
      () => buildOracle(study, space, { sampler: o.sampler.instance, oracle: o.oracle }),
      Math.max(o.sampleTimeout, 300),
      `counting the grid of search space ${o.space.label}`,
    );
    // The study's pruner, whatever this run's flags (a pruner of the user's comes with the run).
    const pruner = buildPruner(studySettings(study).pruner, o.customPruner, study.name);
    this.pruner = pruner.name === 'none' ? undefined : pruner;
    // Finished trials; running and stale ones are (re-)run by this search or another process.
    const existing = (await store.summaries(study.id)).filter((t) => t.status !== 'running' && t.status !== 'stale').length;
    this.events.onStart?.({ study, dataset, backend: this.backend, total, existing, workers: o.workers, resumed, gridSize });
    const deadlines = this.armTimeout();
    let stopReason = 'stopped';
    const counters = { finished: 0, running: 0 };
    try {
      const loops = Array.from({ length: o.workers }, () =>
        this.trialLoop(store, study, oracle, pool, counters).then((reason) => {
          if (reason) stopReason = reason;
        }),
      );
      // A loop that fails (a store error) ends the search: the others give their trials back.
      await Promise.all(loops.map((loop) => loop.catch((err) => {
        this.interrupt();
        throw err;
      })));
    } finally {
      deadlines.forEach(clearTimeout);
    }
    // Also when nothing ran: a finished study searched again with --keep-checkpoints.
    await this.retainCheckpoints(store, study);
    if (this.failureLimit) throw this.failureLimit;
    if (this.timedOut === 'stopped') stopReason = `reached --timeout ${o.timeout} s: no new trial was started after it, running ones finished`;
    else if (this.timedOut === 'interrupted') stopReason = `reached --timeout ${o.timeout} s and --timeout-grace ${o.timeoutGrace} s: the trials still running were given back and run again when the same command is run`;
    else if (this.interrupted) stopReason = 'interrupted: the trials that were running will run again when the same command is run';
    const trials = await store.trials(study.id);
    this.results = { study, trials };
    const best = bestTrial(study, trials);
    return { study, trials, best, stopReason, interrupted: this.interrupted && this.timedOut === undefined, rejection: rejectionSummary(trials), backend: this.backend, storage: store.location };
  }

  /** --timeout: stop asking at the deadline; --timeout-grace later: give running trials back. */
  private armTimeout(): NodeJS.Timeout[] {
    const o = this.options;
    if (!Number.isFinite(o.timeout)) return [];
    const timers = [
      setTimeout(() => {
        this.timedOut = 'stopped';
        this.stop();
      }, o.timeout * 1000),
    ];
    if (Number.isFinite(o.timeoutGrace)) {
      timers.push(
        setTimeout(() => {
          if (this.running.size > 0) this.timedOut = 'interrupted';
          this.interrupt();
        }, (o.timeout + o.timeoutGrace) * 1000),
      );
    }
    return timers;
  }

  /** --keep-checkpoints: drops the weights that neither an export of the best nor a promotion can need. */
  private async retainCheckpoints(store: Store, study: StudyRecord): Promise<void> {
    const keep = this.options.keepCheckpoints;
    if (!Number.isFinite(keep)) return;
    await store.dropCheckpoints(study.id, (s, trials) => checkpointsToKeep(s, trials, { keep }));
  }

  private newWakeup(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = () => {
        resolve();
        this.woken = this.newWakeup();
      };
    });
  }

  /** Waits until a trial of this process ends (or the search stops), or a while for other processes' trials. */
  private async idle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, WAIT_POLL_MS)))]);
    clearTimeout(timer);
  }

  /** Whether a trial of the study is running in another process. */
  private async othersRunning(store: Store, study: StudyRecord): Promise<boolean> {
    return (await store.summaries(study.id)).some((t) => t.status === 'running' && !this.mine.has(t.number));
  }

  /** One of `workers` concurrent loops: ask → run → tell until the oracle says done. */
  private async trialLoop(store: Store, study: StudyRecord, oracle: Oracle, pool: TrialPool, counters: { finished: number; running: number }): Promise<string | undefined> {
    const o = this.options;
    while (!this.stopping) {
      let asked;
      try {
        // The oracle runs the space's build(hp): a user's code there (a space file, a sampler
        // or an oracle of theirs) is bounded in time, and Ctrl-C breaks it. Ours is known to
        // end, and goes without: the vm's two watchdog threads, started and joined on every
        // call, cost ~2 ms on a busy machine, most of the gap between two short trials.
        const what = `drawing the next configuration from search space ${o.space.label}`;
        const decide = (s: StudyRecord, trials: readonly TrialSummary[], queued: readonly QueuedParams[]) => oracle.next(s, trials, queued);
        const bounded: typeof decide = runsUserCode(o) ? (s, trials, queued) => withTimeLimit(() => decide(s, trials, queued), o.sampleTimeout, what) : decide;
        asked = await store.ask(study.id, bounded, { maxRetries: o.maxRetries });
      } catch (err) {
        if (!(err instanceof InterruptedError)) throw err;
        this.interrupt();
        return undefined;
      }
      if (asked.kind === 'done') {
        // Trials that other processes still run may yet be lost (a worker killed, a machine
        // gone): wait until they finish or go stale, when the next ask hands them out here.
        if (await this.othersRunning(store, study)) {
          await this.idle();
          continue;
        }
        return asked.reason;
      }
      if (asked.kind === 'wait') {
        await this.idle();
        continue;
      }
      const trial = asked.trial;
      this.mine.add(trial.number);
      counters.running++;
      this.events.onTrialStart?.(trial, asked.rerun);
      // The heartbeat tells other processes (and a later run) that this trial is alive;
      // one that stops beating is re-queued as stale (store.ask).
      const beat = setInterval(() => {
        store.heartbeat(study.id, trial.number).catch(() => {
          // A missed beat is harmless; a store that stays away shows in the next tell.
        });
      }, o.heartbeatInterval * 1000);
      let result: TrialResult | 'interrupted';
      try {
        result = await this.runInPool(pool, store, study, trial);
      } finally {
        clearInterval(beat);
        counters.running--;
      }
      if (result === 'interrupted') {
        await store.release(study.id, trial.number, trial.attempt);
        this.mine.delete(trial.number);
        this.wake();
        continue;
      }
      counters.finished++;
      const told = await store.tell(study.id, trial.number, {
        status: result.status,
        score: result.score,
        bestEpoch: result.bestEpoch,
        epochsRun: result.epochsRun,
        history: result.history,
        backend: result.backend,
        durationMs: Math.round(result.durationMs),
        error: result.error ?? null,
        diagnostics: result.diagnostics ?? null,
        // What --repair tries next, read by the oracle from the light summaries.
        remedies: result.status === 'rejected' ? repairRemedies(result.diagnostics) : null,
        plannedEpochs: result.plannedEpochs ?? null,
        // A pruned trial keeps its best epoch's weights too: it can be exported.
        checkpoint: result.status === 'completed' || result.status === 'pruned' ? (result.checkpoint ?? null) : null,
        pruned: result.status === 'pruned' ? (result.pruned ?? null) : null,
        runs: result.runs ?? null,
        scoreStd: result.scoreStd ?? null,
        attempt: trial.attempt,
      });
      this.mine.delete(trial.number);
      this.wake();
      // Not told: this attempt went stale and another process runs the trial again.
      if (!told) continue;
      await this.retainCheckpoints(store, study);
      const finishedTrial = (await store.trial(study.id, trial.number))!;
      this.countFailure(finishedTrial);
      const summaries = await store.summaries(study.id);
      this.events.onTrialEnd?.(finishedTrial, { ...counters, best: bestTrial(study, summaries), worker: result.worker });
    }
    return undefined;
  }

  /**
   * After each epoch of a running trial: a custom objective is computed here, the epoch is
   * stored (other processes and reports see the running trial's curve), the pruner judges
   * it, and listeners are told. Without a pruner the trial does not wait for the store.
   */
  private async onEpoch(store: Store, study: StudyRecord, trial: TrialSummary, report: EpochReport): Promise<EpochAnswer> {
    const answer: EpochAnswer = {};
    const custom = this.options.customObjective;
    if (custom && report.predictions && this.dataset) {
      // A fold's predictions are for that fold's rows of the training split.
      const rows = report.run?.fold !== undefined && report.run.fold !== null ? this.foldRows(this.dataset, report.run.fold) : this.dataset;
      const { truth, predicted } = customMetricInputs(rows, report.predictions);
      const value = custom.metric(truth, predicted);
      if (typeof value !== 'number') throw new Error(`the custom objective ${custom.name} returned ${typeof value}, not a number`);
      answer.metrics = { [custom.name]: value };
      report.record[custom.name] = value;
    }
    const value = report.record[study.objective.metric];
    const executions = runsOf(study).executions ?? 1;
    const run = report.run ? (report.run.fold ?? 0) * executions + report.run.execution : 0;
    const epoch = { number: trial.number, attempt: trial.attempt, run, epoch: report.record.epoch, value: typeof value === 'number' && Number.isFinite(value) ? value : null, record: report.record };
    // A trial that trains several runs is judged by its first run (src/store/epoch-values.ts).
    if (this.pruner && run === 0) {
      await store.reportEpoch(study.id, epoch);
      const values = await store.epochValues(study.id);
      const trials = await store.summaries(study.id);
      const rule = verdictRule(this.pruner, await this.pruner.prune({ study, trial, epoch: epoch.epoch, values, trials }));
      if (rule !== undefined) answer.stop = rule;
    } else {
      const previous = this.epochWrites.get(trial.number) ?? Promise.resolve(true);
      // In order, off the trial's path; the trial's result waits for them (runInPool). A
      // failed write loses points of a live curve (the trial's own history is told at its
      // end), and ends the trial's live curve: the writes after it would each wait out the
      // same busy or lost store, and hold the trial's result back by that much each.
      const write = async (ok: boolean) => ok && store.reportEpoch(study.id, epoch).then(() => true, () => false);
      this.epochWrites.set(trial.number, previous.then(write));
    }
    this.events.onEpoch?.(trial, report.record);
    return answer;
  }

  /** --folds: each training row's fold, drawn as the workers draw it (from the study's seed). */
  private folds: Int32Array | undefined;
  private foldRows(dataset: Dataset, fold: number): Dataset {
    this.folds ??= foldOf(dataset, this.options.folds!, this.options.seed);
    return foldDataset(dataset, this.folds, fold);
  }

  /**
   * Trials that fail for good (retries used up) in a row mean a broken space or data, not
   * bad luck: past --max-consecutive-failures the search stops with the last error.
   */
  private countFailure(trial: TrialRecord): void {
    if (trial.status !== 'failed') {
      this.consecutiveFailures = 0;
      return;
    }
    if (trial.retries < this.options.maxRetries) return; // it will run again
    this.consecutiveFailures++;
    const limit = this.options.maxConsecutiveFailures;
    if (this.consecutiveFailures < limit || this.failureLimit) return;
    const lastError = (trial.error ?? 'no message').split('\n')[0];
    this.failureLimit = new GradtuneError(
      `stopped after ${limit} trials in a row failed (--max-consecutive-failures ${limit}); the last, trial ${trial.number}, failed with: ${lastError}. ` +
        `See \`gradtune report --trial ${trial.number}\` for its stack, fix the space or data, and run the same command again`,
    );
    this.interrupt();
  }

  private async runInPool(pool: TrialPool, store: Store, study: StudyRecord, trial: TrialSummary): Promise<TrialResult | 'interrupted'> {
    // A promoted trial continues its parent from the parent's best-epoch weights, which
    // the store holds (any process may have trained the parent).
    let resume: TrialSpec['resume'];
    if (trial.parent !== null) {
      const checkpoint = await store.checkpoint(study.id, trial.parent);
      if (!checkpoint) return failedResult(this.backend, 0, `trial ${trial.parent}, which this trial continues, kept no checkpoint`);
      resume = { checkpoint, fromEpoch: trial.fromEpoch ?? 0 };
    }
    const spec: TrialSpec = {
      trialNumber: trial.number,
      params: trial.params,
      space: { builtin: this.options.space.builtin, path: this.options.space.path },
      // The study's data options, read from where this process found the file (a worker on
      // another machine may keep it at another path; its contents were checked).
      data: { ...study.data, builtin: this.options.data.builtin, path: this.options.data.path },
      objective: study.objective,
      // An oracle with a schedule of epochs (Hyperband) says what the trial trains to.
      maxEpochs: trial.toEpoch ?? study.maxEpochs,
      scheduleEpochs: trial.toEpoch !== null ? study.maxEpochs : undefined,
      resume,
      seed: seedOf(study.seed, trial),
      backend: this.options.backend,
      // The study's overrides, as every process that joins it uses them.
      diagnostics: studySettings(study).diagnostics,
      // Every completed trial keeps its best-epoch weights (promotion, export).
      keepCheckpoint: true,
      epochPredictions: this.options.customObjective !== undefined,
      ...runsOf(study),
    };
    const controller = new AbortController();
    this.running.add(controller);
    const started = performance.now();
    const timeout = Number.isFinite(this.options.trialTimeout)
      ? setTimeout(() => controller.abort('timeout' satisfies AbortReason), this.options.trialTimeout * 1000)
      : undefined;
    try {
      const reports = this.config.epochReports !== false || this.options.customObjective !== undefined;
      const result = await pool.run(spec, { dataset: this.dataset, signal: controller.signal, onEpoch: reports ? (report) => this.onEpoch(store, study, trial, report) : undefined });
      // Its epochs are in the store before its result: a reader never sees the result first.
      await this.epochWrites.get(trial.number);
      return result;
    } catch (err) {
      const elapsed = performance.now() - started;
      if (controller.signal.aborted && controller.signal.reason === 'interrupt') return 'interrupted';
      if (controller.signal.aborted && controller.signal.reason === 'timeout') {
        return failedResult(this.backend, elapsed, `timed out after ${this.options.trialTimeout} s (--trial-timeout); its worker was replaced`);
      }
      // The worker thread died (out of memory, a native crash): the trial failed, the search goes on.
      return failedResult(this.backend, elapsed, `worker died: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timeout);
      this.running.delete(controller);
      this.epochWrites.delete(trial.number);
    }
  }
}

/**
 * A study searched on arrays can only be continued with arrays (the CLI cannot give
 * them), and a study of a file only with its file.
 */
function checkSameKindOfData(study: StudyRecord, arrays: boolean): void {
  if (study.data.memory && !arrays) {
    throw new GradtuneError(
      `study "${study.name}" was searched on in-memory data (arrays given to tuner.search(x, y)), which no command can read again; continue it through the API with the same arrays: tuner.search(x, y, ...)`,
    );
  }
  if (!study.data.memory && arrays) {
    throw new GradtuneError(`study "${study.name}" was searched on data "${study.datasetName}", not on arrays; search it without arrays, or give another study name (study: '<name>') for the arrays`);
  }
}

export { describeDataset };

/** Whether drawing a configuration runs code of the user's: a space file, a sampler or an oracle of theirs. */
function runsUserCode(o: ResolvedOptions): boolean {
  return o.space.path !== undefined || o.sampler.instance !== undefined || o.oracle !== undefined;
}
