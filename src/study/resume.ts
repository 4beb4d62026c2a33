// Continuing a study: its space, data and settings come from the store. A flag given
// again must agree with what the study was created with (an error names both values);
// flags about this run only (workers, backend, timeouts) are free, and --max-trials and
// --keep-checkpoints may change (the study's record is updated).
import { isDeepStrictEqual } from 'node:util';
import { resolve } from 'node:path';
import { GradtuneError } from '../errors.js';
import { BUILTIN_SPACES } from '../space/load.js';
import { isBuiltinDataset } from '../data/builtin.js';
import type { StudyRecord } from '../store/store.js';
import { OBJECTIVE_METRICS, type TunerOptions } from '../tuner-options.js';
import { DIAGNOSTICS_FLAGS } from '../train/diagnostics-settings.js';
import type { DiagnosticsSettings } from '../train/diagnostics-types.js';
import { studySettings } from './settings.js';

/** The options a study was created with, as the Tuner takes them. */
export function optionsFromStudy(study: StudyRecord): TunerOptions {
  const settings = studySettings(study);
  // Narrowed to the built-ins: a pruner of the user's is given again by code (resumeOptions).
  const pruner = settings.pruner && !('custom' in settings.pruner) ? settings.pruner : undefined;
  const customPruner = settings.pruner && 'custom' in settings.pruner;
  // Arrays (memory) are given to search(x, y) again, never named as data.
  const { builtin, path, valSplit, seed, memory, ...dataOptions } = study.data;
  return {
    space: study.space,
    data: memory ? undefined : (builtin ?? path ?? study.datasetName),
    ...dataOptions,
    valSplit,
    seed: study.seed ?? seed,
    // An oracle defined in code has no built-in name: the run gives the object (buildOracle checks).
    algorithm: study.algorithm.startsWith('custom:') ? undefined : (study.algorithm as TunerOptions['algorithm']),
    maxTrials: Number.isFinite(settings.maxTrials) ? settings.maxTrials : undefined,
    gridPoints: settings.gridPoints,
    factor: settings.hyperband?.factor ?? settings.asha?.factor ?? (pruner?.name === 'asha' ? pruner.factor : undefined),
    hyperbandIterations: settings.hyperband?.iterations,
    minEpochs: settings.asha?.minEpochs,
    // A pruner of the user's code is given again by the run that continues the study.
    pruner: customPruner ? undefined : pruner ? pruner.name : 'none',
    prunerStartupTrials: pruner?.name === 'median' ? pruner.startupTrials : undefined,
    prunerWarmupEpochs: pruner?.name === 'median' ? pruner.warmupEpochs : undefined,
    prunerIntervalEpochs: pruner?.name === 'median' ? pruner.intervalEpochs : undefined,
    prunerMinTrials: pruner?.name === 'median' ? pruner.minTrials : undefined,
    prunerMinEpochs: pruner?.name === 'asha' ? pruner.minEpochs : undefined,
    prunerMinEarlyStoppingRate: pruner?.name === 'asha' ? pruner.minEarlyStoppingRate : undefined,
    prunerBootstrapCount: pruner?.name === 'asha' ? pruner.bootstrapCount : undefined,
    maxEpochs: study.maxEpochs,
    objective: study.objective.metric,
    direction: study.objective.direction,
    diagnostics: settings.diagnostics,
    maxRetries: settings.maxRetries,
    keepCheckpoints: settings.keepCheckpoints,
    executionsPerTrial: settings.executionsPerTrial ?? 1,
    folds: settings.folds,
    repair: settings.repair !== undefined,
    maxRepairs: settings.repair?.maxRepairs,
    // A sampler defined in code comes from this run (buildOracle checks it is the same one).
    ...(settings.sampler && !settings.sampler.name.startsWith('custom:') ? { sampler: settings.sampler.name } : {}),
  };
}

/** Options that shape the search: fixed for the life of a study, with the flag that sets each. */
const SHAPING: [keyof TunerOptions, string][] = [
  ['algorithm', '--algo'],
  ['maxEpochs', '--max-epochs'],
  ['seed', '--seed'],
  ['valSplit', '--val-split'],
  ['target', '--target'],
  ['task', '--task'],
  ['objective', '--objective'],
  ['direction', '--direction'],
  ['gridPoints', '--grid-points'],
  ['factor', '--factor'],
  ['hyperbandIterations', '--hyperband-iterations'],
  ['minEpochs', '--min-epochs'],
  ['prunerStartupTrials', '--pruner-startup-trials'],
  ['prunerWarmupEpochs', '--pruner-warmup-epochs'],
  ['prunerIntervalEpochs', '--pruner-interval-epochs'],
  ['prunerMinTrials', '--pruner-min-trials'],
  ['prunerMinEpochs', '--pruner-min-epochs'],
  ['prunerMinEarlyStoppingRate', '--pruner-min-early-stopping-rate'],
  ['prunerBootstrapCount', '--pruner-bootstrap-count'],
  ['maxRetries', '--max-retries'],
  ['executionsPerTrial', '--executions-per-trial'],
  ['folds', '--folds'],
  ['repair', '--repair'],
  ['maxRepairs', '--max-repairs'],
];

/** Data options a later helper may add (column choices, encodings): named by their flag. */
const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const show = (v: unknown) => (v === undefined ? 'unset' : Array.isArray(v) ? v.join(',') : String(v));

/**
 * The options of a run that continues `study`: the study's own, with this run's free
 * options on top. Throws, naming the flag and both values, when a given option differs
 * from the study's.
 */
export function resumeOptions(study: StudyRecord, given: TunerOptions): TunerOptions {
  const stored = optionsFromStudy(study);
  const fix = `drop the flag to continue study "${study.name}" as it is, or use --overwrite to start it afresh, or --study <another-name>`;
  const differs = (flag: string, was: unknown, now: unknown) =>
    new GradtuneError(`study "${study.name}" was created with ${flag} ${show(was)}, not ${show(now)}: ${fix}`);

  if (given.space !== undefined && !sameSource(given.space, study.space, (s) => (BUILTIN_SPACES as readonly string[]).includes(s))) {
    throw new GradtuneError(`study "${study.name}" was created with space "${study.space}", not "${given.space}": ${fix}`);
  }
  if (given.data !== undefined && !sameSource(given.data, stored.data!, isBuiltinDataset)) {
    throw new GradtuneError(`study "${study.name}" was created on data "${study.datasetName}", not "${given.data}": ${fix}`);
  }
  // A sampler or an oracle given in code is checked against the study by buildOracle.
  const codeSampler = typeof given.sampler === 'object' ? given.sampler : undefined;
  if (typeof given.sampler === 'string' && given.sampler !== (stored.sampler ?? 'random')) {
    throw differs('--sampler', stored.sampler ?? 'random', given.sampler);
  }
  // A custom objective is compared by its name; its function is this run's to give.
  const custom = typeof given.objective === 'object' ? given.objective : undefined;
  if (!custom && !(OBJECTIVE_METRICS as readonly string[]).includes(study.objective.metric)) {
    throw new GradtuneError(
      `study "${study.name}" optimises "${study.objective.metric}", an objective defined in code; continue it through the API with the same objective: new Tuner({ study: '${study.name}', objective: { name: '${study.objective.metric}', direction: '${study.objective.direction}', metric } })`,
    );
  }
  if (custom && (custom.name !== stored.objective || custom.direction !== stored.direction)) {
    throw differs('the objective', `${stored.objective} (${stored.direction})`, `${custom.name} (${custom.direction})`);
  }
  // The pruner: a built-in is compared by name like any flag; a pruner of the user's code
  // by its name, and this run gives its code again.
  const givenPruner = given.pruner;
  const customPruner = typeof givenPruner === 'object' && givenPruner !== null ? givenPruner : undefined;
  const storedPruner = studySettings(study).pruner;
  const storedCustom = storedPruner && 'custom' in storedPruner ? storedPruner.name : undefined;
  const storedName = storedPruner?.name ?? 'none';
  const prunerName = customPruner ? customPruner.name : givenPruner;
  if (prunerName !== undefined && prunerName !== storedName) throw differs('--pruner', storedName, prunerName);
  if (storedCustom && !customPruner) {
    throw new GradtuneError(
      `study "${study.name}" prunes with "${storedCustom}", a pruner defined in code; continue it through the API with the same pruner: new Tuner({ study: '${study.name}', pruner: ${storedCustom} })`,
    );
  }
  for (const [key, flag] of SHAPING) {
    if (given[key] === undefined || (key === 'objective' && custom) || (key === 'direction' && custom)) continue;
    if (!isDeepStrictEqual(given[key], stored[key])) throw differs(flag, stored[key], given[key]);
  }
  // Data options beyond the split (column choices, encodings) are compared the same way.
  for (const [key, value] of Object.entries(study.data)) {
    if (['builtin', 'path', 'memory', 'valSplit', 'seed', 'target', 'task'].includes(key)) continue;
    const now = (given as Record<string, unknown>)[key];
    if (now !== undefined && !isDeepStrictEqual(now, value)) throw differs(flagOf(key), value, now);
  }
  for (const [key, value] of Object.entries(given.diagnostics ?? {})) {
    if (value === undefined) continue;
    const was = (stored.diagnostics as Record<string, unknown>)[key];
    if (!isDeepStrictEqual(value, was)) {
      const flag = DIAGNOSTICS_FLAGS[key as keyof DiagnosticsSettings] ?? key;
      if (key === 'reject') throw differs(flag, was === false ? 'given' : 'not given', value === false ? 'given' : 'not given');
      throw differs(flag, was, value);
    }
  }
  // Free per run: how this process runs, and how long; the study's cap and retention may move.
  const { space: _space, data: _data, ...rest } = given;
  const free = Object.fromEntries(Object.entries(rest).filter(([key, v]) => v !== undefined && !SHAPING.some(([k]) => k === key) && key !== 'diagnostics' && key !== 'pruner'));
  return {
    ...stored,
    ...free,
    ...(custom ? { objective: custom, direction: undefined } : {}),
    ...(codeSampler ? { sampler: codeSampler } : {}),
    ...(given.oracle ? { oracle: given.oracle } : {}),
    ...(customPruner ? { pruner: customPruner } : {}),
  };
}

/** The same space or data: the same built-in name, or paths to the same file. */
function sameSource(given: string, stored: string, isBuiltin: (s: string) => boolean): boolean {
  if (given === stored) return true;
  if (isBuiltin(given) || isBuiltin(stored)) return false;
  return resolve(given) === resolve(stored);
}
