// What an exported model needs besides its weights: which columns it reads, how each
// becomes features (imputation, categories), how the features were standardised, what
// its outputs mean, and which columns are carried into predictions. Written as
// preprocessing.json beside model.json, read back by loadExported and `gradtune predict`.
import { GradtuneError } from '../errors.js';
import { encodedWidth } from '../data/encode.js';
import { MISSING_POLICIES, type ColumnEncoding, type DatasetInfo, type MissingPolicy, type Scaling, type TargetScaling, type Task } from '../data/types.js';

export const PREPROCESSING_FORMAT = 'gradtune-preprocessing-2';
/** Exports written before categories, imputation and target scaling: numeric columns only. Still read. */
const FORMAT_1 = 'gradtune-preprocessing-1';

/** The name of the layer an export appends to a regression model to give the target's units. */
export const TARGET_RESCALE_LAYER = 'gradtune_target_rescale';

export interface Preprocessing {
  format: typeof PREPROCESSING_FORMAT;
  task: Task;
  /** The input columns the model reads (by name, in any order in the input), and how each becomes features. */
  columns: ColumnEncoding[];
  /** A missing input value: imputed as `columns` says, or an error (a study searched with --missing error). */
  missing: MissingPolicy;
  /** The model's input features, in order: what `columns` give, one after the other. */
  features: string[];
  /** Standardisation: feature i enters the model as (x - mean[i]) / std[i] (0/1 features: mean 0, std 1). */
  scaling: Scaling & {
    /** The rows the statistics were computed on: the study's training split, or train + validation after --retrain. */
    fittedOn: 'train' | 'train+validation';
    rows: number;
  };
  /** The target column the model predicts. */
  target: string;
  /** Classification: the labels, in the order of the model's output units (probabilities). */
  classes?: string[];
  /**
   * Regression: the network was trained on (y - mean) / std. The exported model.json ends
   * with a fixed dense layer (`layer`) computing y = output * std + mean, so it outputs the
   * target's own units; gradtune applies the same in float64 on the output before it.
   */
  targetScaling?: TargetScaling & { layer: string };
  /** Input columns copied into predictions (the id column first). */
  passthrough: string[];
}

/** The preprocessing of a loaded dataset (its training split's statistics). */
export function preprocessingOf(dataset: DatasetInfo, fittedOn: 'train' | 'train+validation' = 'train'): Preprocessing {
  return {
    format: PREPROCESSING_FORMAT,
    task: dataset.task,
    // A hand-built Dataset has no column encodings: each feature is a numeric column of its own.
    columns: dataset.columns
      ? structuredClone(dataset.columns)
      : dataset.featureNames.map((name, i) => ({ name, kind: 'numeric' as const, fill: dataset.scaling.mean[i], indicator: false })),
    missing: dataset.columns ? (dataset.missing ?? 'impute') : 'error',
    features: [...dataset.featureNames],
    scaling: { mean: [...dataset.scaling.mean], std: [...dataset.scaling.std], fittedOn, rows: dataset.nTrain },
    target: dataset.targetName,
    ...(dataset.task === 'classification' ? { classes: [...(dataset.classes ?? [])] } : {}),
    ...(dataset.targetScaling ? { targetScaling: { ...dataset.targetScaling, layer: TARGET_RESCALE_LAYER } } : {}),
    passthrough: [...(dataset.passthrough ?? [])],
  };
}

/**
 * Checks a parsed preprocessing.json (`file` names it in errors): a damaged or
 * hand-edited file must fail here, with its name, rather than predict nonsense.
 */
export function checkPreprocessing(value: unknown, file: string): Preprocessing {
  const bad = (what: string) => new GradtuneError(`${file} is not a valid gradtune preprocessing file: ${what}; export the model again`);
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const p = (value as { format?: unknown }).format === FORMAT_1 ? fromFormat1(value as Partial<Preprocessing>) : (value as Partial<Preprocessing>);
  if (p.format !== PREPROCESSING_FORMAT) throw bad(`format is ${JSON.stringify(p.format)}, expected "${PREPROCESSING_FORMAT}"`);
  if (p.task !== 'classification' && p.task !== 'regression') throw bad(`task is ${JSON.stringify(p.task)}`);
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (!Array.isArray(p.columns) || p.columns.length === 0) throw bad('columns must be a non-empty list');
  p.columns.forEach((c: unknown, i) => {
    const column = c as Partial<ColumnEncoding> | null;
    const what = `columns[${i}]`;
    if (typeof column !== 'object' || column === null || typeof column.name !== 'string' || column.name === '') throw bad(`${what} needs a name`);
    if (typeof column.indicator !== 'boolean') throw bad(`${what}.indicator must be true or false`);
    if (column.kind === 'numeric') {
      if (!finite(column.fill)) throw bad(`${what}.fill must be a finite number`);
    } else if (column.kind === 'categorical') {
      if (!strings(column.categories) || column.categories.length === 0) throw bad(`${what}.categories must be a non-empty list of strings`);
      if (typeof column.other !== 'boolean' || typeof column.fill !== 'string') throw bad(`${what} needs other (true or false) and a fill string`);
    } else {
      throw bad(`${what}.kind is ${JSON.stringify(column.kind)}, expected "numeric" or "categorical"`);
    }
  });
  const names = p.columns.map((c) => c.name);
  if (new Set(names).size !== names.length) throw bad('an input column is listed twice');
  if (!MISSING_POLICIES.includes(p.missing as MissingPolicy)) throw bad(`missing is ${JSON.stringify(p.missing)}, expected "impute" or "error"`);
  const width = p.columns.reduce((n, c) => n + encodedWidth(c), 0);
  if (!strings(p.features) || p.features.length !== width) throw bad(`features must list the ${width} features the columns give`);
  const numbers = (x: unknown): x is number[] => Array.isArray(x) && x.length === width && x.every(finite);
  if (!p.scaling || !numbers(p.scaling.mean) || !numbers(p.scaling.std) || p.scaling.std.some((s) => s <= 0)) {
    throw bad('scaling needs a finite mean and a positive std per feature');
  }
  if (typeof p.target !== 'string') throw bad('target must be the target column name');
  if (p.task === 'classification' && (!strings(p.classes) || p.classes.length < 2)) throw bad('classification needs at least two class labels');
  if (p.targetScaling !== undefined) {
    const t = p.targetScaling;
    if (p.task !== 'regression' || !finite(t.mean) || !finite(t.std) || !(t.std > 0) || typeof t.layer !== 'string') {
      throw bad('targetScaling needs a finite mean, a positive std and the layer name (regression only)');
    }
  }
  if (!strings(p.passthrough) || names.some((n) => p.passthrough!.includes(n))) throw bad('passthrough must be a list of columns that are not inputs');
  return p as Preprocessing;
}

/** A format-1 file: every feature a numeric column, missing values an error, the target unscaled. */
function fromFormat1(p: Partial<Preprocessing>): Partial<Preprocessing> {
  const features = Array.isArray(p.features) ? p.features : [];
  return {
    ...p,
    format: PREPROCESSING_FORMAT,
    columns: features.map((name) => ({ name, kind: 'numeric', fill: 0, indicator: false })),
    missing: 'error',
    passthrough: [],
  };
}
