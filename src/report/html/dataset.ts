// The dataset line of the HTML report's header. The store keeps the dataset's name, its
// options and a fingerprint, not its shape, so the shape is read from the data itself —
// and only shown when the data is still the data the study was run on.
import { describeDataset, loadDataset } from '../../data/load.js';
import { isGradtuneError } from '../../errors.js';
import type { StudyRecord } from '../../store/store.js';

export interface DatasetDescription {
  /** e.g. `iris: 150 rows, 4 features, classification (3 classes), 120 train / 30 val`, or just the name. */
  text: string;
  /** Why the rows, features and task are not shown, when they are not. */
  note?: string;
}

/**
 * Loads the study's dataset (a built-in one or the CSV it was run on, split as the study
 * split it) to describe it. A file that has moved or changed since the search is not
 * described by guesswork: the name is shown with the reason. Loading is synchronous and
 * takes a fraction of a second for the built-in datasets.
 */
export function describeStudyDataset(study: StudyRecord): DatasetDescription {
  const options = [
    study.data.target === undefined ? undefined : `target ${study.data.target}`,
    `validation split ${study.data.valSplit}`,
  ].filter((o): o is string => o !== undefined);
  const name = `${study.datasetName} (${options.join(', ')})`;
  // Arrays given in code: the study stored their description.
  if (study.data.memory) return { text: `${describeDataset(study.data.memory.info)} (${study.data.memory.validation === 'given' ? 'validation data given' : options.join(', ')})` };
  try {
    const dataset = loadDataset(study.data);
    if (dataset.fingerprint !== study.datasetFingerprint) {
      return { text: name, note: 'the data has changed since the study ran, so its size is not shown' };
    }
    return { text: `${describeDataset(dataset)} (${options.join(', ')})` };
  } catch (err) {
    // A missing or unreadable file is expected (a report made on another machine, a
    // moved CSV); anything else is a bug and must surface.
    if (isGradtuneError(err) || (err as NodeJS.ErrnoException).code !== undefined) {
      const reason = err instanceof Error ? err.message : String(err);
      return { text: name, note: `the data could not be read from here (${reason}), so its size is not shown` };
    }
    throw err;
  }
}
