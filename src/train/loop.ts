// The training loop: ours, not model.fit, so every step's gradients pass through our
// hands (clipping, and the gradient monitor). Performance rule on small models: the
// dataset lives on the backend, each batch is gathered by an index tensor, and metrics
// are accumulated on the backend and read back once per epoch.
import type * as TF from '@tensorflow/tfjs';
import type { NamedTensor } from './checkpoint.js';
import seedrandom from 'seedrandom';
import { tf } from './backend.js';
import { disposeOptimizer, makeOptimizer, optimizerState, setLearningRate } from './optimizer.js';
import { clipGradients } from './clip.js';
import { trainingHead, type TrainingHead } from './model.js';
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
}

function isBetter(value: number, best: number | null, objective: Objective, minDelta: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (best === null) return true;
  return objective.direction === 'max' ? value > best + minDelta : value < best - minDelta;
}

/** The training loss, mean over the batch. */
function lossOf(pred: TF.Tensor, y: TF.Tensor, outputs: TrainingHead['outputs']): TF.Scalar {
  switch (outputs) {
    case 'logits':
      // Fused softmax + cross-entropy: one op with its own gradient, finite for any logits.
      return tf.losses.softmaxCrossEntropy(y, pred) as TF.Scalar;
    case 'probabilities':
      return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(pred, 1e-7, 1 - 1e-7))), 1))) as TF.Scalar;
    case 'values':
      return tf.mean(tf.square(tf.sub(pred, y))) as TF.Scalar;
  }
}

/** The task metric summed over the batch: correct predictions, or absolute error. */
function metricSumOf(pred: TF.Tensor, y: TF.Tensor, outputs: TrainingHead['outputs']): TF.Scalar {
  if (outputs === 'values') return tf.sum(tf.abs(tf.sub(pred, y))) as TF.Scalar;
  return tf.sum(tf.cast(tf.equal(tf.argMax(pred, 1), tf.argMax(y, 1)), 'float32')) as TF.Scalar;
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
  const optimizer = makeOptimizer(training.optimizer, learningRateAt(fromEpoch * stepsPerEpoch, schedule));
  // variableGrads must see the tf.Variables behind the model's trainable LayerVariables.
  const trainable = model.trainableWeights.map((w) => w.read() as TF.Variable);
  // L1/L2 penalties (kernel regularizers) join the training loss; skip the call when none.
  const hasPenalties = model.layers.some((layer) => layer.losses.length > 0);
  const recorder = opts.diagnostics ? new DiagnosticsRecorder(model, opts.diagnostics, xTrain, stepsPerEpoch * (epochs - fromEpoch), { optimizer: training.optimizer, task: ds.task }) : undefined;
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
    epochs: for (let epoch = fromEpoch + 1; epoch <= epochs; epoch++) {
      const order = tf.tensor1d(shuffledIndices(ds.nTrain, rng), 'int32');
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
        tf.tidy(() => {
          const idx = order.slice(start, size);
          const xb = tf.gather(xTrain, idx);
          const yb = tf.gather(yTrain, idx);
          let pred: TF.Tensor | undefined;
          const { value, grads } = tf.variableGrads(() => {
            // Kept so it outlives variableGrads's inner tidy; the metric is computed from
            // it outside, so its ops stay off the gradient tape.
            pred = tf.keep(head.model.apply(xb, { training: true }) as TF.Tensor);
            const loss = lossOf(pred, yb, head.outputs);
            return (hasPenalties ? tf.addN([loss, ...model.calculateLosses()]) : loss) as TF.Scalar;
          }, trainable);
          // Kept tensors escape every tidy: these are disposed at the end of the epoch.
          stepMetrics.push(tf.keep(metricSumOf(pred!, yb, head.outputs)));
          pred!.dispose();
          const applied = clipGradients(grads, training.clip);
          if (recorder?.shouldCheck(trialStep, epoch, step === stepsPerEpoch - 1)) {
            recorder.record(applied, value, { epoch, step: step + 1, preflight: recorder.inPreflight(trialStep), learningRate: rate });
          }
          optimizer.applyGradients(applied);
          stepLosses.push(tf.keep(value));
        });
        stepSizes.push(size);
        // Preflight: the probe's checks are read once, and an unhealthy trial stops here.
        if (recorder?.isPreflightEnd(trialStep) && (await recorder.readPending()).kind !== 'healthy' && rejecting) {
          tf.dispose([order, ...stepLosses, ...stepMetrics]);
          stoppedEarly = 'rejected';
          break epochs;
        }
      }
      order.dispose();

      // The epoch's one read back: its metrics, then the monitor's checks and probe.
      const readback = tf.tidy(() => {
        const lossSum = tf.sum(tf.mul(tf.stack(stepLosses), tf.tensor1d(stepSizes)));
        const pred = head.model.apply(xVal, { training: false }) as TF.Tensor;
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
    disposeOptimizer(optimizer);
    tf.dispose([xTrain, yTrain, xVal, yVal]);
  }
  return { history, score: best, bestEpoch, epochsRun: history.length, plannedEpochs: epochs - fromEpoch, stoppedEarly, pruned, diagnostics: outcomeDiagnostics, checkpoint };
}
