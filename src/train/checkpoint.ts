// A checkpoint: a model's weights (all of them, trainable or not, in model.getWeights()
// order) and optionally its optimizer's state (Adam's moments, momentum's
// accumulations...), as one self-describing byte array, small enough for a BLOB in the
// store and cheap to send between threads. A trial that continues another resumes both,
// as Keras does from a checkpoint. Layout: 4-byte little-endian header length, the header
// (JSON: tfjs weight specs), then the weight data as tfjs encodes it.
import type * as TF from '@tensorflow/tfjs';

/** A tensor with a name, as optimizers list their state (tfjs-core's NamedTensor). */
export type NamedTensor = { name: string; tensor: TF.Tensor };
import { tf } from './tf.js';
import { GradtuneError } from '../errors.js';
import { restoreOptimizerState, type TrainOptimizer } from './optimizer.js';

interface Header {
  format: 'gradtune-checkpoint-1';
  specs: TF.io.WeightsManifestEntry[];
  /** The first `modelWeights` tensors are the model's; the rest the optimizer's (absent: none). */
  modelWeights?: number;
}

export interface DecodedCheckpoint {
  model: TF.Tensor[];
  /** The optimizer's weights in its getWeights() order (iterations first); empty when not saved. */
  optimizer: NamedTensor[];
}

/** Encodes a model's weights, and optionally its optimizer's (as `optimizer.getWeights()` lists them). */
export async function encodeCheckpoint(weights: TF.Tensor[], optimizerWeights: NamedTensor[] = []): Promise<Uint8Array> {
  // Positional names: a model rebuilt from the same configuration lists its weights in
  // the same order, while layer names carry global counters that differ between builds.
  // The optimizer matches its state to variables by position too.
  const named = [...weights.map((tensor, i) => ({ name: `w${i}`, tensor })), ...optimizerWeights.map((w, i) => ({ name: `o${i}`, tensor: w.tensor }))];
  const { data, specs } = await tf.io.encodeWeights(named);
  const header = new TextEncoder().encode(JSON.stringify({ format: 'gradtune-checkpoint-1', specs, modelWeights: weights.length } satisfies Header));
  const out = new Uint8Array(4 + header.length + data.byteLength);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  out.set(new Uint8Array(data), 4 + header.length);
  return out;
}

/** Decodes a checkpoint into tensors, in the order they were encoded (the caller disposes them). */
export function decodeCheckpoint(bytes: Uint8Array): DecodedCheckpoint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = bytes.byteLength >= 4 ? view.getUint32(0, true) : -1;
  let header: Header;
  try {
    if (headerLength < 0 || 4 + headerLength > bytes.byteLength) throw new Error('truncated');
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength))) as Header;
    if (header.format !== 'gradtune-checkpoint-1') throw new Error(`format ${String(header.format)}`);
  } catch (err) {
    throw new GradtuneError(`a stored checkpoint is unreadable (${(err as Error).message}): the store may be damaged; rerun the trial`);
  }
  const data = bytes.slice(4 + headerLength).buffer;
  const map = tf.io.decodeWeights(data, header.specs);
  const all = header.specs.map((s) => map[s.name]);
  const n = header.modelWeights ?? all.length;
  return { model: all.slice(0, n), optimizer: all.slice(n).map((tensor, i) => ({ name: `o${i}`, tensor })) };
}

/**
 * Sets a model's weights (and, when given and saved, its optimizer's state) from a
 * checkpoint; a checkpoint of another architecture is an error.
 */
export async function loadCheckpoint(model: TF.LayersModel, bytes: Uint8Array, optimizer?: TrainOptimizer): Promise<void> {
  const decoded = decodeCheckpoint(bytes);
  const tensors = decoded.model;
  try {
    const expected = model.getWeights();
    const fits = tensors.length === expected.length && tensors.every((t, i) => t.shape.join('x') === expected[i].shape.join('x'));
    if (!fits) {
      throw new GradtuneError('the checkpoint does not fit this model (another architecture): a promoted trial must keep its parent\'s configuration');
    }
    model.setWeights(tensors);
    // The optimizer makes variables of its own from these (sharing the data), so the
    // decoded tensors are disposed below either way.
    if (optimizer && decoded.optimizer.length > 0) await restoreOptimizerState(optimizer, decoded.optimizer);
  } finally {
    tf.dispose([...tensors, ...decoded.optimizer.map((w) => w.tensor)]);
  }
}
