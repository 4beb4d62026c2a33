// What a study stores about how it searches, beyond its name, space, data and objective:
// written once when the study is created, read by every process that joins it. No
// process builds its oracle from its own flags.
import type { DiagnosticsSettings } from '../train/diagnostics-types.js';
import type { StudyRecord } from '../store/store.js';
import { readPrunerSettings, type PrunerSettings } from '../pruner/settings.js';

export interface StudySettings {
  /** Marks studies that store the settings below (older ones stored fewer). */
  version: 2;
  /** Total trials of the study; Infinity: a grid or schedule runs whole. A later run may raise or lower it. */
  maxTrials: number;
  /** Grid search: points a float without a step is tried at. */
  gridPoints?: number;
  /** Hyperband: reduction factor and sweeps over the brackets. */
  hyperband?: { factor: number; iterations: number };
  /** ASHA: reduction factor and the epochs of the first rung. */
  asha?: { factor: number; minEpochs: number };
  /** The pruner and its options (absent: none). */
  pruner?: PrunerSettings;
  /** The gradient monitor's overrides given when the study was created (the space's come under them). */
  diagnostics: Partial<DiagnosticsSettings>;
  /** Runs of a failed trial again before it stays failed. */
  maxRetries: number;
  /** --keep-checkpoints: checkpoints kept for the n best trials; absent: all. A later run may change it. */
  keepCheckpoints?: number;
  /** Runs per configuration, scored by their mean (absent: 1). */
  executionsPerTrial?: number;
  /** k-fold cross-validation on the training rows (absent: none). */
  folds?: number;
  /** How new configurations are drawn (absent: random): a built-in sampler, or `custom:<name>` given in code. */
  sampler?: { name: string };
  /** --repair: after a rejection, run the configuration again with a remedy, up to maxRepairs in a row (src/oracle/repair.ts). */
  repair?: { maxRepairs: number };
}

/**
 * The settings of a stored study. A study made before settings were kept in full has
 * its algorithm settings but not the monitor's overrides (it stored the resolved
 * thresholds, which would hide the space's own) nor retries: those read as unset.
 */
export function studySettings(study: StudyRecord): StudySettings {
  const s = study.settings as Partial<StudySettings> & Record<string, unknown>;
  const legacy = s.version !== 2;
  const maxTrials = typeof s.maxTrials === 'number' ? s.maxTrials : Infinity;
  const hyperband = s.hyperband && typeof s.hyperband.factor === 'number' ? { factor: s.hyperband.factor, iterations: s.hyperband.iterations ?? 1 } : undefined;
  const asha = s.asha && typeof s.asha.factor === 'number' ? { factor: s.asha.factor, minEpochs: typeof s.asha.minEpochs === 'number' ? s.asha.minEpochs : 1 } : undefined;
  const pruner = readPrunerSettings(s.pruner);
  return {
    version: 2,
    maxTrials,
    ...(typeof s.gridPoints === 'number' ? { gridPoints: s.gridPoints } : {}),
    ...(hyperband ? { hyperband } : {}),
    ...(asha ? { asha } : {}),
    ...(pruner ? { pruner } : {}),
    diagnostics: legacy ? {} : { ...(s.diagnostics ?? {}) },
    maxRetries: legacy || typeof s.maxRetries !== 'number' ? 0 : s.maxRetries,
    ...(typeof s.keepCheckpoints === 'number' && Number.isFinite(s.keepCheckpoints) ? { keepCheckpoints: s.keepCheckpoints } : {}),
    ...(typeof s.executionsPerTrial === 'number' && s.executionsPerTrial > 1 ? { executionsPerTrial: s.executionsPerTrial } : {}),
    ...(typeof s.folds === 'number' ? { folds: s.folds } : {}),
    ...(s.sampler && typeof s.sampler.name === 'string' && s.sampler.name !== 'random' ? { sampler: { name: s.sampler.name } } : {}),
    ...(s.repair && typeof s.repair.maxRepairs === 'number' ? { repair: { maxRepairs: s.repair.maxRepairs } } : {}),
  };
}
