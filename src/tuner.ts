// The search loop: ask the store for the next trial (the oracle decides inside that
// transaction), run it in the pool, tell the store the result. Everything that matters
// is in the store, so a search can be continued by running it again.
import seedrandom from 'seedrandom';
import { GradtuneError } from './errors.js';
import { loadSpace } from './space/load.js';
import { loadDataset, describeDataset } from './data/load.js';
import { openSqliteStore, type SqliteStore } from './store/sqlite.js';
import { validateStudyName } from './store/names.js';
import { randomOracle } from './oracle/random.js';
import { hyperbandOracle } from './oracle/hyperband.js';
import { hyperbandSchedule } from './oracle/hyperband-schedule.js';
import { gridOracle, planGrid, type GridPlan } from './oracle/grid.js';
import type { GridSize } from './space/grid.js';
import { TrialPool } from './pool/pool.js';
import { initBackend } from './train/backend.js';
import { bestTrial } from './report/rank.js';
import { checkpointsToKeep } from './export/retention.js';
import { rejectionSummary, type RejectionSummary } from './report/rejection.js';
import { resolveDiagnostics } from './train/diagnostics-settings.js';
import { DATA_SHAPE_KEYS, defaultStudyName, resolveOptions, type ResolvedOptions, type TunerOptions } from './tuner-options.js';
import type { SearchSpace } from './space/define.js';
import type { Dataset, DataSource } from './data/types.js';
import type { StudyRecord, TrialRecord } from './store/store.js';
import type { Oracle } from './oracle/oracle.js';
import { failedResult, type BackendName, type Objective, type TrialResult, type TrialSpec, type WorkerMemory } from './train/types.js';

export type { TunerOptions } from './tuner-options.js';

/** Progress events, for the CLI's progress bar or a user's own logging. */
export interface TunerEvents {
  /** `gridSize`: the number of combinations, for --algo grid. */
  onStart?(info: { study: StudyRecord; dataset: Dataset; backend: BackendName; total: number; existing: number; workers: number; resumed: boolean; gridSize?: GridSize }): void;
  /** `rerun`: an earlier trial handed out again (it lost its process, or failed with retries left). */
  onTrialStart?(trial: TrialRecord, rerun?: 'stale' | 'retry'): void;
  /** `worker`: the memory of the worker thread that ran the trial, after it cleaned up. */
  onTrialEnd?(trial: TrialRecord, progress: { finished: number; running: number; best: TrialRecord | undefined; worker?: WorkerMemory }): void;
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
  storage: string;
}

/** Seed of trial n's weights and batch order: derived from (study seed, n) only. */
export function trialSeed(studySeed: number, trialNumber: number): number {
  return seedrandom(`${studySeed}:trial:${trialNumber}`).int32() >>> 0;
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

/** Ends any oracle's search after `maxTrials` trials (stale ones, which lose their worker, do not count). */
function capTrials(oracle: Oracle, maxTrials: number): Oracle {
  if (!Number.isFinite(maxTrials)) return oracle;
  return {
    next(study, trials) {
      if (trials.filter((t) => t.status !== 'stale').length >= maxTrials) return { kind: 'done', reason: `reached --max-trials ${maxTrials}` };
      return oracle.next(study, trials);
    },
  };
}

/** Why a running trial was aborted: its --trial-timeout, or the whole search interrupted. */
type AbortReason = 'timeout' | 'interrupt';

export class Tuner {
  readonly options: ResolvedOptions;
  private stopping = false;
  private interrupted = false;
  /** Set when --max-consecutive-failures is reached: the error the search ends with. */
  private failureLimit: GradtuneError | undefined;
  private consecutiveFailures = 0;
  /** One per running trial, so interrupt() can end them all. */
  private readonly running = new Set<AbortController>();
  private backend: BackendName = 'cpu';
  /** Set by makeOracle for --algo grid: the grid's size, printed before the search starts. */
  private gridPlan: GridPlan | undefined;
  /** Set by makeOracle for --algo hyperband: the schedule's number of trials. */
  private hyperbandTotal: number | undefined;

  constructor(
    private readonly given: TunerOptions = {},
    private readonly events: TunerEvents = {},
  ) {
    this.options = resolveOptions(given);
  }

  /** Ask running trial loops to stop after their current trial. */
  stop(): void {
    this.stopping = true;
  }

  /**
   * Ends the search now (Ctrl-C): running trials are stopped and given back to the store
   * as stale, so the same command run again re-runs them first, with the same params.
   */
  interrupt(): void {
    this.stopping = true;
    this.interrupted = true;
    for (const controller of this.running) controller.abort('interrupt' satisfies AbortReason);
  }

  async search(): Promise<SearchResults> {
    const o = this.options;
    // Worker threads load tfjs while this process checks the space, data and store.
    const pool = new TrialPool(o.workers, o.backend);
    try {
      return await this.searchWith(pool);
    } finally {
      await pool.close();
    }
  }

  private async searchWith(pool: TrialPool): Promise<SearchResults> {
    const o = this.options;
    // Check everything a user can get wrong before the store is opened or written.
    const space = await loadSpace(o.space);
    // The space may set thresholds; check them (under the run's) with its default configuration.
    try {
      resolveDiagnostics(space.configFor({}).diagnostics, o.diagnostics);
    } catch (err) {
      if (err instanceof GradtuneError) throw new GradtuneError(`search space ${o.space.label}: diagnostics: ${err.message}`);
      throw err;
    }
    let dataSource: DataSource = { builtin: o.data.builtin, path: o.data.path, target: o.target, task: o.task, valSplit: o.valSplit, seed: o.seed, ...o.dataShape };
    let dataset = loadDataset(dataSource);
    defaultObjective(dataset, o); // checks objective vs task before the store file is created
    const studyName = validateStudyName(o.study ?? defaultStudyName(o.space.label, o.data.label));
    const oracle = this.makeOracle(space);
    const backend = await initBackend(o.backend);
    this.backend = backend;

    const store = openSqliteStore(o.storage, { staleAfterMs: o.staleAfter * 1000 });
    try {
      // A continued study keeps its own split options unless the user set them again.
      const previous = o.overwrite ? undefined : store.getStudy(studyName);
      if (previous && this.dataOptionsImplicit() && JSON.stringify(previous.data) !== JSON.stringify(dataSource)) {
        dataSource = { ...previous.data, builtin: o.data.builtin, path: o.data.path };
        dataset = loadDataset(dataSource);
      }
      const objective = defaultObjective(dataset, o);
      const { study, resumed } = this.openStudy(store, studyName, dataset, dataSource, objective);
      // Finished trials; running and stale ones are (re-)run by this search or another process.
      const existing = store.trials(study.id).filter((t) => t.status !== 'running' && t.status !== 'stale').length;
      const total = this.gridPlan?.trials ?? this.hyperbandTotal ?? o.maxTrials;
      this.events.onStart?.({ study, dataset, backend, total, existing, workers: o.workers, resumed, gridSize: this.gridPlan?.size });
      let stopReason = 'stopped';
      const counters = { finished: 0, running: 0 };
      const loops = Array.from({ length: o.workers }, () =>
        this.trialLoop(store, study, oracle, pool, counters).then((reason) => {
          if (reason) stopReason = reason;
        }),
      );
      await Promise.all(loops);
      // Also when nothing ran: a finished study searched again with --keep-checkpoints.
      this.retainCheckpoints(store, study);
      if (this.failureLimit) throw this.failureLimit;
      if (this.interrupted) stopReason = 'interrupted: the trials that were running will run again when the same command is run';
      const trials = store.trials(study.id);
      return { study, trials, best: bestTrial(study, trials), stopReason, interrupted: this.interrupted, rejection: rejectionSummary(trials), backend, storage: o.storage };
    } finally {
      store.close();
    }
  }

  private dataOptionsImplicit(): boolean {
    const g = this.given;
    return g.target === undefined && g.task === undefined && g.valSplit === undefined && g.seed === undefined && DATA_SHAPE_KEYS.every((k) => g[k] === undefined);
  }

  private makeOracle(space: SearchSpace): Oracle {
    const o = this.options;
    if (o.algorithm === 'grid') {
      // Counted here, before the store is opened: a float without a step or a grid too
      // large to run whole is an error that writes nothing.
      this.gridPlan = planGrid(space, { maxTrials: o.maxTrials, gridPoints: o.gridPoints });
      return gridOracle(space, { maxTrials: o.maxTrials, gridPoints: o.gridPoints });
    }
    if (o.algorithm === 'hyperband') {
      const settings = { maxEpochs: o.maxEpochs, ...o.hyperband! };
      this.hyperbandTotal = Math.min(o.maxTrials, hyperbandSchedule(settings).totalTrials);
      return capTrials(hyperbandOracle(space, settings), o.maxTrials);
    }
    return randomOracle(space, { maxTrials: o.maxTrials });
  }

  /** Creates the study, or checks that the existing one is the same search. */
  private openStudy(store: SqliteStore, name: string, dataset: Dataset, data: DataSource, objective: Objective): { study: StudyRecord; resumed: boolean } {
    const o = this.options;
    let existing = store.getStudy(name);
    if (existing && o.overwrite) {
      store.deleteStudy(name);
      existing = undefined;
    }
    if (existing) {
      const fix = `use --overwrite to start it afresh, or --study <another-name>`;
      if (existing.space !== o.space.label) throw new GradtuneError(`study "${name}" was created with space "${existing.space}", not "${o.space.label}": ${fix}`);
      if (existing.datasetFingerprint !== dataset.fingerprint) {
        throw new GradtuneError(`study "${name}" was created on different data ("${existing.datasetName}", other contents or split options): ${fix}`);
      }
      if (existing.objective.metric !== objective.metric || existing.objective.direction !== objective.direction) {
        if (o.objective !== undefined || o.direction !== undefined) {
          throw new GradtuneError(`study "${name}" optimises ${existing.objective.metric} (${existing.objective.direction}), not ${objective.metric} (${objective.direction}): ${fix}`);
        }
      }
      if (this.given.maxEpochs !== undefined && existing.maxEpochs !== o.maxEpochs) {
        throw new GradtuneError(`study "${name}" caps trials at --max-epochs ${existing.maxEpochs}, not ${o.maxEpochs}: ${fix}`);
      }
      if (existing.algorithm !== o.algorithm) throw new GradtuneError(`study "${name}" uses --algo ${existing.algorithm}, not ${o.algorithm}: ${fix}`);
      return { study: existing, resumed: true };
    }
    let study: StudyRecord;
    try {
      study = this.createStudy(store, name, dataset, data, objective);
    } catch (err) {
      // Several processes started at once on a new study: one creates it, the others join.
      if (err instanceof GradtuneError && !o.overwrite && store.getStudy(name)) return this.openStudy(store, name, dataset, data, objective);
      throw err;
    }
    return { study, resumed: false };
  }

  private createStudy(store: SqliteStore, name: string, dataset: Dataset, data: DataSource, objective: Objective): StudyRecord {
    const o = this.options;
    return store.createStudy({
      name,
      space: o.space.label,
      datasetName: o.data.label,
      datasetFingerprint: dataset.fingerprint,
      data,
      objective,
      algorithm: o.algorithm,
      settings: { maxTrials: o.maxTrials, ...(o.hyperband ? { hyperband: o.hyperband } : {}), diagnostics: resolveDiagnostics(o.diagnostics) },
      seed: o.seed,
      maxEpochs: o.maxEpochs,
    });
  }

  /** --keep-checkpoints: drops the weights that neither an export of the best nor a promotion can need. */
  private retainCheckpoints(store: SqliteStore, study: StudyRecord): void {
    const keep = this.options.keepCheckpoints;
    if (!Number.isFinite(keep)) return;
    store.dropCheckpoints(study.id, (s, trials) => checkpointsToKeep(s, trials, { keep }));
  }

  /** One of `workers` concurrent loops: ask → run → tell until the oracle says done. */
  private async trialLoop(store: SqliteStore, study: StudyRecord, oracle: Oracle, pool: TrialPool, counters: { finished: number; running: number }): Promise<string | undefined> {
    const o = this.options;
    while (!this.stopping) {
      const asked = store.ask(study.id, (s, trials) => oracle.next(s, trials), { maxRetries: o.maxRetries });
      if (asked.kind === 'done') return asked.reason;
      if (asked.kind === 'wait') {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      const trial = asked.trial;
      counters.running++;
      this.events.onTrialStart?.(trial, asked.rerun);
      // The heartbeat tells other processes (and a later run) that this trial is alive;
      // one that stops beating is re-queued as stale (store.ask).
      const beat = setInterval(() => store.heartbeat(study.id, trial.number), o.heartbeatInterval * 1000);
      let result: TrialResult | 'interrupted';
      try {
        result = await this.runInPool(pool, store, study, trial);
      } finally {
        clearInterval(beat);
        counters.running--;
      }
      if (result === 'interrupted') {
        store.release(study.id, trial.number, trial.attempt);
        continue;
      }
      counters.finished++;
      const told = store.tell(study.id, trial.number, {
        status: result.status,
        score: result.score,
        bestEpoch: result.bestEpoch,
        epochsRun: result.epochsRun,
        history: result.history,
        backend: result.backend,
        durationMs: Math.round(result.durationMs),
        error: result.error ?? null,
        diagnostics: result.diagnostics ?? null,
        plannedEpochs: result.plannedEpochs ?? null,
        checkpoint: result.status === 'completed' ? (result.checkpoint ?? null) : null,
        attempt: trial.attempt,
      });
      // Not told: this attempt went stale and another process runs the trial again.
      if (!told) continue;
      this.retainCheckpoints(store, study);
      const trials = store.trials(study.id);
      const finishedTrial = trials.find((t) => t.number === trial.number)!;
      this.countFailure(finishedTrial);
      this.events.onTrialEnd?.(finishedTrial, { ...counters, best: bestTrial(study, trials), worker: result.worker });
    }
    return undefined;
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

  private async runInPool(pool: TrialPool, store: SqliteStore, study: StudyRecord, trial: TrialRecord): Promise<TrialResult | 'interrupted'> {
    // A promoted trial continues its parent from the parent's best-epoch weights, which
    // the store holds (any process may have trained the parent).
    let resume: TrialSpec['resume'];
    if (trial.parent !== null) {
      const checkpoint = store.checkpoint(study.id, trial.parent);
      if (!checkpoint) return failedResult(this.backend, 0, `trial ${trial.parent}, which this trial continues, kept no checkpoint`);
      resume = { checkpoint, fromEpoch: trial.fromEpoch ?? 0 };
    }
    const spec: TrialSpec = {
      trialNumber: trial.number,
      params: trial.params,
      space: { builtin: this.options.space.builtin, path: this.options.space.path },
      data: study.data,
      objective: study.objective,
      // An oracle with a schedule of epochs (Hyperband) says what the trial trains to.
      maxEpochs: trial.toEpoch ?? study.maxEpochs,
      scheduleEpochs: trial.toEpoch !== null ? study.maxEpochs : undefined,
      resume,
      seed: trialSeed(study.seed, trial.number),
      backend: this.options.backend,
      diagnostics: this.options.diagnostics,
      // Every completed trial keeps its best-epoch weights (promotion, export).
      keepCheckpoint: true,
    };
    const controller = new AbortController();
    this.running.add(controller);
    const started = performance.now();
    const timeout = Number.isFinite(this.options.trialTimeout)
      ? setTimeout(() => controller.abort('timeout' satisfies AbortReason), this.options.trialTimeout * 1000)
      : undefined;
    try {
      return await pool.run(spec, controller.signal);
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
    }
  }
}

export { describeDataset };
