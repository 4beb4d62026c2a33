import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { GradtuneError } from '../errors.js';
import { builtinDatasetPath } from './builtin.js';
import { splitColumns } from './columns.js';
import { readCsvFile } from './csv.js';
import { fitScaling, scaleRows } from './scale.js';
import { checkValSplit, splitRows } from './split.js';
import { encodeTarget, inferTask, type EncodedTarget } from './target.js';
import type { Dataset, DataSource, Task } from './types.js';

/**
 * Read, split and standardise a dataset. Synchronous and deterministic in `source`, so a
 * worker that reloads the same source gets byte-identical arrays.
 */
export function loadDataset(source: DataSource): Dataset {
  checkSource(source);
  const { name, path, label } = locate(source);
  const table = readCsvFile(path);
  const columns = splitColumns(table, label, source.target);
  const task = source.task ?? inferTask(columns.targets);
  const target = encodeTarget(columns, task, table.lines, label);

  const rows = table.rows.length;
  const nFeatures = columns.featureNames.length;
  const strata = target.task === 'classification' ? { labels: target.labels, nClasses: target.classes.length } : undefined;
  const { train, val } = splitRows(rows, source.valSplit, source.seed, strata);
  const scaling = fitScaling(columns.features, nFeatures, train);
  const nOutputs = target.task === 'classification' ? target.classes.length : 1;

  return {
    name,
    task,
    featureNames: columns.featureNames,
    targetName: columns.targetName,
    ...(target.task === 'classification' ? { classes: target.classes } : {}),
    nFeatures,
    nOutputs,
    nTrain: train.length,
    nVal: val.length,
    xTrain: scaleRows(columns.features, nFeatures, train, scaling),
    yTrain: targetRows(target, train, nOutputs),
    xVal: scaleRows(columns.features, nFeatures, val, scaling),
    yVal: targetRows(target, val, nOutputs),
    scaling,
    fingerprint: fingerprint(table.bytes, { target: columns.targetName, task, valSplit: source.valSplit, seed: source.seed }),
    rows,
  };
}

/** One line for logs and the CLI, e.g. `iris: 150 rows, 4 features, classification (3 classes), 120 train / 30 val`. */
export function describeDataset(ds: Dataset): string {
  const task = ds.task === 'classification' ? `classification (${ds.classes?.length ?? ds.nOutputs} classes)` : 'regression';
  const features = `${ds.nFeatures} feature${ds.nFeatures === 1 ? '' : 's'}`;
  return `${ds.name}: ${ds.rows} rows, ${features}, ${task}, ${ds.nTrain} train / ${ds.nVal} val`;
}

/** Cheap checks first, so a bad option fails before a large file is read. */
function checkSource(source: DataSource): void {
  if ((source.builtin === undefined) === (source.path === undefined)) {
    throw new GradtuneError('a data source needs exactly one of a built-in dataset name or a CSV path');
  }
  const tasks: Task[] = ['classification', 'regression'];
  if (source.task !== undefined && !tasks.includes(source.task)) {
    throw new GradtuneError(`unknown task "${source.task}"; use classification or regression (or leave it out to infer)`);
  }
  checkValSplit(source.valSplit);
  if (!Number.isFinite(source.seed)) {
    throw new GradtuneError(`data split seed must be a finite number (got ${source.seed})`);
  }
}

function locate(source: DataSource): { name: string; path: string; label: string } {
  if (source.builtin !== undefined) {
    return { name: source.builtin, path: builtinDatasetPath(source.builtin), label: `dataset ${source.builtin}` };
  }
  const path = source.path as string;
  return { name: basename(path), path, label: `data file ${path}` };
}

/** One-hot rows for classification, the raw value for regression (targets are not scaled). */
function targetRows(target: EncodedTarget, rows: number[], nOutputs: number): Float32Array {
  const out = new Float32Array(rows.length * nOutputs);
  rows.forEach((r, i) => {
    if (target.task === 'classification') out[i * nOutputs + target.labels[r]] = 1;
    else out[i] = target.values[r];
  });
  return out;
}

/**
 * Identifies "the same data, split the same way"; a study stores it so that resuming on
 * different data can be caught. Hashes the file as stored, plus every option that changes
 * which rows land where.
 */
function fingerprint(bytes: Buffer, options: { target: string; task: Task; valSplit: number; seed: number }): string {
  return createHash('sha256').update(bytes).update(JSON.stringify(options)).digest('hex');
}
