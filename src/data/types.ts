export type Task = 'classification' | 'regression';

/** How the bytes of a CSV file are read as text. */
export const TEXT_ENCODINGS = ['utf8', 'latin1', 'windows-1252'] as const;
export type TextEncoding = (typeof TEXT_ENCODINGS)[number];

/** What a missing feature value does: filled from the training rows, or an error naming its line. */
export const MISSING_POLICIES = ['impute', 'error'] as const;
export type MissingPolicy = (typeof MISSING_POLICIES)[number];

/** Most frequent categories a text column keeps by default; the rest share an "other" column. */
export const DEFAULT_MAX_CATEGORIES = 20;

/** Where a dataset comes from, plus the options that shape it. Serialisable: stored with the study. */
export interface DataSource extends DataColumnOptions {
  /** A built-in dataset name (digits, iris, breast-cancer); exactly one of builtin, path and memory. */
  builtin?: string;
  /** Path to a CSV file (optionally .gz). */
  path?: string;
  /**
   * Arrays given to `tuner.search(x, y)`: in no file, so nothing can read them again. The
   * study keeps what a later process needs to rebuild its models without them.
   */
  memory?: MemoryData;
  /** Target column; default: the last column. */
  target?: string;
  /** Force the task; default: inferred from the target column. */
  task?: Task;
  /** Fraction of rows held out for validation, in (0, 1). Default 0.2. */
  valSplit: number;
  /** Seed of the (stratified) train/validation split. */
  seed: number;
}

/** What a study searched on in-memory arrays keeps of them (src/data/memory.ts). */
export interface MemoryData {
  /** The validation rows were a seeded split of x (`valSplit`, `seed`), or given (`validationData`). */
  validation: 'split' | 'given';
  /** The dataset without its arrays: features, their preprocessing, task, classes, target scaling, sizes. */
  info: DatasetInfo;
}

/** Standardisation statistics, computed on the training split only. */
export interface Scaling {
  mean: number[];
  std: number[];
}

/**
 * How one input column becomes model features, fitted on the training split. A numeric
 * column gives its value (then `(missing)` when `indicator`); a categorical one gives one
 * 0/1 feature per kept category, then `(other)` when `other`, then `(missing)`.
 */
export type ColumnEncoding =
  | {
      name: string;
      kind: 'numeric';
      /** What a missing value becomes: the training rows' median. */
      fill: number;
      /** A 0/1 feature says "this value was missing" (the training rows had missing values here). */
      indicator: boolean;
    }
  | {
      name: string;
      kind: 'categorical';
      /** Kept categories, most frequent first (ties in code-unit order). */
      categories: string[];
      /** The training rows had more distinct values than were kept: they (and unseen ones) share an "other" feature. */
      other: boolean;
      /** What a missing value becomes: the most frequent category. */
      fill: string;
      indicator: boolean;
    };

/** The target's standardisation (regression): the model learns (y - mean) / std. */
export interface TargetScaling {
  mean: number;
  std: number;
}

/** A loaded, split and standardised dataset, as flat row-major Float32Arrays. */
export interface Dataset {
  name: string;
  task: Task;
  /** The model's input features, in order (a text column gives several: `color=red`, ...). */
  featureNames: string[];
  targetName: string;
  /** Class labels in one-hot order (classification only). */
  classes?: string[];
  nFeatures: number;
  /** Output units: number of classes, or 1 for regression. */
  nOutputs: number;
  nTrain: number;
  nVal: number;
  xTrain: Float32Array; // nTrain * nFeatures
  /** One-hot classes, or the standardised target (regression, see targetScaling). */
  yTrain: Float32Array; // nTrain * nOutputs
  xVal: Float32Array;
  yVal: Float32Array;
  /** Per feature in featureNames; 0/1 features (categories, missing indicators) keep mean 0, std 1. */
  scaling: Scaling;
  /** The input columns and how each became features. Absent on a hand-built Dataset: every feature is a numeric column. */
  columns?: ColumnEncoding[];
  /** Missing feature values at prediction time: imputed, or an error. Default impute. */
  missing?: MissingPolicy;
  /** Regression: the target's standardisation; losses and MAE are reported multiplied back into the target's units. */
  targetScaling?: TargetScaling;
  /** Columns copied into predict's output (the id column first). */
  passthrough?: string[];
  /** Things worth knowing about the data that are not errors (one line each). */
  warnings?: string[];
  /** sha256 of the file contents and the options that shape the features and the split. */
  fingerprint: string;
  /** Total rows in the file. */
  rows: number;
}

/** A dataset's description and preprocessing, without its rows: what rebuilding or exporting a model needs. */
export type DatasetInfo = Omit<Dataset, 'xTrain' | 'yTrain' | 'xVal' | 'yVal' | 'warnings'>;

/** The description of a dataset, without its rows. */
export function datasetInfo(ds: Dataset | DatasetInfo): DatasetInfo {
  const { xTrain: _x, yTrain: _y, xVal: _xv, yVal: _yv, warnings: _w, ...info } = ds as Dataset;
  return info;
}

/** Which columns are features, how text and missing values are read: for a CSV file, the CLI's flags and the Tuner's options alike. */
export interface DataColumnOptions {
  /** Only these columns are features. Default: every column but the target, `id`, `passthrough` and `ignore`. */
  features?: string[];
  /** Columns that are never features. */
  ignore?: string[];
  /** A row identifier: never a feature, copied into `predict`'s output. */
  id?: string;
  /** More columns that are never features and are copied into `predict`'s output. */
  passthrough?: string[];
  /** Columns read as categories (one-hot) even when they hold numbers (codes, zip codes). */
  categorical?: string[];
  /** Most frequent categories kept per text column; the rest go to its "other" column. Default 20. */
  maxCategories?: number;
  /** Missing feature values: imputed (default) or an error. */
  missing?: MissingPolicy;
  /** How the file's bytes are decoded. Default utf8 (invalid UTF-8 is an error naming the line). */
  encoding?: TextEncoding;
}
