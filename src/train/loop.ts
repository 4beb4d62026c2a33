// The training loop: ours, not model.fit, so every step's gradients pass through our
// hands (clipping, and the gradient monitor). Performance rule on small models: the
// dataset lives on the backend, each batch is gathered by an index tensor, and metrics
// are accumulated on the backend and read back once per epoch.
import type * as TF from '@tensorflow/tfjs';
import type { NamedTensor } from './checkpoint.js';
import seedrandom from 'seedrandom';
import { tf } from './backend.js';
import { disposeOptimizer, makeTrainOptimizer, optimizerState, setLearningRate } from './optimizer.js';
import { trainingHead } from './model.js';
import { lossOf, metricSumOf } from './losses.js';
import { makeTrainingStep, type TrainingStep } from './train-step.js';
import { fusedKernelsAvailable } from './kernels/register.js';
import { learningRateAt } from './schedule.js';
import type { Dataset } from '../data/types.js';
import type { TrainingSettings } from '../space/types.js';
import { DiagnosticsRecorder } from './diagnostics-recorder.js';
import { encodeCheckpoint, loadCheckpoint } from './checkpoint.js';
import type { EpochRecord, Objective } from './types.js';
import type { EpochAnswer } from '../pool/epoch-channel.js';
import type { DiagnosticsSettings, TrialDiagnostics } from './diagnostics-types.js';

export interface TrainOptions {
  model: TF.LayersModel;
  dataset: Dataset;
  training: TrainingSettings;
  objective: Objective;
  /** Cap on epochs; the configuration's own `epochs` may be lower. */
  maxEpochs: number;
  /** Seeds the batch order. */
  seed: number;
  /**
   * Called after every epoch with its record (and the validation predictions when
   * `wantPredictions`), awaited: its answer may add metrics to the record (a custom
   * objective computed elsewhere) or stop the trial (a pruner).
   */
  onEpoch?: (record: EpochRecord, predictions?: Float32Array) => Promise<EpochAnswer | void> | EpochAnswer | void;
  /** Read back the validation predictions every epoch for onEpoch (probabilities, or values). */
  wantPredictions?: boolean;
  /** Watch the gradients (and reject per the settings); off when absent. */
  diagnostics?: DiagnosticsSettings;
  /** Continue a trial: its parent's checkpoint, and the epochs the parent trained. */
  resume?: { checkpoint: Uint8Array; fromEpoch: number };
  /** Epochs the learning-rate schedule spans (default: the epochs this run trains to). */
  scheduleEpochs?: number;
  /** Return the best epoch's weights as a checkpoint. */
  keepCheckpoint?: boolean;
  /**
   * 'auto' (default): gradtune's kernels where the backend allows them (the lean step for
   * its MLPs, the one-kernel optimizer for any model); 'tfjs': tfjs's own ops only, as
   * GRADTUNE_KERNELS=tfjs does. Both give the same results within float32 rounding.
   */
  kernels?: 'auto' | 'tfjs';
}

export interface TrainOutcome {
  history: EpochRecord[];
  /** Best objective value seen, null when no epoch produced a finite one. */
  score: number | null;
  bestEpoch: number | null;
  epochsRun: number;
  /** Epochs the trial would have trained without early stopping or rejection. */
  plannedEpochs: number;
  /** Why training ended before its epoch budget, if it did. */
  stoppedEarly?: 'early-stopping' | 'non-finite-loss' | 'rejected' | 'pruned';
  /** When onEpoch stopped the trial: the epoch and the rule it gave. */
  pruned?: { epoch: number; rule: string };
  /** What the gradient monitor saw, when it was on. */
  diagnostics?: TrialDiagnostics;
  /** The best epoch's weights, when asked for and an epoch scored. */
  checkpoint?: Uint8Array;
  /** How the steps ran: gradtune's lean MLP step, the Layers model with its one-kernel update, or tfjs's ops only. */
  path?: TrainingStep['path'];
}

function isBetter(value: number, best: number | null, objective: Objective, minDelta: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (best === null) return true;
  return objective.direction === 'max' ? value > best + minDelta : value < best - minDelta;
}

/** Fisher–Yates with a seeded rng, so batch order depends only on the trial's seed. */
function shuffledIndices(n: number, rng: () => number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

export async function train(opts: TrainOptions): Promise<TrainOutcome> {
  const { model, dataset: ds, training, objective } = opts;
  const classification = ds.task === 'classification';
  const metricName = classification ? 'accuracy' : 'mae';
  // Epochs are numbered across a trial and the trials that continue it: a promoted trial
  // trains epochs fromEpoch+1..epochs, on the schedule of the whole run.
  const fromEpoch = opts.resume?.fromEpoch ?? 0;
  const epochs = Math.max(fromEpoch + 1, Math.min(training.epochs ?? opts.maxEpochs, opts.maxEpochs));
  const batchSize = Math.max(1, Math.min(training.batchSize, ds.nTrain));
  const stepsPerEpoch = Math.ceil(ds.nTrain / batchSize);
  const schedule = {
    baseRate: training.learningRate,
    warmupEpochs: training.warmupEpochs ?? 0,
    decay: training.decay ?? 'constant',
    decayRate: training.decayRate ?? 0.9,
    stepsPerEpoch,
    totalEpochs: Math.max(epochs, opts.scheduleEpochs ?? epochs),
  };
  const patience = training.earlyStopping?.patience ?? Infinity;
  const minDelta = training.earlyStopping?.minDelta ?? 0;
  const rng = seedrandom(`batches:${opts.seed}`);

  const xTrain = tf.tensor2d(ds.xTrain, [ds.nTrain, ds.nFeatures]);
  const yTrain = tf.tensor2d(ds.yTrain, [ds.nTrain, ds.nOutputs]);
  const xVal = tf.tensor2d(ds.xVal, [ds.nVal, ds.nFeatures]);
  const yVal = tf.tensor2d(ds.yVal, [ds.nVal, ds.nOutputs]);
  const head = trainingHead(model, ds.task);
  const kernels = (opts.kernels ?? 'auto') === 'auto' && fusedKernelsAvailable();
  const optimizer = makeTrainOptimizer(training.optimizer, learningRateAt(fromEpoch * stepsPerEpoch, schedule), kernels);
  const recorder = opts.diagnostics ? new DiagnosticsRecorder(model, opts.diagnostics, xTrain, stepsPerEpoch * (epochs - fromEpoch), { optimizer: training.optimizer, task: ds.task }) : undefined;
  let stepper: TrainingStep | undefined;
  const rejecting = opts.diagnostics?.reject ?? false;

  const history: EpochRecord[] = [];
  let best: number | null = null;
  let bestEpoch: number | null = null;
  let bestWeights: TF.Tensor[] | null = null;
  let bestOptimizer: NamedTensor[] | null = null;
  let sinceBest = 0;
  let stoppedEarly: TrainOutcome['stoppedEarly'];
  let globalStep = fromEpoch * stepsPerEpoch;
  let currentRate = learningRateAt(globalStep, schedule);
  /** Steps taken by this trial (the monitor's preflight counts from here). */
  let trialStep = 0;
  let outcomeDiagnostics: TrialDiagnostics | undefined;
  let checkpoint: Uint8Array | undefined;
  let pruned: TrainOutcome['pruned'];

  try {
    if (opts.resume) await loadCheckpoint(model, opts.resume.checkpoint, optimizer);
    stepper = makeTrainingStep({ model, head, optimizer, xTrain, yTrain, clip: training.clip, statsPlan: recorder?.statsPlan, kernels });
    epochs: for (let epoch = fromEpoch + 1; epoch <= epochs; epoch++) {
      const order = shuffledIndices(ds.nTrain, rng);
      // Per-step batch loss (mean) and metric sum stay on the backend as kept scalars and
      // are reduced once at the end of the epoch: no per-step read back, no extra ops.
      const stepLosses: TF.Scalar[] = [];
      const stepMetrics: TF.Scalar[] = [];
      const stepSizes: number[] = [];
      for (let step = 0; step < stepsPerEpoch; step++, globalStep++, trialStep++) {
        const rate = learningRateAt(globalStep, schedule);
        if (rate !== currentRate) {
          setLearningRate(optimizer, rate);
          currentRate = rate;
        }
        const start = step * batchSize;
        const size = Math.min(batchSize, ds.nTrain - start);
        const check = recorder?.shouldCheck(trialStep, epoch, step === stepsPerEpoch - 1) ?? false;
        // The step's loss and metric sum are disposed at the end of the epoch.
        const out = stepper.step(order.subarray(start, start + size), check);
        stepLosses.push(out.loss);
        stepMetrics.push(out.metric);
        if (out.stats) recorder!.recordStats(out.stats, { epoch, step: step + 1, preflight: recorder!.inPreflight(trialStep), learningRate: rate });
        stepSizes.push(size);
        // Preflight: the probe's checks are read once, and an unhealthy trial stops here.
        if (recorder?.isPreflightEnd(trialStep) && (await recorder.readPending()).kind !== 'healthy' && rejecting) {
          tf.dispose([...stepLosses, ...stepMetrics]);
          stoppedEarly = 'rejected';
          break epochs;
        }
      }

      // The epoch's one read back: its metrics, then the monitor's checks and probe.
      const readback = tf.tidy(() => {
        const lossSum = tf.sum(tf.mul(tf.stack(stepLosses), tf.tensor1d(stepSizes)));
        const pred = stepper!.predict(xVal);
        const metrics = tf.stack([lossSum, tf.addN(stepMetrics), lossOf(pred, yVal, head.outputs), metricSumOf(pred, yVal, head.outputs)]);
        const probe = recorder?.probeTensor();
        // The predictions go last, so the monitor's readings keep their offsets.
        const predictions = opts.wantPredictions ? [tf.reshape(head.outputs === 'logits' ? tf.softmax(pred) : pred, [-1])] : [];
        return tf.concat([metrics, ...(recorder?.pendingTensors() ?? []), ...(probe ? [probe] : []), ...predictions]);
      });
      tf.dispose([...stepLosses, ...stepMetrics]);
      const values = (await readback.data()) as Float32Array;
      readback.dispose();
      const [lossSum, trainMetricSum, valLoss, valMetricSum] = values;
      recorder?.consumeEpoch(epoch, values, 4);

      // Regression trains on the standardised target: its MSE and MAE go back to the target's units.
      const unit = ds.targetScaling?.std ?? 1;
      const record: EpochRecord = {
        epoch,
        loss: (lossSum / ds.nTrain) * unit ** 2,
        val_loss: valLoss * unit ** 2,
        [metricName]: (trainMetricSum / ds.nTrain) * (classification ? 1 : unit),
        [`val_${metricName}`]: (valMetricSum / ds.nVal) * (classification ? 1 : unit),
        learningRate: currentRate,
      };
      const answer = await opts.onEpoch?.(record, opts.wantPredictions ? values.slice(values.length - ds.nVal * ds.nOutputs) : undefined);
      if (answer?.error) throw new Error(answer.error);
      if (answer?.metrics) Object.assign(record, answer.metrics);
      history.push(record);
      // The loss can turn NaN between two checks: the epoch's loss is a reading too.
      const diverged = !Number.isFinite(record.loss) || !Number.isFinite(record.val_loss);
      const unhealthy = recorder?.observeEpoch(record, stepsPerEpoch, diverged ? (Number.isFinite(record.loss) ? record.val_loss : record.loss) : record.loss) ?? false;

      // A diverged model's metrics mean nothing (argMax of NaN is class 0): never its best.
      const value = diverged ? undefined : record[objective.metric];
      if (typeof value === 'number' && isBetter(value, best, objective, minDelta)) {
        best = value;
        bestEpoch = epoch;
        sinceBest = 0;
        bestWeights?.forEach((w) => w.dispose());
        bestWeights = model.getWeights().map((w) => w.clone());
        if (opts.keepCheckpoint) {
          // The optimizer's state at the best epoch goes into the checkpoint with the weights.
          bestOptimizer?.forEach((w) => w.tensor.dispose());
          const current = await optimizerState(optimizer);
          bestOptimizer = current.map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
          // The step count is a new scalar; the rest are the optimizer's own variables.
          current[0]?.tensor.dispose();
        }
      } else {
        sinceBest++;
      }
      if (unhealthy && rejecting) {
        stoppedEarly = 'rejected';
        break;
      }
      if (diverged) {
        stoppedEarly = 'non-finite-loss';
        break;
      }
      if (sinceBest >= patience) {
        stoppedEarly = 'early-stopping';
        break;
      }
      if (answer?.stop) {
        stoppedEarly = 'pruned';
        pruned = { epoch, rule: answer.stop };
        break;
      }
    }
    // Restore the best epoch's weights, as Keras's EarlyStopping(restore_best_weights).
    if (bestWeights) model.setWeights(bestWeights);
    if (bestWeights && opts.keepCheckpoint) checkpoint = await encodeCheckpoint(bestWeights, bestOptimizer ?? []);
  } finally {
    const diagnostics = recorder?.finish();
    if (diagnostics) outcomeDiagnostics = diagnostics;
    bestWeights?.forEach((w) => w.dispose());
    bestOptimizer?.forEach((w) => w.tensor.dispose());
    stepper?.dispose();
    disposeOptimizer(optimizer);
    tf.dispose([xTrain, yTrain, xVal, yVal]);
  }
  return {
    history,
    score: best,
    bestEpoch,
    epochsRun: history.length,
    plannedEpochs: epochs - fromEpoch,
    stoppedEarly,
    pruned,
    diagnostics: outcomeDiagnostics,
    checkpoint,
    path: stepper?.path,
  };
}
