// A trial's model as the search left it: the configuration rebuilt from its stored params
// (the same code path a worker takes), its best-epoch weights loaded from the store.
import type * as TF from '@tensorflow/tfjs';
import { buildModel } from '../train/model.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { seedOf } from '../oracle/seed.js';
import { GradtuneError, isGradtuneError } from '../errors.js';
import type { ModelShapes } from '../space/types.js';
import type { DatasetInfo } from '../data/types.js';
import type { StudyRecord, TrialRecord } from '../store/store.js';
import type { StudyContext } from './study-context.js';

/** The shapes a trial's model was built with; the seed only shapes initial weights (and dropout masks). */
export function trialShapes(dataset: Pick<DatasetInfo, 'nFeatures' | 'nOutputs' | 'task'>, study: StudyRecord, trial: TrialRecord): ModelShapes {
  return { inputDim: dataset.nFeatures, outputUnits: dataset.nOutputs, task: dataset.task, seed: seedOf(study.seed, trial) };
}

/** Builds the trial's model and loads its checkpoint; the caller owns (and disposes) the model. */
export async function modelFromCheckpoint(ctx: StudyContext, study: StudyRecord, trial: TrialRecord, checkpoint: Uint8Array): Promise<TF.LayersModel> {
  const model = buildModel(ctx.space.configFor(trial.params), trialShapes(ctx.dataset, study, trial));
  try {
    await loadCheckpoint(model, checkpoint);
  } catch (err) {
    model.dispose();
    // The only way a trial's own weights stop fitting its own params: the space changed.
    if (isGradtuneError(err) && err.message.includes('does not fit')) {
      throw new GradtuneError(`trial ${trial.number}'s stored weights do not fit the model its params build now: the space ${study.space} has changed since the search; restore the version the study was searched with`);
    }
    throw err;
  }
  return model;
}
