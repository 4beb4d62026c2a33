import { GradtuneError } from '../errors.js';
import type { CsvTable } from './csv.js';
import { parseNumber } from './number.js';

/** A CSV table split into numeric features and a (still textual) target column. */
export interface Columns {
  featureNames: string[];
  targetName: string;
  /** Raw feature values, row-major: rows × featureNames.length. */
  features: Float64Array;
  /** Target cells as text; what they mean depends on the task, decided later. */
  targets: string[];
}

/**
 * Pick the target (default: the last column); every other column must be numeric.
 * `label` ("data file x.csv", "dataset iris") starts every error message.
 */
export function splitColumns(table: CsvTable, label: string, target?: string): Columns {
  const { header, rows, lines } = table;
  const targetIndex = target === undefined ? header.length - 1 : header.indexOf(target);
  if (targetIndex < 0) {
    throw new GradtuneError(
      `${label} has no column "${target}"; its columns are: ${header.join(', ')} (choose the target with --target)`,
    );
  }
  if (header.length < 2) {
    // Usually a file separated by ';' or tabs, which reads as a single column.
    throw new GradtuneError(
      `${label} has a single column ("${header[0]}"); gradtune needs comma-separated features and a target`,
    );
  }

  const targetName = header[targetIndex];
  const featureIndices = header.map((_, i) => i).filter((i) => i !== targetIndex);
  const nFeatures = featureIndices.length;
  const features = new Float64Array(rows.length * nFeatures);
  const targets: string[] = [];

  rows.forEach((row, r) => {
    const where = `${label} line ${lines[r]}`;
    featureIndices.forEach((c, f) => {
      const cell = row[c];
      if (cell === '') {
        throw new GradtuneError(
          `${where}: column "${header[c]}" is empty; missing values are not supported, fill or drop that row`,
        );
      }
      const value = parseNumber(cell);
      if (value === undefined) {
        throw new GradtuneError(
          `${where}: column "${header[c]}" has non-numeric value "${cell}"; features must be numbers ` +
            `(encode categories as numbers, or choose this column as the target)`,
        );
      }
      features[r * nFeatures + f] = value;
    });
    if (row[targetIndex] === '') {
      throw new GradtuneError(`${where}: target column "${targetName}" is empty; every row needs a target value`);
    }
    targets.push(row[targetIndex]);
  });

  return { featureNames: featureIndices.map((i) => header[i]), targetName, features, targets };
}
