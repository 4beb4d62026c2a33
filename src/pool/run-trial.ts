// Runs one trial inside a worker: rebuild the configuration from its params, build the
// model, train, and report. The space module is loaded once per worker and the dataset
// kept (shared by the main thread, or loaded once), both reused across trials.
import type * as TF from '@tensorflow/tfjs';
import { initBackend, tf } from '../train/backend.js';
import { ensureHealthyBackend, isBackendFault, resetBackend } from '../train/backend-health.js';
import { buildModel } from '../train/model.js';
import { train, type TrainOutcome } from '../train/loop.js';
import { aggregateRuns, planRuns, type PlannedRun } from './runs.js';
import { foldDataset, foldOf } from '../data/folds.js';
import { resolveDiagnostics } from '../train/diagnostics-settings.js';
import { loadSpace } from '../space/load.js';
import { withRemedies } from '../remedy/find-remedies.js';
import { loadDataset } from '../data/load.js';
import { isGradtuneError } from '../errors.js';
import type { SearchSpace } from '../space/define.js';
import type { Dataset } from '../data/types.js';
import { failedResult, type EpochRecord, type TrialResult, type TrialSpec } from '../train/types.js';
import type { EpochAnswer } from './epoch-channel.js';

const spaces = new Map<string, Promise<SearchSpace>>();
/** The data of this thread's trials: shared by the main thread, or loaded here. One at a time. */
let cached: { key: string; dataset: Dataset } | undefined;

function cachedSpace(spec: TrialSpec): Promise<SearchSpace> {
  const key = JSON.stringify(spec.space);
  let space = spaces.get(key);
  if (!space) {
    space = loadSpace(spec.space);
    spaces.set(key, space);
  }
  return space;
}

/**
 * The trial's dataset. Shared by the main thread (the usual case: it parsed the file once
 * and its arrays are views on shared memory), kept by fingerprint, so later trials reuse
 * this thread's copy of the small metadata too. Otherwise (a pool used without a dataset)
 * loaded from `spec.data` once per thread.
 */
function datasetFor(spec: TrialSpec, shared: Dataset | undefined): Dataset {
  if (shared) {
    if (cached?.key !== `shared:${shared.fingerprint}`) cached = { key: `shared:${shared.fingerprint}`, dataset: shared };
    return cached.dataset;
  }
  const key = JSON.stringify(spec.data);
  if (cached?.key !== key) {
    if (spec.data.memory) throw new Error('in-memory data reaches a worker only with its trial (TrialPool.run with a dataset)');
    cached = { key, dataset: loadDataset(spec.data) };
  }
  return cached.dataset;
}

function describeError(err: unknown): string {
  if (isGradtuneError(err)) return err.message;
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * Sends an epoch's record to the main thread and waits for its answer (see
 * epoch-channel.ts); `run` says which run of a trial with several (executions, folds).
 */
export type EpochReporter = (record: EpochRecord, predictions?: Float32Array, run?: PlannedRun) => Promise<EpochAnswer>;

/**
 * Stopped by the monitor and rejected: a verdict on a run that never learned (or a
 * --reject-on finding). A verdict after the run had learned only stops it: it keeps its
 * best epoch and completes, as early stopping would.
 */
function rejected(outcome: TrainOutcome): boolean {
  return outcome.stoppedEarly === 'rejected' && outcome.diagnostics?.rejectedBy !== undefined;
}

function withSpaceRemedies(d: TrainOutcome['diagnostics'], space: SearchSpace, params: TrialSpec['params']): TrainOutcome['diagnostics'] {
  return d && { ...d, findings: withRemedies(d.findings ?? [], space, params) };
}

export async function runTrial(spec: TrialSpec, report?: EpochReporter, shared?: Dataset): Promise<TrialResult> {
  const started = performance.now();
  const backend = await initBackend(spec.backend);
  await ensureHealthyBackend();
  let model: TF.LayersModel | undefined;
  try {
    const space = await cachedSpace(spec);
    const dataset = datasetFor(spec, shared);
    const config = space.configFor(spec.params);
    const diagnostics = resolveDiagnostics(config.diagnostics, spec.diagnostics);
    const planned = planRuns(spec);
    const folds = spec.folds ? foldOf(dataset, spec.folds.k, spec.folds.seed) : undefined;
    const outcomes: TrainOutcome[] = [];
    for (const run of planned) {
      const data = run.fold === null || !folds ? dataset : foldDataset(dataset, folds, run.fold);
      model = buildModel(config, { inputDim: data.nFeatures, outputUnits: data.nOutputs, task: data.task, seed: run.seed });
      const outcome = await train({
        model,
        dataset: data,
        // Under a schedule (Hyperband), a round trains exactly to its epoch: the space's own
        // epochs would cut it short.
        training: spec.scheduleEpochs ? { ...config.training, epochs: undefined } : config.training,
        scheduleEpochs: spec.scheduleEpochs,
        objective: spec.objective,
        maxEpochs: spec.maxEpochs,
        seed: run.seed,
        diagnostics,
        resume: spec.resume,
        keepCheckpoint: spec.keepCheckpoint,
        onEpoch: report ? (record, predictions) => report(record, predictions, planned.length > 1 ? run : undefined) : undefined,
        wantPredictions: Boolean(report && spec.epochPredictions),
      });
      model.dispose();
      model = undefined;
      outcomes.push(outcome);
      // A rejected or pruned run judges the configuration: the other runs would not change that.
      if (rejected(outcome) || outcome.stoppedEarly === 'pruned') break;
    }
    const { best, score, scoreStd, runs } = aggregateRuns(outcomes, planned, spec.objective);
    const last = outcomes[outcomes.length - 1];
    return {
      status: rejected(last) ? 'rejected' : last.stoppedEarly === 'pruned' ? 'pruned' : 'completed',
      ...(last.pruned ? { pruned: last.pruned } : {}),
      plannedEpochs: best.plannedEpochs,
      // Each finding with the remedies this trial's own space can express (src/remedy).
      diagnostics: withSpaceRemedies(rejected(last) ? last.diagnostics : best.diagnostics, space, spec.params),
      checkpoint: best.checkpoint,
      score,
      bestEpoch: best.bestEpoch,
      epochsRun: best.epochsRun,
      history: best.history,
      ...(planned.length > 1 ? { runs, scoreStd } : {}),
      backend,
      durationMs: performance.now() - started,
    };
  } catch (err) {
    if (isBackendFault(err)) {
      // The model abandoned with the old instance: nothing of it is left to dispose.
      model = undefined;
      await resetBackend();
      return failedResult(
        backend,
        performance.now() - started,
        `the ${backend} backend ran out of memory or aborted (${(err as Error).message.split('\n')[0]}): this configuration needs more than the backend can hold (a smaller model or batch size); the backend was reset for the next trial`,
      );
    }
    return failedResult(backend, performance.now() - started, describeError(err));
  } finally {
    model?.dispose();
  }
}
