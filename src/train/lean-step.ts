// The lean training step of gradtune's MLP: forward and backward written out for a chain
// of dense blocks (lean-plan.ts) instead of the Layers path and autodiff's tape. Matrix
// products are tfjs's kernels on 3-D views ([1, rows, cols], which the backends' kernels
// take without reshapes), all untransposed (kernels/lean-kernels.ts writes the transposed
// operands); everything element-wise is one of gradtune's kernels; the update is one
// kernel for all variables (fused-optimizer.ts). About 4 kernels per layer per step where
// the general path takes about 50, with the same arithmetic.
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';
import { ensureExclusive, type FusedOptimizer, type StatsLayout } from './fused-optimizer.js';
import type { LeanBlock, LeanPlan } from './lean-plan.js';
import type { ClipSetting } from '../space/types.js';
import {
  ACTIVATION_GRAD_KERNEL,
  BATCH_NORM_GRAD_KERNEL,
  BATCH_NORM_KERNEL,
  GATHER_KERNEL,
  LOSS_KERNEL,
  type LeanActivation,
} from './kernels/lean-kernels.js';

/** Activations tfjs's _FusedMatMul applies itself (wasm and cpu), by its names. */
const FUSABLE: Partial<Record<LeanActivation, string>> = { linear: 'linear', relu: 'relu', elu: 'elu', leakyRelu: 'leakyrelu', sigmoid: 'sigmoid' };

/** tfjs's kernel for each activation (none for linear). */
const ACTIVATION_KERNELS: Record<LeanActivation, string | undefined> = {
  linear: undefined,
  relu: 'Relu',
  elu: 'Elu',
  selu: 'Selu',
  leakyRelu: 'LeakyRelu',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
};

export interface StepOutcome {
  /** The batch's mean loss (with penalties), kept until the caller disposes it. */
  loss: TF.Scalar;
  /** The task metric summed over the batch. */
  metric: TF.Scalar;
  /** The gradient monitor's statistics, when asked for. */
  stats?: TF.Tensor1D;
}

type Run = (name: string, inputs: Record<string, TF.Tensor>, attrs?: object) => TF.Tensor | TF.Tensor[];
const run: Run = (name, inputs, attrs = {}) =>
  tf.engine().runKernel(name, inputs as unknown as TF.NamedTensorMap, attrs as unknown as TF.NamedAttrMap) as unknown as TF.Tensor | TF.Tensor[];

/** What the forward pass keeps of a block for the backward pass. */
interface Saved {
  input: TF.Tensor;
  /** The activation's output, before dropout. */
  y: TF.Tensor;
  multiplier?: TF.Tensor;
  xhat?: TF.Tensor;
  invStd?: TF.Tensor;
}

export class LeanStep {
  /** [1, in, out] views of the kernels, rebuilt when a kernel's memory changes. */
  private views = new Map<TF.Variable, TF.Tensor>();
  /** Dropout multipliers per block and batch size: tfjs's seeded dropout draws the same mask at every call. */
  private multipliers = new Map<string, TF.Tensor>();
  private readonly index: Map<TF.Variable, number>;
  private readonly l1: number[];
  private readonly l2: number[];
  private readonly hasPenalties: boolean;
  private readonly sharedViews: number[];
  private readonly viewShapes: (number[] | undefined)[];
  /** The current step's temporaries, disposed when it ends. */
  private temp: TF.Tensor[] = [];

  constructor(
    private readonly plan: LeanPlan,
    private readonly optimizer: FusedOptimizer,
    private readonly xTrain: TF.Tensor2D,
    private readonly yTrain: TF.Tensor2D,
    private readonly clip: ClipSetting | undefined,
  ) {
    this.index = new Map(plan.variables.map((v, i) => [v, i]));
    this.l1 = plan.variables.map(() => 0);
    this.l2 = plan.variables.map(() => 0);
    for (const b of plan.blocks) {
      const i = this.index.get(b.kernel)!;
      this.l1[i] = b.l1;
      this.l2[i] = b.l2;
    }
    this.hasPenalties = plan.blocks.some((b) => b.l1 !== 0 || b.l2 !== 0);
    const kernels = new Set(plan.blocks.map((b) => b.kernel));
    this.sharedViews = plan.variables.map((v) => (kernels.has(v) ? 1 : 0));
    this.viewShapes = plan.variables.map((v) => (kernels.has(v) ? [1, ...(v.shape as number[])] : undefined));
  }

  private view(kernel: TF.Variable): TF.Tensor {
    let view = this.views.get(kernel);
    if (!view || view.dataId !== kernel.dataId) {
      view?.dispose();
      view = tf.reshape(kernel, [1, ...(kernel.shape as number[])]);
      this.views.set(kernel, view);
    }
    return view;
  }

  private multiplier(blockIndex: number, block: LeanBlock, rows: number): TF.Tensor {
    const key = `${blockIndex}:${rows}`;
    let m = this.multipliers.get(key);
    if (!m) {
      const { rate, seed } = block.dropout!;
      const units = (block.kernel.shape as number[])[1];
      // tfjs-core's dropout, operation for operation: floor(u + keep) / keep.
      m = tf.tidy(() => {
        const keep = 1 - rate;
        return tf.div(tf.floor(tf.add(tf.randomUniform([rows, units], 0, 1, 'float32', seed), keep)), keep);
      });
      this.multipliers.set(key, m);
    }
    return m;
  }

  /** The block's activation of `u` by tfjs's kernel, kept with the step's temporaries. */
  private activate(u: TF.Tensor, b: LeanBlock): TF.Tensor {
    const y = this.activation(u, b);
    if (y !== u) this.temp.push(y);
    return y;
  }

  /** One step on the training rows `rows`; the caller disposes the outcome's tensors. */
  step(rows: Int32Array, stats: StatsLayout | undefined): StepOutcome {
    const plan = this.plan;
    const temp: TF.Tensor[] = (this.temp = []);
    const outcome: TF.Tensor[] = [];
    const keep = <T extends TF.Tensor>(t: T): T => {
      temp.push(t);
      return t;
    };
    try {
      const [xb, yb] = run(GATHER_KERNEL, { x: this.xTrain, y: this.yTrain }, { rows }) as TF.Tensor[];
      keep(xb);
      keep(yb);
      const hidden = plan.blocks.length - 1;
      const saved: Saved[] = [];
      let h = xb;
      for (let i = 0; i < hidden; i++) {
        const b = plan.blocks[i];
        const s: Saved = { input: h, y: h };
        if (b.batchNorm) {
          const bn = b.batchNorm;
          const z = keep(run('BatchMatMul', { a: h, b: this.view(b.kernel) }, { transposeA: false, transposeB: false }) as TF.Tensor);
          ensureExclusive(bn.movingMean);
          ensureExclusive(bn.movingVariance);
          const [u, xhat, invStd] = run(
            BATCH_NORM_KERNEL,
            { z, gamma: bn.gamma, beta: bn.beta, movingMean: bn.movingMean, movingVariance: bn.movingVariance },
            { epsilon: bn.epsilon, momentum: bn.momentum },
          ) as TF.Tensor[];
          s.xhat = keep(xhat);
          s.invStd = keep(invStd);
          s.y = this.activate(keep(u), b);
        } else {
          const fused = FUSABLE[b.activation];
          const inputs: Record<string, TF.Tensor> = { a: h, b: this.view(b.kernel) };
          if (b.bias) inputs.bias = b.bias;
          const z = keep(
            run('_FusedMatMul', inputs, { transposeA: false, transposeB: false, activation: fused ?? 'linear', leakyreluAlpha: b.alpha }) as TF.Tensor,
          );
          s.y = fused ? z : this.activate(z, b);
        }
        h = s.y;
        if (b.dropout) {
          s.multiplier = this.multiplier(i, b, rows.length);
          h = keep(run('Multiply', { a: s.y, b: s.multiplier }) as TF.Tensor);
        }
        saved.push(s);
      }
      const out = plan.blocks[hidden];
      const outInputs: Record<string, TF.Tensor> = { a: h, b: this.view(out.kernel) };
      if (out.bias) outInputs.bias = out.bias;
      const pred = keep(run('_FusedMatMul', outInputs, { transposeA: false, transposeB: false, activation: 'linear' }) as TF.Tensor);
      const [loss, metric, dPred, dPredT, dBias, hT] = run(LOSS_KERNEL, { pred, y: yb, input: h }, { loss: plan.loss }) as TF.Tensor[];
      outcome.push(loss, metric);
      [dPred, dPredT, dBias, hT].forEach(keep);

      // Backward, every product untransposed: dW = xᵀ·dz, dhᵀ = W·dzᵀ. Gradients in the plan's variable order.
      const grads: TF.Tensor[] = new Array(plan.variables.length);
      const setGrad = (v: TF.Variable | null, g: TF.Tensor) => {
        if (v) grads[this.index.get(v)!] = g;
      };
      const product = (a: TF.Tensor, b: TF.Tensor) => keep(run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }) as TF.Tensor);
      setGrad(out.kernel, product(hT, dPred));
      setGrad(out.bias, dBias);
      let dhT = product(this.view(out.kernel), dPredT);
      for (let i = hidden - 1; i >= 0; i--) {
        const b = plan.blocks[i];
        const s = saved[i];
        const attrs = { activation: b.activation, alpha: b.alpha };
        const common: Record<string, TF.Tensor> = { dyT: dhT, y: s.y, input: s.input };
        if (s.multiplier) common.mask = s.multiplier;
        let dz: TF.Tensor;
        let dzT: TF.Tensor;
        let inputT: TF.Tensor;
        if (b.batchNorm) {
          const outs = run(BATCH_NORM_GRAD_KERNEL, { ...common, xhat: s.xhat!, invStd: s.invStd!, gamma: b.batchNorm.gamma }, attrs) as TF.Tensor[];
          outs.forEach(keep);
          let dGamma: TF.Tensor;
          let dBeta: TF.Tensor;
          [dz, dzT, dGamma, dBeta, inputT] = outs;
          setGrad(b.batchNorm.gamma, dGamma);
          setGrad(b.batchNorm.beta, dBeta);
        } else {
          const outs = run(ACTIVATION_GRAD_KERNEL, common, attrs) as TF.Tensor[];
          outs.forEach(keep);
          let dBiasHidden: TF.Tensor;
          [dz, dzT, dBiasHidden, inputT] = outs;
          setGrad(b.bias, dBiasHidden);
        }
        setGrad(b.kernel, product(inputT, dz));
        if (i > 0) dhT = product(this.view(b.kernel), dzT);
      }

      const result = this.optimizer.apply(plan.variables, grads, {
        loss: loss as TF.Scalar,
        clip: this.clip,
        ...(this.hasPenalties ? { l1: this.l1, l2: this.l2 } : {}),
        stats,
        sharedViews: this.sharedViews,
        viewShapes: this.viewShapes,
      });
      // On wasm the kernels got new memory: the new views replace the old.
      result.views?.forEach((view, i) => {
        if (!view) return;
        const v = plan.variables[i];
        this.views.get(v)?.dispose();
        this.views.set(v, view);
      });
      let total = loss as TF.Scalar;
      if (result.loss) {
        loss.dispose();
        total = result.loss;
      }
      outcome.length = 0;
      return { loss: total, metric: metric as TF.Scalar, stats: result.stats };
    } finally {
      // After a failure, what would have been the outcome goes too.
      tf.dispose([...temp, ...outcome]);
    }
  }

  /**
   * The model's outputs (logits or values) for `x` [n, features] in inference mode —
   * batch norm on its moving statistics, no dropout — by the same kernels as the Layers
   * path, without its per-layer overhead. Call inside tf.tidy.
   */
  predict(x: TF.Tensor2D): TF.Tensor2D {
    const plan = this.plan;
    let h: TF.Tensor = tf.reshape(x, [1, ...(x.shape as number[])]);
    plan.blocks.forEach((b, i) => {
      const last = i === plan.blocks.length - 1;
      if (b.batchNorm) {
        const bn = b.batchNorm;
        const z = run('BatchMatMul', { a: h, b: this.view(b.kernel) }, { transposeA: false, transposeB: false }) as TF.Tensor;
        const u = run('FusedBatchNorm', { x: z, mean: bn.movingMean, variance: bn.movingVariance, offset: bn.beta, scale: bn.gamma }, { varianceEpsilon: bn.epsilon }) as TF.Tensor;
        h = this.activation(u, b);
        return;
      }
      const fused = last ? 'linear' : FUSABLE[b.activation];
      const inputs: Record<string, TF.Tensor> = { a: h, b: this.view(b.kernel) };
      if (b.bias) inputs.bias = b.bias;
      const z = run('_FusedMatMul', inputs, { transposeA: false, transposeB: false, activation: fused ?? 'linear', leakyreluAlpha: b.alpha }) as TF.Tensor;
      h = fused ? z : this.activation(z, b);
    });
    return tf.reshape(h, [x.shape[0], h.shape[2]!]);
  }

  private activation(u: TF.Tensor, b: LeanBlock): TF.Tensor {
    const kernel = ACTIVATION_KERNELS[b.activation];
    return kernel ? (run(kernel, { x: u }, b.activation === 'leakyRelu' ? { alpha: b.alpha } : {}) as TF.Tensor) : u;
  }

  dispose(): void {
    this.views.forEach((v) => v.dispose());
    this.views.clear();
    this.multipliers.forEach((m) => m.dispose());
    this.multipliers.clear();
  }
}
