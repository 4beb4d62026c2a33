// A file-system IO handler for tfjs's Layers format (model.json + weights.bin), the job
// tfjs-node's `file://` handler does. tfjs-node is optional (its install downloads
// libtensorflow from outside the npm registry), so gradtune carries its own: the same
// files, readable by tfjs-node's handler, by `tfjs.loadLayersModel` through this one, and
// by the tfjs converter tools.
//
//   const model = await tf.loadLayersModel(fileIO('models/trial-17'));
//   await model.save(fileIO('models/mine'));
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../train/tf.js';
import { GradtuneError } from '../errors.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/**
 * An IO handler for a model stored as `model.json` + weight files in a directory. `path`
 * is the directory, or the `model.json` inside it. `save` creates the directory (and its
 * parents) and overwrites the two files; `load` reads every weight file model.json lists.
 */
export function fileIO(path: string): TF.io.IOHandler {
  const modelJson = path.endsWith('.json') ? resolve(path) : resolve(path, MODEL_FILE);
  const dir = dirname(modelJson);
  return {
    async save(artifacts: TF.io.ModelArtifacts): Promise<TF.io.SaveResult> {
      const files = layersModelFiles(artifacts);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, WEIGHTS_FILE), files.weights);
      writeFileSync(modelJson, files.modelJson);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<TF.io.ModelArtifacts> {
      const json = readModelJson(modelJson);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: TF.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const file of group.paths) buffers.push(readWeights(join(dir, file), modelJson));
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/**
 * The two files of a saved Layers model, as tfjs-node's file handler writes them:
 * model.json (topology, and a manifest naming weights.bin) and the weights, concatenated.
 */
export function layersModelFiles(artifacts: TF.io.ModelArtifacts): { modelJson: string; weights: Uint8Array } {
  if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology === undefined) {
    throw new GradtuneError('only Layers models (a JSON topology) can be saved as model.json; this model has none');
  }
  const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const json: TF.io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.signature ? { signature: artifacts.signature } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  return { modelJson: JSON.stringify(json), weights: new Uint8Array(weights) };
}

function readModelJson(file: string): TF.io.ModelJSON {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GradtuneError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}): give a directory holding a model.json, such as one written by gradtune export`);
  }
  let json: TF.io.ModelJSON;
  try {
    json = JSON.parse(text) as TF.io.ModelJSON;
  } catch (err) {
    throw new GradtuneError(`${file} is not valid JSON (${(err as Error).message}); export the model again`);
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw new GradtuneError(`${file} is not a tfjs Layers model (no modelTopology or weightsManifest); export the model again`);
  }
  return json;
}

function readWeights(file: string, modelJson: string): ArrayBuffer {
  try {
    const bytes = readFileSync(file);
    // A Buffer may share a larger pool: copy out exactly its bytes.
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GradtuneError(`${basename(file)}, listed in ${modelJson}, cannot be read (${code ?? String(err)}); keep the weight files beside model.json`);
  }
}

/** Whether `dir` exists and is a directory (for error messages that tell the two apart). */
export function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
