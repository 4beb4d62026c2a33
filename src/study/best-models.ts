// Keras Tuner's way to get results back in code: the best hyperparameters and the best
// models (tf.LayersModel with their best-epoch weights), from the study in the store —
// right after a search, or in a later process (Tuner.load).
import type * as TF from '@tensorflow/tfjs';
import { GradtuneError } from '../errors.js';
import { rankTrials, type ScoredTrial } from '../report/rank.js';
import { loadStudyContext } from '../export/study-context.js';
import { modelFromCheckpoint } from '../export/rebuild.js';
import { withRawInput } from '../export/raw-input.js';
import { initBackend } from '../train/backend.js';
import type { Params } from '../space/types.js';
import type { BackendPreference } from '../train/types.js';
import type { Store, StudyRecord, TrialRecord } from '../store/store.js';

/** The k best completed trials, best first (fewer when fewer completed). */
export function bestTrials(study: StudyRecord, trials: readonly TrialRecord[], k: number): ScoredTrial[] {
  if (!Number.isInteger(k) || k < 1) throw new GradtuneError(`the number of trials must be a whole number >= 1, got ${k}`);
  return rankTrials(study, trials)
    .flatMap((r) => (r.rank === null ? [] : [r.trial]))
    .slice(0, k);
}

/** The params of the k best trials, best first: Keras Tuner's get_best_hyperparameters. */
export function bestHyperparameters(study: StudyRecord, trials: readonly TrialRecord[], k: number): Params[] {
  return bestTrials(study, trials, k).map((t) => ({ ...t.params }));
}

/**
 * The k best trials' models with their best-epoch weights (from the store's checkpoints),
 * best first; the caller owns (and disposes) them. Each takes the features unstandardised
 * (as given to search(x, y), or a CSV's numeric columns; the features' order is the
 * study's featureNames) and outputs class probabilities or, for regression, values in the
 * target's own units: the trained network between fixed layers that apply the study's
 * standardisation and undo the target's (src/export/raw-input.ts).
 */
export async function bestModels(store: Store, study: StudyRecord, trials: readonly TrialRecord[], k: number, backend: BackendPreference = 'auto'): Promise<TF.LayersModel[]> {
  const chosen = bestTrials(study, trials, k);
  if (chosen.length === 0) throw new GradtuneError(`study "${study.name}" has no completed trial yet: there is no model to return`);
  await initBackend(backend);
  const ctx = await loadStudyContext(study);
  const models: TF.LayersModel[] = [];
  try {
    for (const trial of chosen) {
      const checkpoint = await store.checkpoint(study.id, trial.number);
      if (!checkpoint) {
        throw new GradtuneError(`trial ${trial.number} of study "${study.name}" kept no weights (--keep-checkpoints dropped them); ask for fewer models, or search with a larger keepCheckpoints`);
      }
      models.push(withRawInput(await modelFromCheckpoint(ctx, study, trial, checkpoint), ctx.dataset));
    }
  } catch (err) {
    models.forEach((m) => m.dispose());
    throw err;
  }
  return models;
}
