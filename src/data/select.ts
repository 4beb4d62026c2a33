// Which columns of a file are the target, the features, and the columns carried along to
// predictions (an id). Every name the user gives must be a column of the file, and no
// column can play two parts: a mistake here is an error naming the flag and the column.
import { GradtuneError } from '../errors.js';
import type { DataSource } from './types.js';

export interface ColumnSelection {
  targetIndex: number;
  targetName: string;
  /** Feature columns, as indices into the header, in file order. */
  features: number[];
  /** Columns copied into predict's output: the id column first. */
  passthrough: string[];
  /** Columns read as categories whatever they hold. */
  categorical: Set<string>;
  /** The features are every column but the target (the only choice before column selection existed). */
  everyColumn: boolean;
}

type Lists = Pick<DataSource, 'features' | 'ignore' | 'id' | 'passthrough' | 'categorical' | 'target'>;

export function selectColumns(header: readonly string[], source: Lists, label: string): ColumnSelection {
  if (header.length < 2) {
    // Usually a file separated by ';' or tabs, which reads as a single column.
    throw new GradtuneError(`${label} has a single column ("${header[0]}"); gradtune needs comma-separated features and a target`);
  }
  const known = new Set(header);
  const columnsHint = `its columns are: ${abbreviate(header)}`;
  const check = (flag: string, names: readonly string[]) => {
    for (const name of names) {
      if (!known.has(name)) throw new GradtuneError(`${label} has no column "${name}" (given to ${flag}); ${columnsHint}`);
    }
  };

  const targetIndex = source.target === undefined ? header.length - 1 : header.indexOf(source.target);
  if (targetIndex < 0) throw new GradtuneError(`${label} has no column "${source.target}"; ${columnsHint} (choose the target with --target)`);
  const targetName = header[targetIndex];

  const features = source.features ?? [];
  const ignore = source.ignore ?? [];
  const id = source.id === undefined ? [] : [source.id];
  const passthrough = source.passthrough ?? [];
  const categorical = source.categorical ?? [];
  check('--features', features);
  check('--ignore', ignore);
  check('--id', id);
  check('--passthrough', passthrough);
  check('--categorical', categorical);
  if (source.features !== undefined && source.ignore !== undefined) {
    throw new GradtuneError('give --features (the columns to use) or --ignore (the columns to leave out), not both');
  }
  for (const [flag, names] of [['--features', features], ['--ignore', ignore], ['--id', id], ['--passthrough', passthrough], ['--categorical', categorical]] as const) {
    if (names.includes(targetName)) {
      throw new GradtuneError(`column "${targetName}" is the target, so it cannot be given to ${flag}; choose another target with --target, or leave it out of ${flag}`);
    }
  }
  const carried = [...new Set([...id, ...passthrough])];
  const both = features.find((f) => carried.includes(f));
  if (both !== undefined) {
    throw new GradtuneError(`column "${both}" is given to ${id.includes(both) ? '--id' : '--passthrough'} and to --features; a column carried into predictions is never a feature, leave it out of --features`);
  }

  const excluded = new Set([targetName, ...ignore, ...carried]);
  const chosen = source.features !== undefined ? new Set(features) : undefined;
  const featureIndices = header.map((_, i) => i).filter((i) => (chosen ? chosen.has(header[i]) : !excluded.has(header[i])));
  if (featureIndices.length === 0) {
    throw new GradtuneError(`${label} has no feature column left once the target "${targetName}" and the columns given to --ignore, --id and --passthrough are set aside; keep at least one`);
  }
  const notFeature = categorical.find((c) => !featureIndices.some((i) => header[i] === c));
  if (notFeature !== undefined) {
    throw new GradtuneError(`column "${notFeature}" is given to --categorical but is not a feature; leave it out of --categorical`);
  }
  return {
    targetIndex,
    targetName,
    features: featureIndices,
    passthrough: carried,
    categorical: new Set(categorical),
    everyColumn: featureIndices.length === header.length - 1,
  };
}

/** Up to 12 names, then a count: a 64-pixel header would drown the message. */
export function abbreviate(names: readonly string[]): string {
  return names.length <= 12 ? names.join(', ') : `${names.slice(0, 12).join(', ')}, ... ${names.length - 12} more`;
}
