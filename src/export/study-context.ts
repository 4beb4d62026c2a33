// The space and the data a study was searched with, loaded again to rebuild one of its
// models: the same configuration from the stored params, the same split and scaling
// from the stored data options (a study searched on arrays stored them itself). A study records its space and data file as the user gave
// them (paths relative to where the search ran), so a moved or edited file is caught
// here with a message that says so, not later as a wrong model.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { GradtuneError } from '../errors.js';
import { BUILTIN_SPACES, loadSpace } from '../space/load.js';
import { loadDatasetAsync } from '../data/load.js';
import type { SearchSpace } from '../space/define.js';
import { datasetInfo, type DatasetInfo } from '../data/types.js';
import type { StudyRecord } from '../store/store.js';
import type { SpaceRef } from '../train/types.js';

export interface StudyContext {
  space: SearchSpace;
  /** The study's dataset as its trials saw it (features, standardisation, task, classes), without its rows. */
  dataset: DatasetInfo;
}

/** The space reference a study's stored space name stands for (as the Tuner resolves it). */
export function studySpaceRef(study: StudyRecord): SpaceRef {
  return (BUILTIN_SPACES as readonly string[]).includes(study.space) ? { builtin: study.space } : { path: study.space };
}

export async function loadStudyContext(study: StudyRecord): Promise<StudyContext> {
  const ref = studySpaceRef(study);
  const where = `from ${process.cwd()}`;
  if (ref.path !== undefined && !existsSync(resolve(ref.path))) {
    throw new GradtuneError(
      `study "${study.name}" was searched with the space module ${ref.path}, which is not found ${where}; run this command in the directory the search ran in`,
    );
  }
  if (study.data.memory) {
    // Arrays given in code: nothing to read again; the study kept their preprocessing.
    return { space: await loadSpace(ref), dataset: { ...study.data.memory.info, fingerprint: study.datasetFingerprint } };
  }
  if (study.data.path !== undefined && !existsSync(resolve(study.data.path))) {
    throw new GradtuneError(
      `study "${study.name}" was searched on the data file ${study.data.path}, which is not found ${where}; run this command in the directory the search ran in`,
    );
  }
  const space = await loadSpace(ref);
  const dataset = datasetInfo(await loadDatasetAsync(study.data));
  if (dataset.fingerprint !== study.datasetFingerprint) {
    throw new GradtuneError(
      `the data of study "${study.name}" (${study.datasetName}) has changed since the search: its scaling and validation split would not be the study's; restore the file the study was searched on`,
    );
  }
  return { space, dataset };
}
