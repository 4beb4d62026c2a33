// A study's validation split as raw CSV rows (every column, text as in the file), in the
// order loadDataset puts them: the same file, columns, target encoding and seeded split.
// Tests feed these rows to `predict` to recompute a trial's score from scratch.
import { builtinDatasetPath } from '../../src/data/builtin.js';
import { readCsvFile } from '../../src/data/csv.js';
import { selectColumns } from '../../src/data/select.js';
import { encodeTarget, inferTask } from '../../src/data/target.js';
import { splitRows } from '../../src/data/split.js';
import type { DataSource } from '../../src/data/types.js';

export interface ValidationSplit {
  header: string[];
  /** The validation rows, all columns. */
  rows: string[][];
  /** The target of each row: the class label as the model names it, or the value. */
  targets: string[];
  targetName: string;
}

export function validationSplit(source: DataSource): ValidationSplit {
  const path = source.builtin !== undefined ? builtinDatasetPath(source.builtin) : source.path!;
  const table = readCsvFile(path, source.encoding);
  const selection = selectColumns(table.header, source, 'test data');
  const columns = { targetName: selection.targetName, targets: table.rows.map((row) => row[selection.targetIndex]) };
  const task = source.task ?? inferTask(columns.targets);
  const target = encodeTarget(columns, task, table.lines, 'test data');
  const strata = target.task === 'classification' ? { labels: target.labels, nClasses: target.classes.length } : undefined;
  const { val } = splitRows(table.rows.length, source.valSplit, source.seed, strata);
  return {
    header: table.header,
    rows: val.map((r) => table.rows[r]),
    targets: val.map((r) => (target.task === 'classification' ? target.classes[target.labels[r]] : String(target.values[r]))),
    targetName: columns.targetName,
  };
}
