// Runs one trial inside a worker: rebuild the configuration from its params, build the
// model, train, and report. The space module and the dataset are loaded once per worker
// and reused across trials (keyed by what identifies them).
import type * as TF from '@tensorflow/tfjs';
import { initBackend, tf } from '../train/backend.js';
import { ensureHealthyBackend, isBackendFault, resetBackend } from '../train/backend-health.js';
import { buildModel } from '../train/model.js';
import { train } from '../train/loop.js';
import { resolveDiagnostics } from '../train/diagnostics-settings.js';
import { loadSpace } from '../space/load.js';
import { loadDataset } from '../data/load.js';
import { isGradtuneError } from '../errors.js';
import type { SearchSpace } from '../space/define.js';
import type { Dataset } from '../data/types.js';
import { failedResult, type EpochRecord, type TrialResult, type TrialSpec } from '../train/types.js';
import type { EpochAnswer } from './epoch-channel.js';

const spaces = new Map<string, Promise<SearchSpace>>();
const datasets = new Map<string, Dataset>();

function cachedSpace(spec: TrialSpec): Promise<SearchSpace> {
  const key = JSON.stringify(spec.space);
  let space = spaces.get(key);
  if (!space) {
    space = loadSpace(spec.space);
    spaces.set(key, space);
  }
  return space;
}

function cachedDataset(spec: TrialSpec): Dataset {
  const key = JSON.stringify(spec.data);
  let ds = datasets.get(key);
  if (!ds) {
    ds = loadDataset(spec.data);
    datasets.set(key, ds);
  }
  return ds;
}

function describeError(err: unknown): string {
  if (isGradtuneError(err)) return err.message;
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

/** Sends an epoch's record to the main thread and waits for its answer (see epoch-channel.ts). */
export type EpochReporter = (record: EpochRecord, predictions?: Float32Array) => Promise<EpochAnswer>;

export async function runTrial(spec: TrialSpec, report?: EpochReporter): Promise<TrialResult> {
  const started = performance.now();
  const backend = await initBackend(spec.backend);
  await ensureHealthyBackend();
  let model: TF.LayersModel | undefined;
  try {
    const space = await cachedSpace(spec);
    const dataset = cachedDataset(spec);
    const config = space.configFor(spec.params);
    model = buildModel(config, {
      inputDim: dataset.nFeatures,
      outputUnits: dataset.nOutputs,
      task: dataset.task,
      seed: spec.seed,
    });
    const diagnostics = resolveDiagnostics(config.diagnostics, spec.diagnostics);
    const outcome = await train({
      model,
      dataset,
      // Under a schedule (Hyperband), a round trains exactly to its epoch: the space's own
      // epochs would cut it short.
      training: spec.scheduleEpochs ? { ...config.training, epochs: undefined } : config.training,
      scheduleEpochs: spec.scheduleEpochs,
      objective: spec.objective,
      maxEpochs: spec.maxEpochs,
      seed: spec.seed,
      diagnostics,
      resume: spec.resume,
      keepCheckpoint: spec.keepCheckpoint,
      onEpoch: report,
      wantPredictions: Boolean(report && spec.epochPredictions),
    });
    return {
      status: outcome.stoppedEarly === 'rejected' ? 'rejected' : outcome.stoppedEarly === 'pruned' ? 'pruned' : 'completed',
      ...(outcome.pruned ? { pruned: outcome.pruned } : {}),
      plannedEpochs: outcome.plannedEpochs,
      diagnostics: outcome.diagnostics,
      checkpoint: outcome.checkpoint,
      score: outcome.score,
      bestEpoch: outcome.bestEpoch,
      epochsRun: outcome.epochsRun,
      history: outcome.history,
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
