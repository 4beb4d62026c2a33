// A checkpoint: a model's weights (all of them, trainable or not, in model.getWeights()
// order) as one self-describing byte array, small enough for a BLOB in the store and
// cheap to send between threads. Layout: 4-byte little-endian header length, the header
// (JSON: tfjs weight specs), then the weight data as tfjs encodes it.
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';
import { GradtuneError } from '../errors.js';

interface Header {
  format: 'gradtune-checkpoint-1';
  specs: TF.io.WeightsManifestEntry[];
}

/** Encodes the model's current weights. */
export async function encodeCheckpoint(weights: TF.Tensor[]): Promise<Uint8Array> {
  // Positional names: a model rebuilt from the same configuration lists its weights in
  // the same order, while layer names carry global counters that differ between builds.
  const named = weights.map((tensor, i) => ({ name: `w${i}`, tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const header = new TextEncoder().encode(JSON.stringify({ format: 'gradtune-checkpoint-1', specs } satisfies Header));
  const out = new Uint8Array(4 + header.length + data.byteLength);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  out.set(new Uint8Array(data), 4 + header.length);
  return out;
}

/** Decodes a checkpoint into tensors, in the order they were encoded (the caller disposes them). */
export function decodeCheckpoint(bytes: Uint8Array): TF.Tensor[] {
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
  return header.specs.map((s) => map[s.name]);
}

/** Sets a model's weights from a checkpoint; a checkpoint of another architecture is an error. */
export function loadCheckpoint(model: TF.LayersModel, bytes: Uint8Array): void {
  const tensors = decodeCheckpoint(bytes);
  try {
    const expected = model.getWeights();
    const fits = tensors.length === expected.length && tensors.every((t, i) => t.shape.join('x') === expected[i].shape.join('x'));
    if (!fits) {
      throw new GradtuneError('the checkpoint does not fit this model (another architecture): a promoted trial must keep its parent\'s configuration');
    }
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}
