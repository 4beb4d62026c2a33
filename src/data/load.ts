import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { GradtuneError } from '../errors.js';
import { builtinDatasetPath } from './builtin.js';
import { readFeatureColumns, type RawColumn } from './columns.js';
import { readCsvFile, type CsvTable } from './csv.js';
import { checkTextEncoding } from './decode.js';
import { binaryFeatures, encodeCell, encodedNames, encodedWidth, fitColumn } from './encode.js';
import { farFrom, fitScaling, MAX_STANDARDISED, scaleRows } from './scale.js';
import { selectColumns } from './select.js';
import { checkValSplit, splitRows, type Split } from './split.js';
import { checkScaledTarget, checkTargetPresent, encodeTarget, fitTargetScaling, inferTask, type EncodedTarget } from './target.js';
import { MISSING_POLICIES, DEFAULT_MAX_CATEGORIES, type ColumnEncoding, type Dataset, type DataSource, type Scaling, type TargetScaling, type Task } from './types.js';
import { constantColumnWarning, idColumnWarnings, tinyValidationWarnings } from './warnings.js';

/**
 * Read, select, encode, split and standardise a dataset: a pure function of `source` (and
 * the file), synchronous and deterministic, so a worker that reloads the same source gets
 * byte-identical arrays. Everything fitted (imputation, categories, scaling, the target's
 * scaling) is fitted on the training split only. Every problem with the data is a
 * GradtuneError naming the column (and line), raised before any trial runs.
 */
export function loadDataset(source: DataSource): Dataset {
  return prepare(source, 'train');
}

/**
 * Every row of the source as training rows (and, since the training loop needs one, as the
 * validation rows too), with everything fitted on all of them: `export --retrain`.
 */
export function loadAllRows(source: DataSource): Dataset {
  return prepare(source, 'all');
}

/** One line for logs and the CLI, e.g. `iris: 150 rows, 4 features, classification (3 classes), 120 train / 30 val`. */
export function describeDataset(ds: Dataset): string {
  const task = ds.task === 'classification' ? `classification (${ds.classes?.length ?? ds.nOutputs} classes)` : 'regression';
  const features = `${ds.nFeatures} feature${ds.nFeatures === 1 ? '' : 's'}`;
  const columns = ds.columns && ds.columns.length !== ds.nFeatures ? ` from ${ds.columns.length} column${ds.columns.length === 1 ? '' : 's'}` : '';
  return `${ds.name}: ${ds.rows} rows, ${features}${columns}, ${task}, ${ds.nTrain} train / ${ds.nVal} val`;
}

function prepare(source: DataSource, fitOn: 'train' | 'all'): Dataset {
  checkSource(source);
  const { name, path, label } = locate(source);
  const encoding = source.encoding ?? 'utf8';
  const table = readCsvFile(path, encoding);
  const selection = selectColumns(table.header, source, label);
  const targetColumn = { targetName: selection.targetName, targets: table.rows.map((row) => row[selection.targetIndex]) };
  checkTargetPresent(targetColumn, table.lines, label);
  const task = source.task ?? inferTask(targetColumn.targets);
  const target = encodeTarget(targetColumn, task, table.lines, label);
  const missing = source.missing ?? 'impute';
  const raw = readFeatureColumns(table, selection, missing, label);

  const rows = table.rows.length;
  const strata = target.task === 'classification' ? { labels: target.labels, nClasses: target.classes.length } : undefined;
  const all = Array.from({ length: rows }, (_, i) => i);
  const { train, val }: Split = fitOn === 'train' ? splitRows(rows, source.valSplit, source.seed, strata) : { train: all, val: all };

  const maxCategories = source.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  const columns = raw.map((c) => fitColumn(c, train, maxCategories, label));
  const featureNames = encodedNames(columns);
  const nFeatures = featureNames.length;
  const encoded = encodeTable(table, raw, columns, nFeatures, label);
  const scaling = fitScaling(encoded, nFeatures, train, binaryFeatures(columns));
  const owner = featureOwners(columns);
  checkScaling(scaling, columns, owner, label);
  const standardised = (subset: number[]) => checkedScale(encoded, nFeatures, subset, scaling, { table, raw, columns, owner, label });

  const nOutputs = target.task === 'classification' ? target.classes.length : 1;
  const targetScaling = target.task === 'regression' ? fitTargetScaling(target.values, train, selection.targetName, label) : undefined;
  if (target.task === 'regression') checkScaledTarget(target.values, targetScaling!, targetColumn, table.lines, label);

  const warnings =
    fitOn === 'train'
      ? [
          ...tinyValidationWarnings({
            nVal: val.length,
            rows,
            valSplit: source.valSplit,
            ...(target.task === 'classification' ? { classes: target.classes, valLabels: val.map((r) => target.labels[r]) } : {}),
          }),
          ...idColumnWarnings(raw, rows),
          ...constantColumnWarning(constantColumns(encoded, nFeatures, train, columns)),
        ]
      : [];

  return {
    name,
    task,
    featureNames,
    targetName: selection.targetName,
    ...(target.task === 'classification' ? { classes: target.classes } : {}),
    nFeatures,
    nOutputs,
    nTrain: train.length,
    nVal: val.length,
    xTrain: standardised(train),
    yTrain: targetRows(target, train, nOutputs, targetScaling),
    xVal: standardised(val),
    yVal: targetRows(target, val, nOutputs, targetScaling),
    scaling,
    columns,
    missing,
    ...(targetScaling ? { targetScaling } : {}),
    passthrough: selection.passthrough,
    warnings,
    fingerprint: fingerprint(table.bytes, {
      target: selection.targetName,
      task,
      valSplit: source.valSplit,
      seed: source.seed,
      // Only what differs from the defaults of old, so a study made before an option
      // existed keeps its fingerprint; anything that changes the features is covered.
      ...(selection.everyColumn ? {} : { features: raw.map((c) => c.name) }),
      ...(selection.categorical.size > 0 ? { categorical: [...selection.categorical].sort() } : {}),
      ...(columns.some((c) => c.kind === 'categorical') ? { maxCategories } : {}),
      ...(encoding !== 'utf8' ? { encoding } : {}),
      // The model learns the standardised target: trials from before target scaling do not mix with these.
      ...(task === 'regression' ? { targetScaling: 'standard' } : {}),
    }),
    rows,
  };
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
  const names = (flag: string, value: unknown) => {
    if (value === undefined) return;
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
      throw new GradtuneError(`${flag} must be a list of column names (comma-separated on the command line), got ${JSON.stringify(value)}`);
    }
  };
  names('--features', source.features);
  names('--ignore', source.ignore);
  names('--passthrough', source.passthrough);
  names('--categorical', source.categorical);
  if (source.id !== undefined && (typeof source.id !== 'string' || source.id === '')) {
    throw new GradtuneError(`--id must be one column name, got ${JSON.stringify(source.id)}`);
  }
  if (source.maxCategories !== undefined && !(Number.isInteger(source.maxCategories) && source.maxCategories >= 1)) {
    throw new GradtuneError(`--max-categories must be a whole number >= 1 (the most frequent categories a text column keeps), got ${source.maxCategories}`);
  }
  if (source.missing !== undefined && !(MISSING_POLICIES as readonly string[]).includes(source.missing)) {
    throw new GradtuneError(`--missing must be ${MISSING_POLICIES.join(' or ')}, got ${JSON.stringify(source.missing)}`);
  }
  if (source.encoding !== undefined) checkTextEncoding(source.encoding);
}

function locate(source: DataSource): { name: string; path: string; label: string } {
  if (source.builtin !== undefined) {
    return { name: source.builtin, path: builtinDatasetPath(source.builtin), label: `dataset ${source.builtin}` };
  }
  const path = source.path as string;
  return { name: basename(path), path, label: `data file ${path}` };
}

/**
 * Every row's features, unstandardised (float64), row-major. Cells go through encodeCell,
 * as at prediction time; numeric ones as the numbers readFeatureColumns parsed (parsing
 * them again would give the same numbers, slower).
 */
function encodeTable(table: CsvTable, raw: RawColumn[], columns: ColumnEncoding[], nFeatures: number, label: string): Float64Array {
  const out = new Float64Array(table.rows.length * nFeatures);
  let at = 0;
  columns.forEach((column, c) => {
    const source = raw[c];
    let r = 0;
    // readFeatureColumns has already refused missing cells under --missing error.
    const ctx = { where: () => `${label} line ${table.lines[r]}: column "${column.name}"`, missing: 'impute' as const, missingHint: '' };
    for (; r < table.rows.length; r++) {
      const cell = source.kind === 'numeric' ? (Number.isNaN(source.values[r]) ? null : source.values[r]) : (source.values[r] ?? null);
      encodeCell(column, cell, out, r * nFeatures + at, ctx);
    }
    at += encodedWidth(column);
  });
  return out;
}

/** The input column each feature comes from. */
function featureOwners(columns: ColumnEncoding[]): number[] {
  return columns.flatMap((column, c) => new Array<number>(encodedWidth(column)).fill(c));
}

/** Cannot fail for values within float32's range; kept so a statistic is never silently NaN or zero. */
function checkScaling(scaling: Scaling, columns: ColumnEncoding[], owner: number[], label: string): void {
  scaling.mean.forEach((m, f) => {
    const s = scaling.std[f];
    if (!(Number.isFinite(m) && Number.isFinite(s) && s > 0)) {
      throw new GradtuneError(`${label}: column "${columns[owner[f]].name}" cannot be standardised (mean ${m}, standard deviation ${s}); check its values, or leave it out with --ignore ${columns[owner[f]].name}`);
    }
  });
}

/**
 * Standardised rows as float32. A value can be representable and still land absurdly far
 * out once standardised (far outside a near-constant training column): named here rather
 * than fed to the model to overflow it.
 */
function checkedScale(
  encoded: Float64Array,
  nFeatures: number,
  subset: number[],
  scaling: Scaling,
  ctx: { table: CsvTable; raw: RawColumn[]; columns: ColumnEncoding[]; owner: number[]; label: string },
): Float32Array {
  const x = scaleRows(encoded, nFeatures, subset, scaling);
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]) <= MAX_STANDARDISED) continue;
    const r = subset[Math.floor(i / nFeatures)];
    const f = i % nFeatures;
    const column = ctx.columns[ctx.owner[f]];
    throw new GradtuneError(
      `${ctx.label} line ${ctx.table.lines[r]}: column "${column.name}" is ${ctx.table.rows[r][ctx.raw[ctx.owner[f]].index]}, ` +
        `${farFrom(encoded[r * nFeatures + f], scaling, f)}; check that value, or leave the column out with --ignore ${column.name}`,
    );
  }
  return x;
}

/** Input columns whose every feature is the same in all training rows. */
function constantColumns(encoded: Float64Array, nFeatures: number, train: number[], columns: ColumnEncoding[]): string[] {
  const out: string[] = [];
  let f = 0;
  for (const column of columns) {
    const width = encodedWidth(column);
    let constant = true;
    for (let k = f; k < f + width && constant; k++) {
      const first = encoded[train[0] * nFeatures + k];
      for (const r of train) {
        if (encoded[r * nFeatures + k] !== first) {
          constant = false;
          break;
        }
      }
    }
    if (constant) out.push(column.name);
    f += width;
  }
  return out;
}

/** One-hot rows for classification; for regression the standardised target. */
function targetRows(target: EncodedTarget, rows: number[], nOutputs: number, scaling: TargetScaling | undefined): Float32Array {
  const out = new Float32Array(rows.length * nOutputs);
  rows.forEach((r, i) => {
    if (target.task === 'classification') out[i * nOutputs + target.labels[r]] = 1;
    else out[i] = (target.values[r] - scaling!.mean) / scaling!.std;
  });
  return out;
}

/**
 * Identifies "the same data, encoded and split the same way"; a study stores it so that
 * resuming on different data can be caught. Hashes the file as stored, plus every option
 * that changes the features or which rows land where.
 */
function fingerprint(bytes: Buffer, options: Record<string, unknown>): string {
  return createHash('sha256').update(bytes).update(JSON.stringify(options)).digest('hex');
}
