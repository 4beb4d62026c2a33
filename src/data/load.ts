import type { Hash } from 'node:crypto';
import { basename } from 'node:path';
import { GradtuneError } from '../errors.js';
import { builtinDatasetPath } from './builtin.js';
import { ColumnCells, growableU32, shownText, type CellColumn } from './column-cells.js';
import { becomesCategorical, readFeatureColumn, type RowPlace } from './columns.js';
import { readCsvAsync, readCsvSync, type CsvRead, type CsvSink } from './csv-stream.js';
import { checkTextEncoding } from './decode.js';
import { prepareDataset } from './prepare.js';
import { selectColumns, type ColumnSelection } from './select.js';
import { checkValSplit, splitRows, type Split } from './split.js';
import { checkTargetPresent, encodeTarget, inferTask, targetNeedsTexts, type TargetColumn } from './target.js';
import { MISSING_POLICIES, DEFAULT_MAX_CATEGORIES, type Dataset, type DataSource, type TextEncoding, type Task } from './types.js';

/**
 * Read, select, encode, split and standardise a dataset: a pure function of `source` (and
 * the file), deterministic, so a worker that reloads the same source gets byte-identical
 * arrays. Everything fitted (imputation, categories, scaling, the target's scaling) is
 * fitted on the training split only. Every problem with the data is a GradtuneError
 * naming the column (and line), raised before any trial runs. The file is read as a
 * stream (src/data/csv-stream.ts); the arrays live in SharedArrayBuffers.
 */
export function loadDataset(source: DataSource): Dataset {
  return runSync(prepare(source, 'train'));
}

/** loadDataset, reading the file asynchronously: the event loop (and Ctrl-C) stays alive while a large file loads. */
export function loadDatasetAsync(source: DataSource): Promise<Dataset> {
  return runAsync(prepare(source, 'train'));
}

/**
 * Every row of the source as training rows (and, since the training loop needs one, as the
 * validation rows too), with everything fitted on all of them: `export --retrain`.
 */
export function loadAllRows(source: DataSource): Dataset {
  return runSync(prepare(source, 'all'));
}

export function loadAllRowsAsync(source: DataSource): Promise<Dataset> {
  return runAsync(prepare(source, 'all'));
}

/** One line for logs and the CLI, e.g. `iris: 150 rows, 4 features, classification (3 classes), 120 train / 30 val`. */
export function describeDataset(ds: Omit<Dataset, 'xTrain' | 'yTrain' | 'xVal' | 'yVal'>): string {
  const task = ds.task === 'classification' ? `classification (${ds.classes?.length ?? ds.nOutputs} classes)` : 'regression';
  const features = `${ds.nFeatures} feature${ds.nFeatures === 1 ? '' : 's'}`;
  const columns = ds.columns && ds.columns.length !== ds.nFeatures ? ` from ${ds.columns.length} column${ds.columns.length === 1 ? '' : 's'}` : '';
  return `${ds.name}: ${ds.rows} rows, ${features}${columns}, ${task}, ${ds.nTrain} train / ${ds.nVal} val`;
}

/** A read of the file that `prepare` asks its driver for: the sink gets the records. */
interface ReadRequest {
  path: string;
  encoding: TextEncoding;
  sink: CsvSink;
}

/** The loading steps, written once: a driver reads the file when asked, synchronously or not. */
type Steps = Generator<ReadRequest, Dataset, CsvRead>;

function runSync(steps: Steps): Dataset {
  let next = steps.next(undefined as never);
  while (!next.done) next = steps.next(readCsvSync(next.value.path, next.value.encoding, next.value.sink));
  return next.value;
}

async function runAsync(steps: Steps): Promise<Dataset> {
  let next = steps.next(undefined as never);
  while (!next.done) next = steps.next(await readCsvAsync(next.value.path, next.value.encoding, next.value.sink));
  return next.value;
}

/**
 * The file's target and feature columns as they stream in (other columns are not kept):
 * numbers as float64, texts as dictionary codes (src/data/column-cells.ts).
 */
class ColumnsSink implements CsvSink {
  selection: ColumnSelection | undefined;
  target: ColumnCells | undefined;
  features: ColumnCells[] = [];
  readonly lines = growableU32();

  constructor(
    private readonly source: DataSource,
    private readonly label: string,
  ) {}

  header(names: string[]): void {
    const selection = selectColumns(names, this.source, this.label);
    this.selection = selection;
    this.target = new ColumnCells(selection.targetName, selection.targetIndex);
    this.features = selection.features.map((c) => new ColumnCells(names[c], c, selection.categorical.has(names[c])));
  }

  row(cells: string[], line: number): void {
    this.lines.push(line);
    this.target!.add(cells[this.selection!.targetIndex]);
    for (const column of this.features) column.add(cells[column.index]);
  }
}

/** The same columns read again, keeping every cell's text: columns that turned out to be categories after numbers' spellings were dropped. */
class TextsSink implements CsvSink {
  readonly columns: ColumnCells[];
  constructor(private readonly wanted: CellColumn[]) {
    this.columns = wanted.map((c) => new ColumnCells(c.name, c.index, true));
  }
  header(): void {}
  row(cells: string[]): void {
    for (const column of this.columns) column.add(cells[column.index]);
  }
}

function* prepare(source: DataSource, fitOn: 'train' | 'all'): Steps {
  checkSource(source);
  const { name, path, label } = locate(source);
  const encoding = source.encoding ?? 'utf8';
  const sink = new ColumnsSink(source, label);
  const read: CsvRead = yield { path, encoding, sink };
  const selection = sink.selection!;
  const lines = sink.lines.trimmed();
  const place: RowPlace = (r) => `${label} line ${lines[r]}`;
  let targetCells = sink.target!.finish();
  let featureCells = sink.features.map((c) => c.finish());
  sink.features = [];
  const rows = read.rows;

  const targetOf = (cells: CellColumn): TargetColumn => ({ targetName: selection.targetName, cells, place });
  checkTargetPresent(targetOf(targetCells));
  const task = source.task ?? inferTask(targetOf(targetCells));
  const missing = source.missing ?? 'impute';

  // Columns whose numbers' spellings were dropped but that turn out to be text: read their cells again.
  const categorical = (c: CellColumn) => selection.categorical.has(c.name);
  const again = [
    ...(targetCells.lost && targetNeedsTexts(targetCells, task) ? [targetCells] : []),
    ...featureCells.filter((c) => c.lost && becomesCategorical(c, categorical(c))),
  ];
  if (again.length > 0) {
    const texts = new TextsSink(again);
    yield { path, encoding, sink: texts };
    const reread = new Map(texts.columns.map((c) => [c.index, c.finish()]));
    targetCells = reread.get(targetCells.index) ?? targetCells;
    featureCells = featureCells.map((c) => reread.get(c.index) ?? c);
  }

  const targetColumn = targetOf(targetCells);
  const target = encodeTarget(targetColumn, task, undefined, label);
  const raw = featureCells.map((c) => readFeatureColumn(c, categorical(c), missing, label, place));
  const strata = target.task === 'classification' ? { labels: target.labels, nClasses: target.classes.length } : undefined;
  const all = Array.from({ length: rows }, (_, i) => i);
  const split: Split = fitOn === 'train' ? splitRows(rows, source.valSplit, source.seed, strata) : { train: all, val: all };
  const maxCategories = source.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  const hasCategorical = raw.some((c) => c.kind === 'categorical');

  return prepareDataset({
    name,
    label,
    rows,
    place,
    columns: raw,
    shown: (c, r) => shownText(featureCells[c], r),
    target,
    targetColumn,
    split,
    maxCategories,
    missing,
    passthrough: selection.passthrough,
    ...(fitOn === 'train' ? { warnings: { valSplit: source.valSplit } } : {}),
    fingerprint: fingerprint(read.hash, {
      target: selection.targetName,
      task,
      valSplit: source.valSplit,
      seed: source.seed,
      // Only what differs from the defaults of old, so a study made before an option
      // existed keeps its fingerprint; anything that changes the features is covered.
      ...(selection.everyColumn ? {} : { features: raw.map((c) => c.name) }),
      ...(selection.categorical.size > 0 ? { categorical: [...selection.categorical].sort() } : {}),
      ...(hasCategorical ? { maxCategories } : {}),
      ...(encoding !== 'utf8' ? { encoding } : {}),
      // The model learns the standardised target: trials from before target scaling do not mix with these.
      ...(task === 'regression' ? { targetScaling: 'standard' } : {}),
    }),
  });
}

/** Cheap checks first, so a bad option fails before a large file is read. */
function checkSource(source: DataSource): void {
  if (source.memory !== undefined) {
    throw new GradtuneError('this data was given in memory (arrays passed to tuner.search(x, y)), so it cannot be read again; pass the same arrays to tuner.search(x, y)');
  }
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
 * Identifies "the same data, encoded and split the same way"; a study stores it so that
 * resuming on different data can be caught. Hashes the file as stored, plus every option
 * that changes the features or which rows land where.
 */
function fingerprint(fileHash: Hash, options: Record<string, unknown>): string {
  return fileHash.update(JSON.stringify(options)).digest('hex');
}
