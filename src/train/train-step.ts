// One training step, by the fastest path that fits: the lean step for gradtune's MLPs when
// gradtune's kernels run on the backend (lean-step.ts), else the general path — the Layers
// model under tf.variableGrads — which updates with gradtune's one-kernel optimizer when
// it can, and with tfjs's optimizer (clipping and statistics as tfjs ops) otherwise.
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';
import { FusedOptimizer, type StatsLayout } from './fused-optimizer.js';
import type { TrainOptimizer } from './optimizer.js';
import { clipGradients } from './clip.js';
import { isGradtuneMlp, type TrainingHead } from './model.js';
import { leanPlan } from './lean-plan.js';
import { LeanStep, type StepOutcome } from './lean-step.js';
import { lossOf, metricSumOf } from './losses.js';
import { gradientStatsTensor, statsLayout, type GradientStatsPlan } from './grad-stats.js';
import { GATHER_KERNEL } from './kernels/lean-kernels.js';
import type { ClipSetting } from '../space/types.js';

export type { StepOutcome } from './lean-step.js';

export interface TrainingStep {
  /** Which path trains: 'lean' (gradtune's MLP step), 'fused' (Layers + one-kernel update) or 'tfjs'. */
  readonly path: 'lean' | 'fused' | 'tfjs';
  /** One step on the training rows `rows`; statistics for the monitor when `withStats`. The caller disposes the outcome. */
  step(rows: Int32Array, withStats: boolean): StepOutcome;
  /** What the loss is computed on (the head's outputs) for `x`, in inference mode. Call inside tf.tidy. */
  predict(x: TF.Tensor2D): TF.Tensor;
  dispose(): void;
}

export interface StepSetup {
  model: TF.LayersModel;
  head: TrainingHead;
  optimizer: TrainOptimizer;
  xTrain: TF.Tensor2D;
  yTrain: TF.Tensor2D;
  clip: ClipSetting | undefined;
  /** The monitor's layout of statistics (when the monitor is on). */
  statsPlan?: GradientStatsPlan;
  /** Whether gradtune's kernels are registered on the backend. */
  kernels: boolean;
}

class LeanTrainingStep implements TrainingStep {
  readonly path = 'lean';
  private readonly layout: StatsLayout | undefined;
  constructor(
    private readonly lean: LeanStep,
    variables: TF.Variable[],
    statsPlan: GradientStatsPlan | undefined,
  ) {
    this.layout = statsPlan ? statsLayout(statsPlan, variables) : undefined;
  }
  step(rows: Int32Array, withStats: boolean): StepOutcome {
    return this.lean.step(rows, withStats ? this.layout : undefined);
  }
  predict(x: TF.Tensor2D): TF.Tensor {
    return this.lean.predict(x);
  }
  dispose(): void {
    this.lean.dispose();
  }
}

/** The general path: the model's own layers under tf.variableGrads. */
class LayersStep implements TrainingStep {
  readonly path: 'fused' | 'tfjs';
  private readonly trainable: TF.Variable[];
  private readonly byName: Map<string, TF.Variable>;
  // L1/L2 penalties (kernel regularizers) join the training loss; skip the call when none.
  private readonly hasPenalties: boolean;
  private layouts = new Map<string, StatsLayout>();

  constructor(private readonly s: StepSetup) {
    this.path = s.optimizer instanceof FusedOptimizer ? 'fused' : 'tfjs';
    // variableGrads must see the tf.Variables behind the model's trainable LayerVariables.
    this.trainable = s.model.trainableWeights.map((w) => w.read() as TF.Variable);
    this.byName = new Map(this.trainable.map((v) => [v.name, v]));
    this.hasPenalties = s.model.layers.some((layer) => layer.losses.length > 0);
  }

  private batch(rows: Int32Array): [TF.Tensor, TF.Tensor] {
    const { xTrain, yTrain } = this.s;
    if (this.s.kernels) {
      return tf.engine().runKernel(GATHER_KERNEL, { x: xTrain, y: yTrain }, { rows, flat: true } as unknown as TF.NamedAttrMap) as unknown as [TF.Tensor, TF.Tensor];
    }
    const idx = tf.tensor1d(rows, 'int32');
    return [tf.gather(xTrain, idx), tf.gather(yTrain, idx)];
  }

  step(rows: Int32Array, withStats: boolean): StepOutcome {
    const { head, optimizer, clip, statsPlan } = this.s;
    return tf.tidy(() => {
      const [xb, yb] = this.batch(rows);
      let pred: TF.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        // Kept so it outlives variableGrads's inner tidy; the metric is computed from
        // it outside, so its ops stay off the gradient tape.
        pred = tf.keep(head.model.apply(xb, { training: true }) as TF.Tensor);
        const loss = lossOf(pred, yb, head.outputs);
        return (this.hasPenalties ? tf.addN([loss, ...this.s.model.calculateLosses()]) : loss) as TF.Scalar;
      }, this.trainable);
      const metric = tf.keep(metricSumOf(pred!, yb, head.outputs));
      pred!.dispose();
      let stats: TF.Tensor1D | undefined;
      if (optimizer instanceof FusedOptimizer) {
        // Slots follow the gradients' order, as tfjs's optimizers index them.
        const names = Object.keys(grads);
        const variables = names.map((name) => this.byName.get(name)!);
        const layout = withStats && statsPlan ? this.layoutFor(names, variables, statsPlan) : undefined;
        stats = optimizer.apply(variables, names.map((name) => grads[name]), { loss: value, clip, stats: layout }).stats;
      } else {
        const applied = clipGradients(grads, clip);
        if (withStats && statsPlan) stats = gradientStatsTensor(statsPlan, applied, value);
        optimizer.applyGradients(applied);
      }
      return { loss: tf.keep(value), metric, stats: stats ? tf.keep(stats) : undefined };
    });
  }

  predict(x: TF.Tensor2D): TF.Tensor {
    return this.s.head.model.apply(x, { training: false }) as TF.Tensor;
  }

  private layoutFor(names: string[], variables: TF.Variable[], plan: GradientStatsPlan): StatsLayout {
    const key = names.join('\n');
    let layout = this.layouts.get(key);
    if (!layout) {
      layout = statsLayout(plan, variables);
      this.layouts.set(key, layout);
    }
    return layout;
  }

  dispose(): void {}
}

export function makeTrainingStep(s: StepSetup): TrainingStep {
  if (s.kernels && s.optimizer instanceof FusedOptimizer && isGradtuneMlp(s.model)) {
    const plan = leanPlan(s.head.model, s.head.outputs);
    if (plan) return new LeanTrainingStep(new LeanStep(plan, s.optimizer, s.xTrain, s.yTrain, s.clip), plan.variables, s.statsPlan);
  }
  return new LayersStep(s);
}
