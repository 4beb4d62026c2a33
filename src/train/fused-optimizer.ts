// gradtune's optimizer: the six update rules of tfjs's optimizers (same defaults, same
// arithmetic, same state), applied to all variables by one kernel per step
// (kernels/update-kernel.ts) instead of several kernels per variable. Its state is what
// tfjs's getWeights() lists — the step count, then each slot for every variable — so a
// checkpoint written by either resumes in the other.
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';
import type { NamedTensor } from './checkpoint.js';
import type { OptimizerName, ClipSetting } from '../space/types.js';
import { SLOTS, UPDATE_KERNEL, type UpdateAttrs } from './kernels/update-kernel.js';
import { cachesMatmulOperands, type KernelBackend } from './kernels/memory.js';

/** tfjs's defaults for each optimizer (tf.train.*), and the names of its slots. */
const RULES: Record<OptimizerName, { beta1: number; beta2: number; initial: number; slotNames: string[] }> = {
  sgd: { beta1: 0, beta2: 0, initial: 0, slotNames: [] },
  // tf.train.momentum(lr, 0.9) (see optimizer.ts)
  momentum: { beta1: 0.9, beta2: 0, initial: 0, slotNames: ['momentum'] },
  // decay 0.9, momentum 0
  rmsprop: { beta1: 0.9, beta2: 0, initial: 0, slotNames: ['rms', 'momentum'] },
  adam: { beta1: 0.9, beta2: 0.999, initial: 0, slotNames: ['m', 'v'] },
  adamax: { beta1: 0.9, beta2: 0.999, initial: 0, slotNames: ['m', 'v'] },
  // initialAccumulatorValue 0.1
  adagrad: { beta1: 0, beta2: 0, initial: 0.1, slotNames: ['accumulator'] },
};

/** Where the gradient monitor wants each variable's statistics (see UpdateAttrs). */
export interface StatsLayout {
  width: number;
  gradSlot: number[];
  weightSlot: number[];
}

export interface UpdateOptions {
  /** The batch loss; required with penalties or statistics. */
  loss?: TF.Scalar;
  clip?: ClipSetting;
  /** Per variable L1/L2 factors, for penalties applied here rather than by autodiff. */
  l1?: number[];
  l2?: number[];
  /** Ask for the monitor's statistics this step. */
  stats?: StatsLayout;
  /** Tensors allowed to share each variable's memory besides the variable (views the caller keeps). */
  sharedViews?: number[];
  /**
   * Per variable, a shape for a view of its updated value (or undefined): returned when
   * the update gives the variable new memory (on wasm), so the caller's views follow.
   */
  viewShapes?: (number[] | undefined)[];
}

export interface UpdateResult {
  /** loss + penalties, when penalties were given (a new tensor). */
  loss?: TF.Scalar;
  /** The statistics, when asked for (a new tensor). */
  stats?: TF.Tensor1D;
  /** New views per variable (see viewShapes), when the variables got new memory; the caller owns them. */
  views?: (TF.Tensor | undefined)[];
}

/** A copy with its own memory (tf.clone shares it); exact for every float, NaN and -0 included. */
export function copyOf<T extends TF.Tensor>(t: T): T {
  return tf.tidy(() => tf.mul(t, tf.scalar(1, t.dtype))) as T;
}

function refCount(t: TF.Tensor): number {
  return (tf.backend() as unknown as { refCount(id: object): number }).refCount(t.dataId);
}

/**
 * Gives `v` memory of its own before a kernel writes it in place, when another tensor
 * (a clone someone kept, beyond `views` the caller knows of) shares it: that tensor keeps
 * the old values, as it would after tfjs's assign().
 */
export function ensureExclusive(v: TF.Variable, views = 0): void {
  if (refCount(v) <= 1 + views) return;
  const copy = copyOf(v);
  v.assign(copy);
  copy.dispose();
}

/** The update kernel's input names (update-kernel.ts), made once per variable count. */
const names = new Map<number, { w: string[]; g: string[]; s: string[][] }>();
function inputNames(n: number): { w: string[]; g: string[]; s: string[][] } {
  let entry = names.get(n);
  if (!entry) {
    const idx = Array.from({ length: n }, (_, i) => i);
    entry = { w: idx.map((i) => `w${i}`), g: idx.map((i) => `g${i}`), s: [0, 1].map((k) => idx.map((i) => `s${k}_${i}`)) };
    names.set(n, entry);
  }
  return entry;
}

export class FusedOptimizer {
  readonly rule: OptimizerName;
  learningRate: number;
  /** Steps applied (tfjs's `iterations`). */
  iterations = 0;
  /** slots[k][i]: slot k of variable i; empty until the first step, as in tfjs. */
  private slots: TF.Tensor[][] = [];
  private slotNames: string[][] = [];
  /** beta1^t and beta2^t in float32, as tfjs's accBeta1/accBeta2 variables hold them. */
  private accBeta1: number;
  private accBeta2: number;
  private readonly epsilon: number;

  constructor(rule: OptimizerName, learningRate: number) {
    this.rule = rule;
    this.learningRate = learningRate;
    this.accBeta1 = Math.fround(RULES[rule].beta1);
    this.accBeta2 = Math.fround(RULES[rule].beta2);
    this.epsilon = tf.backend().epsilon();
  }

  getClassName(): string {
    return `Fused${this.rule}`;
  }

  /**
   * Applies one step to `variables` with `grads` (same order). On wasm each variable gets
   * new memory (see cachesMatmulOperands); elsewhere it is updated in place, and when its
   * memory is shared beyond `sharedViews` (a clone someone kept) it first gets a private
   * copy, so the other tensor keeps its values, as after tfjs's assign().
   */
  apply(variables: TF.Variable[], grads: TF.Tensor[], opts: UpdateOptions = {}): UpdateResult {
    const n = variables.length;
    const fresh = cachesMatmulOperands(tf.getBackend() as KernelBackend);
    if (this.slots.length === 0 && SLOTS[this.rule] > 0) this.createSlots(variables);
    if (this.slots.length > 0 && this.slots[0].length !== n) {
      throw new Error(`gradtune optimizer: ${n} variables but state for ${this.slots[0].length}`);
    }
    const inputs: Record<string, TF.Tensor> = {};
    const names = inputNames(n);
    for (let i = 0; i < n; i++) {
      const v = variables[i];
      if (!fresh) ensureExclusive(v, opts.sharedViews?.[i] ?? 0);
      inputs[names.w[i]] = v;
      inputs[names.g[i]] = grads[i];
    }
    for (let k = 0; k < this.slots.length; k++) {
      const row = this.slots[k];
      for (let i = 0; i < n; i++) {
        if (refCount(row[i]) > 1) {
          const copy = tf.keep(copyOf(row[i]));
          row[i].dispose();
          row[i] = copy;
        }
        inputs[names.s[k][i]] = row[i];
      }
    }
    const rule = RULES[this.rule];
    const t = this.iterations + 1;
    const withLoss = opts.l1 !== undefined && opts.l1.some((x, i) => x !== 0 || (opts.l2?.[i] ?? 0) !== 0);
    const wantsLoss = withLoss || opts.stats !== undefined;
    if (wantsLoss) {
      if (!opts.loss) throw new Error('gradtune optimizer: penalties and statistics need the loss');
      inputs.loss = opts.loss;
    }
    const attrs: UpdateAttrs = {
      rule: this.rule,
      n,
      learningRate: this.learningRate,
      beta1: rule.beta1,
      beta2: rule.beta2,
      epsilon: this.epsilon,
      // tfjs: 1 - accBeta (float32 variables multiplied by beta once per step).
      correction1: Math.fround(1 - this.accBeta1),
      correction2: Math.fround(1 - this.accBeta2),
      clipKind: opts.clip?.kind ?? 'none',
      clipValue: opts.clip && opts.clip.kind !== 'none' ? opts.clip.value : 0,
      l1: withLoss ? opts.l1! : [],
      l2: withLoss ? variables.map((_, i) => opts.l2?.[i] ?? 0) : [],
      withLoss: wantsLoss,
      statsWidth: opts.stats?.width ?? 0,
      gradSlot: opts.stats?.gradSlot ?? [],
      weightSlot: opts.stats?.weightSlot ?? [],
      fresh,
      viewShapes: fresh ? variables.map((_, i) => opts.viewShapes?.[i] ?? []) : [],
    };
    const out = tf.engine().runKernel(UPDATE_KERNEL, inputs as unknown as TF.NamedTensorMap, attrs as unknown as TF.NamedAttrMap) as unknown as TF.Tensor[];
    this.iterations = t;
    if (this.rule === 'adam' || this.rule === 'adamax') this.accBeta1 = Math.fround(this.accBeta1 * rule.beta1);
    if (this.rule === 'adam') this.accBeta2 = Math.fround(this.accBeta2 * rule.beta2);
    let at = 0;
    const total = wantsLoss ? (out[at++] as TF.Scalar) : undefined;
    const stats = opts.stats ? (out[at++] as TF.Tensor1D) : undefined;
    // Without penalties the total is the loss itself: only statistics wanted it.
    if (total && !withLoss) total.dispose();
    let views: (TF.Tensor | undefined)[] | undefined;
    if (fresh) {
      views = [];
      for (let i = 0; i < n; i++) {
        const updated = out[at++];
        variables[i].assign(updated);
        updated.dispose();
        views.push(attrs.viewShapes[i].length > 0 ? out[at++] : undefined);
      }
    }
    return { loss: withLoss ? total : undefined, stats, views };
  }

  private createSlots(variables: TF.Variable[]): void {
    const rule = RULES[this.rule];
    this.slotNames = rule.slotNames.map((suffix) => variables.map((v) => `${v.name}/${suffix}`));
    // Kept: the optimizer may first step inside a caller's tf.tidy.
    this.slots = rule.slotNames.map(() => variables.map((v) => tf.keep(rule.initial === 0 ? tf.zeros(v.shape) : tf.fill(v.shape, rule.initial))));
  }

  /** The state as tfjs's getWeights() lists it: the step count (a new int32 scalar), then the slots. */
  getWeights(): NamedTensor[] {
    const state: NamedTensor[] = [{ name: 'iter', tensor: tf.scalar(this.iterations, 'int32') }];
    this.slots.forEach((row, k) => row.forEach((tensor, i) => state.push({ name: this.slotNames[k][i], tensor })));
    return state;
  }

  /** Sets the state getWeights() (or a tfjs optimizer of the same kind) listed; copies the tensors. */
  async setWeights(state: NamedTensor[]): Promise<void> {
    const [iter, ...rest] = state;
    this.iterations = iter ? (await iter.tensor.data())[0] : 0;
    const rule = RULES[this.rule];
    const perSlot = rule.slotNames.length;
    if (perSlot === 0 ? rest.length !== 0 : rest.length % perSlot !== 0) {
      throw new Error(`gradtune optimizer: ${rest.length} state tensors do not fit ${this.rule}`);
    }
    this.disposeSlots();
    const count = perSlot === 0 ? 0 : rest.length / perSlot;
    this.slots = rule.slotNames.map((_, k) => rest.slice(k * count, (k + 1) * count).map((w) => tf.keep(copyOf(w.tensor))));
    this.slotNames = rule.slotNames.map((_, k) => rest.slice(k * count, (k + 1) * count).map((w) => w.name));
    // accBeta is beta^t before step t (it starts at beta and is multiplied after each
    // step): after `iterations` steps, beta^(iterations+1), as tfjs's setWeights sets it.
    this.accBeta1 = Math.fround(Math.pow(rule.beta1, this.iterations + 1));
    this.accBeta2 = Math.fround(Math.pow(rule.beta2, this.iterations + 1));
  }

  private disposeSlots(): void {
    this.slots.forEach((row) => tf.dispose(row));
    this.slots = [];
    this.slotNames = [];
  }

  dispose(): void {
    this.disposeSlots();
  }
}
