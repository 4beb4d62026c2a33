// Loads a directory written by `gradtune export` (or exportTrials): the tfjs model, its
// preprocessing, and a predict() that applies the one to rows before the other, as a
// Keras user would call model.predict on raw data with the scaler baked in.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { GradtuneError } from '../errors.js';
import { initBackend, tf } from '../train/backend.js';
import type { BackendPreference } from '../train/types.js';
import type { Params } from '../space/types.js';
import { fileIO, isDirectory, MODEL_FILE } from './io-handlers.js';
import { checkPreprocessing, type Preprocessing } from './preprocessing.js';
import { featureMatrix, type PredictInput } from './features.js';
import { predictRows, type Prediction, type PredictOptions } from './predict.js';
import { beforeRescale } from './rescale.js';
import { EXPORT_FILES, type ExportMetrics } from './artifacts.js';
import { decodeLenient } from '../store/codec.js';

export interface ExportedModel {
  /** The export's directory, absolute. */
  dir: string;
  /** The tfjs model: outputs class probabilities (classification) or the value in the target's units (regression, float32). */
  model: TF.LayersModel;
  preprocessing: Preprocessing;
  /** The trial's hyperparameters (null when hyperparameters.json was not kept beside the model). */
  hyperparameters: Params | null;
  /** Score, history and gradient verdict of the trial (null when metrics.json was not kept). */
  metrics: ExportMetrics | null;
  /**
   * Predicts rows given by column name (records, or a table with a header), with the
   * export's encoding, imputation and scaling; throws GradtuneError on a missing column or
   * a value it cannot read. Each prediction carries the export's passthrough (--id)
   * columns the input has, and `opts.passthrough` ones.
   */
  predict(rows: PredictInput, opts?: PredictOptions): Prediction[];
  /** The rows as the model's input (encoded and standardised), for model.predict or model.evaluate; the caller disposes it. */
  preprocess(rows: PredictInput): TF.Tensor2D;
  /** Frees the model's weights. */
  dispose(): void;
}

/**
 * Loads an export. `dir` is the trial's directory (`models/trial-17`). The backend is
 * gradtune's choice (tfjs-node, else wasm, else cpu) unless `backend` says otherwise.
 */
export async function loadExported(dir: string, opts: { backend?: BackendPreference } = {}): Promise<ExportedModel> {
  const abs = resolve(dir);
  checkIsExport(dir, abs);
  const preprocessing = checkPreprocessing(readJson(join(abs, EXPORT_FILES.preprocessing)), join(dir, EXPORT_FILES.preprocessing));
  const hyperparameters = readOptionalJson<Params>(join(abs, EXPORT_FILES.hyperparameters));
  const metrics = readOptionalJson<ExportMetrics>(join(abs, EXPORT_FILES.metrics));
  await initBackend(opts.backend ?? 'auto');
  const model = await tf.loadLayersModel(fileIO(abs));
  let scoring = model;
  try {
    checkShapes(model, preprocessing, dir);
    const layer = preprocessing.targetScaling?.layer;
    if (layer !== undefined) {
      scoring = beforeRescale(model, layer) ?? missingRescale(dir, layer);
    }
  } catch (err) {
    model.dispose();
    throw err;
  }
  return {
    dir: abs,
    model,
    preprocessing,
    hyperparameters,
    metrics,
    predict: (rows, predictOpts) => predictRows(scoring, preprocessing, rows, predictOpts),
    preprocess: (rows) => {
      const { x, rows: n } = featureMatrix(rows, preprocessing);
      return tf.tensor2d(x, [n, preprocessing.features.length]);
    },
    dispose: () => model.dispose(),
  };
}

/** A directory with model.json and preprocessing.json; anything else says what it is instead. */
function checkIsExport(given: string, abs: string): void {
  if (!existsSync(abs)) throw new GradtuneError(`model directory ${given} does not exist; give a directory written by gradtune export (e.g. models/trial-17)`);
  if (!isDirectory(abs)) throw new GradtuneError(`${given} is a file; give the directory gradtune export wrote (the one holding model.json and preprocessing.json)`);
  const missing = [MODEL_FILE, EXPORT_FILES.preprocessing].filter((f) => !existsSync(join(abs, f)));
  if (missing.length === 0) return;
  // The usual slip: the --out folder instead of one trial's folder inside it.
  const inside = readdirSync(abs).filter((name) => existsSync(join(abs, name, EXPORT_FILES.preprocessing))).sort();
  const hint = inside.length > 0 ? `it holds the exports ${inside.join(', ')}: use ${join(given, inside[0])}` : 'give a directory written by gradtune export (e.g. models/trial-17)';
  throw new GradtuneError(`${given} is not a gradtune export (no ${missing.join(' or ')} in it); ${hint}`);
}

function checkShapes(model: TF.LayersModel, pre: Preprocessing, dir: string): void {
  const input = model.inputs[0]?.shape;
  const output = model.outputs[0]?.shape;
  const units = pre.task === 'classification' ? pre.classes!.length : 1;
  if (model.inputs.length !== 1 || input?.[input.length - 1] !== pre.features.length) {
    throw new GradtuneError(`${dir}: the model takes input shape [${input?.join(', ')}] but preprocessing.json lists ${pre.features.length} features; the files come from different exports, export again`);
  }
  if (output?.[output.length - 1] !== units) {
    throw new GradtuneError(`${dir}: the model outputs shape [${output?.join(', ')}] but preprocessing.json expects ${units} output${units === 1 ? '' : 's'}; the files come from different exports, export again`);
  }
}

function missingRescale(dir: string, layer: string): never {
  throw new GradtuneError(`${dir}: preprocessing.json scales the target with the layer "${layer}", which model.json does not have; the files come from different exports, export again`);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GradtuneError(`cannot read ${file} (${(err as Error).message}); export the model again`);
  }
}

function readOptionalJson<T>(file: string): T | null {
  if (!existsSync(file)) return null;
  try {
    // Lenient: a history keeps a diverged epoch's NaN as the string "NaN"; it reads back as a number.
    return decodeLenient<T>(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GradtuneError(`cannot read ${file} (${(err as Error).message}); export the model again`);
  }
}
