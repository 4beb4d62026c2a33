// What an exported model needs besides its weights: which columns it reads, in which
// order, how they were standardised, and what its outputs mean. Written as
// preprocessing.json beside model.json, read back by loadExported and `gradtune predict`.
import { GradtuneError } from '../errors.js';
import type { Dataset, Scaling, Task } from '../data/types.js';

export const PREPROCESSING_FORMAT = 'gradtune-preprocessing-1';

export interface Preprocessing {
  format: typeof PREPROCESSING_FORMAT;
  task: Task;
  /** Feature columns in the order the model's input expects them. */
  features: string[];
  /** Standardisation: feature i enters the model as (x - mean[i]) / std[i]. */
  scaling: Scaling & {
    /** The rows the statistics were computed on: the study's training split, or train + validation after --retrain. */
    fittedOn: 'train' | 'train+validation';
    rows: number;
  };
  /** The target column the model predicts. */
  target: string;
  /** Classification: the labels, in the order of the model's output units (probabilities). */
  classes?: string[];
}

/** The preprocessing of a loaded dataset (its training split's statistics). */
export function preprocessingOf(dataset: Dataset): Preprocessing {
  return {
    format: PREPROCESSING_FORMAT,
    task: dataset.task,
    features: [...dataset.featureNames],
    scaling: { mean: [...dataset.scaling.mean], std: [...dataset.scaling.std], fittedOn: 'train', rows: dataset.nTrain },
    target: dataset.targetName,
    ...(dataset.task === 'classification' ? { classes: [...(dataset.classes ?? [])] } : {}),
  };
}

/**
 * Checks a parsed preprocessing.json (`file` names it in errors): a damaged or
 * hand-edited file must fail here, with its name, rather than predict nonsense.
 */
export function checkPreprocessing(value: unknown, file: string): Preprocessing {
  const bad = (what: string) => new GradtuneError(`${file} is not a valid gradtune preprocessing file: ${what}; export the model again`);
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const p = value as Partial<Preprocessing>;
  if (p.format !== PREPROCESSING_FORMAT) throw bad(`format is ${JSON.stringify(p.format)}, expected "${PREPROCESSING_FORMAT}"`);
  if (p.task !== 'classification' && p.task !== 'regression') throw bad(`task is ${JSON.stringify(p.task)}`);
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (!strings(p.features) || p.features.length === 0) throw bad('features must be a non-empty list of column names');
  if (new Set(p.features).size !== p.features.length) throw bad('a feature column is listed twice');
  const numbers = (x: unknown): x is number[] => Array.isArray(x) && x.length === p.features!.length && x.every((n) => typeof n === 'number' && Number.isFinite(n));
  if (!p.scaling || !numbers(p.scaling.mean) || !numbers(p.scaling.std) || p.scaling.std.some((s) => s <= 0)) {
    throw bad('scaling needs a finite mean and a positive std per feature');
  }
  if (typeof p.target !== 'string') throw bad('target must be the target column name');
  if (p.task === 'classification' && (!strings(p.classes) || p.classes.length < 2)) throw bad('classification needs at least two class labels');
  return p as Preprocessing;
}
