export type Task = 'classification' | 'regression';

/** Where a dataset comes from, plus the options that shape it. Serialisable: workers reload it. */
export interface DataSource {
  /** A built-in dataset name (digits, iris, breast-cancer) or undefined when `path` is set. */
  builtin?: string;
  /** Path to a CSV file (optionally .gz). */
  path?: string;
  /** Target column; default: the last column. */
  target?: string;
  /** Force the task; default: inferred from the target column. */
  task?: Task;
  /** Fraction of rows held out for validation, in (0, 1). Default 0.2. */
  valSplit: number;
  /** Seed of the (stratified) train/validation split. */
  seed: number;
}

/** Standardisation statistics, computed on the training split only. */
export interface Scaling {
  mean: number[];
  std: number[];
}

/** A loaded, split and standardised dataset, as flat row-major Float32Arrays. */
export interface Dataset {
  name: string;
  task: Task;
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
  yTrain: Float32Array; // nTrain * nOutputs
  xVal: Float32Array;
  yVal: Float32Array;
  scaling: Scaling;
  /** sha256 of the file contents and the options that shape the split. */
  fingerprint: string;
  /** Total rows in the file. */
  rows: number;
}
