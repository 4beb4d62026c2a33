import { GradtuneError } from '../errors.js';
import { packageFile } from '../package-files.js';
import type { Task } from './types.js';

/** One dataset shipped in `datasets/` (attribution in datasets/SOURCES.md). */
export interface BuiltinDataset {
  /** File name inside `datasets/`. */
  file: string;
  description: string;
  rows: number;
  features: number;
  /** The target column (always the last one in these files). */
  target: string;
  task: Task;
}

/** The built-in datasets, in the order they are listed to users. */
export const BUILTIN_DATASETS = {
  digits: {
    file: 'digits.csv.gz',
    description: 'handwritten digits, 8×8 pixel intensities (0–16), 10 classes',
    rows: 1797,
    features: 64,
    target: 'digit',
    task: 'classification',
  },
  iris: {
    file: 'iris.csv',
    description: 'iris flowers, 4 sepal/petal measurements, 3 species',
    rows: 150,
    features: 4,
    target: 'species',
    task: 'classification',
  },
  'breast-cancer': {
    file: 'breast-cancer.csv',
    description: 'breast cancer (Wisconsin diagnostic), 30 cell-nucleus features, malignant/benign',
    rows: 569,
    features: 30,
    target: 'diagnosis',
    task: 'classification',
  },
} as const satisfies Record<string, BuiltinDataset>;

export type BuiltinName = keyof typeof BUILTIN_DATASETS;

export function isBuiltinDataset(name: string): name is BuiltinName {
  return Object.hasOwn(BUILTIN_DATASETS, name);
}

/**
 * Absolute path of a built-in dataset's file. Resolved from the package's root rather than
 * the working directory so it works wherever gradtune is installed or run from.
 */
export function builtinDatasetPath(name: string): string {
  if (!isBuiltinDataset(name)) {
    const known = Object.keys(BUILTIN_DATASETS).join(', ');
    throw new GradtuneError(
      `unknown dataset "${name}": built-in datasets are ${known}; use --data <file.csv> for your own`,
    );
  }
  return packageFile(`datasets/${BUILTIN_DATASETS[name].file}`);
}
