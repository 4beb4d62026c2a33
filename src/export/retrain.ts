// `export --retrain`: the winning configuration trained again from scratch on every row
// the study had (training and validation splits together), for as many epochs as the
// trial needed to reach its best score — the usual last step once a search has chosen
// hyperparameters (Keras Tuner's docs: "retrain the model with the entire dataset").
// The preprocessing (imputation, categories, scaling, the target's scaling) is fitted
// again on all those rows: the model never sees the old split.
import type * as TF from '@tensorflow/tfjs';
import { GradtuneError } from '../errors.js';
import { buildModel } from '../train/model.js';
import { train } from '../train/loop.js';
import { loadAllRowsAsync } from '../data/load.js';
import type { Dataset, DatasetInfo } from '../data/types.js';
import type { StudyRecord, TrialRecord } from '../store/store.js';
import type { Objective } from '../train/types.js';
import type { RetrainedInfo } from './artifacts.js';
import { preprocessingOf, type Preprocessing } from './preprocessing.js';
import { trialShapes } from './rebuild.js';
import type { StudyContext } from './study-context.js';

/**
 * The loop keeps (and restores) the weights of the epoch that scored best. Retraining
 * has no held-out rows to score on, and must end with its last epoch's weights: the
 * epoch number itself, maximised, makes every epoch the new best.
 */
const LAST_EPOCH: Objective = { metric: 'epoch', direction: 'max' };

export interface Retrained {
  model: TF.LayersModel;
  preprocessing: Preprocessing;
  info: RetrainedInfo;
}

export async function retrainOnAllRows(ctx: StudyContext, study: StudyRecord, trial: TrialRecord): Promise<Retrained> {
  const epochs = trial.bestEpoch;
  if (epochs === null || epochs < 1) {
    throw new GradtuneError(`trial ${trial.number} has no best epoch to retrain for; export it without --retrain`);
  }
  const all = await allRows(study, ctx.dataset);
  const config = ctx.space.configFor(trial.params);
  // Fitted on all rows, a text column may keep a category (or a column gain a missing
  // indicator) the training split lacked: the model is built for all's features.
  const model = buildModel(config, trialShapes(all, study, trial));
  try {
    const outcome = await train({
      model,
      dataset: all,
      // Exactly the best epoch's count: no early stopping (nothing held out to stop on).
      training: { ...config.training, epochs, earlyStopping: undefined },
      objective: LAST_EPOCH,
      maxEpochs: epochs,
      // The trial's own learning-rate schedule: a cosine decay over 30 epochs stopped at
      // epoch 12 is not a cosine decay over 12.
      scheduleEpochs: scheduleHorizon(study, trial, config.training.epochs),
      seed: trialShapes(ctx.dataset, study, trial).seed,
    });
    if (outcome.stoppedEarly === 'non-finite-loss') {
      throw new GradtuneError(
        `retraining trial ${trial.number} on all ${all.nTrain} rows diverged (non-finite loss at epoch ${outcome.history.length}); export its checkpoint without --retrain`,
      );
    }
    const metric = ctx.dataset.task === 'classification' ? 'accuracy' : 'mae';
    return {
      model,
      preprocessing: preprocessingOf(all, 'train+validation'),
      info: {
        rows: all.nTrain,
        epochs,
        history: outcome.history.map((r) => ({ epoch: r.epoch, loss: r.loss, [metric]: r[metric], learningRate: r.learningRate })),
      },
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * The epochs the trial's learning-rate schedule spanned: under Hyperband the study's
 * --max-epochs (src/tuner.ts), otherwise the configuration's epochs capped by it
 * (src/train/loop.ts).
 */
export function scheduleHorizon(study: StudyRecord, trial: TrialRecord, configEpochs: number | undefined): number {
  if (trial.toEpoch !== null) return study.maxEpochs;
  return Math.min(configEpochs ?? study.maxEpochs, study.maxEpochs);
}

/**
 * Every row of the study's data, encoded and standardised with statistics of all of them.
 * The loop needs a validation set; it gets the same rows (its val_* numbers are then
 * training numbers, and are not reported).
 */
async function allRows(study: StudyRecord, split: DatasetInfo): Promise<Dataset> {
  if (study.data.memory) {
    throw new GradtuneError(
      `study "${study.name}" was searched on in-memory arrays, which no command can read again, so --retrain has no rows to train on; export without --retrain (the trial's own weights), or retrain in code on your arrays`,
    );
  }
  const all = await loadAllRowsAsync(study.data);
  if (all.task !== split.task || (all.classes ?? []).join('\u0000') !== (split.classes ?? []).join('\u0000')) {
    // Cannot happen for data whose fingerprint matched; guards the one-hot order all the same.
    throw new Error(`classes of all rows (${all.classes?.join(', ')}) differ from the study's (${split.classes?.join(', ')})`);
  }
  return all;
}
