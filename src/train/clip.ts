import type * as TF from '@tensorflow/tfjs';
import { tf } from './backend.js';
import type { ClipSetting } from '../space/types.js';

/**
 * Clips gradients on the backend (no read back). By norm: the global L2 norm over all
 * variables is scaled down to `value` (as torch's clip_grad_norm_ and Keras's
 * global_clipnorm), which keeps the update's direction. By value: each element is
 * clamped to [-value, value]. Call inside tf.tidy.
 */
export function clipGradients(grads: TF.NamedTensorMap, clip: ClipSetting | undefined): TF.NamedTensorMap {
  if (!clip || clip.kind === 'none') return grads;
  const names = Object.keys(grads);
  const out: TF.NamedTensorMap = {};
  if (clip.kind === 'value') {
    for (const name of names) out[name] = tf.clipByValue(grads[name], -clip.value, clip.value);
    return out;
  }
  const squares = names.map((name) => tf.sum(tf.square(grads[name])));
  const globalNorm = tf.sqrt(tf.addN(squares));
  // scale = min(1, value / norm); the epsilon keeps a zero gradient finite.
  const scale = tf.minimum(1, tf.div(clip.value, tf.add(globalNorm, 1e-12)));
  for (const name of names) out[name] = tf.mul(grads[name], scale);
  return out;
}
