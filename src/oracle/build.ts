// The oracle of a stored study, built from what the study records (algorithm, its
// settings, epochs, max trials) and never from the flags of the process asking: every
// process that joins a study — a resumed search, `gradtune worker` elsewhere — decides
// by the same rules.
import { GradtuneError } from '../errors.js';
import { studySettings } from '../study/settings.js';
import type { GridSize } from '../space/grid.js';
import type { SearchSpaceDefinition } from '../space/types.js';
import type { StudyRecord } from '../store/store.js';
import { ashaOracle } from './asha.js';
import { gridOracle, planGrid } from './grid.js';
import { hyperbandOracle } from './hyperband.js';
import { hyperbandSchedule } from './hyperband-schedule.js';
import type { Oracle } from './oracle.js';
import { withQueue } from './queue.js';
import { randomOracle } from './random.js';
import { repairOracle } from './repair.js';
import { samplerByName } from '../sampler/by-name.js';
import type { Sampler } from '../sampler/types.js';

/** The study's sampler: a built-in by its stored name, or the user's object, which must be the one the study was made with. */
function studySampler(study: StudyRecord, name: string, given: Sampler | undefined): Sampler {
  if (!name.startsWith('custom:')) {
    if (given && given.name !== name) {
      throw new GradtuneError(`study "${study.name}" draws its configurations with the sampler "${name}", not "${given.name}"; give the same sampler, or start another study`);
    }
    return given ?? samplerByName(name);
  }
  if (!given || `custom:${given.name}` !== name) {
    throw new GradtuneError(`study "${study.name}" draws its configurations with the sampler "${name.slice(7)}", defined in code; continue it through the API with the same sampler: new Tuner({ study: '${study.name}', sampler })`);
  }
  return given;
}

export interface StudyOracle {
  oracle: Oracle;
  /** Trials of the study when the search ends (its cap, the grid, or the schedule); Infinity when unknown. */
  total: number;
  /** Grid search: the grid's size, printed before the first trial. */
  gridSize?: GridSize;
}

/** Ends any oracle's search after `maxTrials` trials (stale ones, which lose their worker, do not count). */
export function capTrials(oracle: Oracle, maxTrials: number): Oracle {
  if (!Number.isFinite(maxTrials)) return oracle;
  return {
    next(study, trials, queued) {
      if (trials.filter((t) => t.status !== 'stale').length >= maxTrials) return { kind: 'done', reason: `reached --max-trials ${maxTrials}` };
      return oracle.next(study, trials, queued);
    },
  };
}

/** What only code can give: a user's sampler or oracle object (the study stores their names). */
export interface CodeParts {
  sampler?: Sampler;
  oracle?: Oracle & { name?: string };
}

export function buildOracle(study: StudyRecord, space: SearchSpaceDefinition, code: CodeParts = {}): StudyOracle {
  const settings = studySettings(study);
  if (!settings.repair) return algorithmOracle(study, space, code, settings.maxTrials);
  // --repair: repairs count towards --max-trials. The wrapper caps the total; the
  // algorithm, which sees one trial per chain (an original and its repairs), is not capped.
  const inner = algorithmOracle(study, space, code, Infinity);
  const cap = Number.isFinite(settings.maxTrials) ? settings.maxTrials : study.algorithm === 'random' ? 20 : Infinity;
  return { ...inner, oracle: capTrials(repairOracle(inner.oracle, settings.repair), cap), total: Math.min(cap, inner.total) };
}

function algorithmOracle(study: StudyRecord, space: SearchSpaceDefinition, code: CodeParts, maxTrials: number): StudyOracle {
  const settings = studySettings(study);
  if (study.algorithm.startsWith('custom:')) {
    if (!code.oracle) {
      throw new GradtuneError(`study "${study.name}" runs the oracle "${study.algorithm.slice(7)}", defined in code; continue it through the API with the same oracle: new Tuner({ study: '${study.name}', oracle })`);
    }
    return { oracle: withQueue(capTrials(code.oracle, maxTrials), space), total: maxTrials };
  }
  const sampler = studySampler(study, settings.sampler?.name ?? 'random', code.sampler);
  switch (study.algorithm) {
    case 'grid': {
      // Counted before anything runs: a float without a step or a grid too large to run
      // whole is an error up front.
      const plan = planGrid(space, { maxTrials, gridPoints: settings.gridPoints });
      return { oracle: withQueue(gridOracle(space, { maxTrials, gridPoints: settings.gridPoints }), space), total: plan.trials, gridSize: plan.size };
    }
    case 'hyperband': {
      const hb = settings.hyperband ?? { factor: 3, iterations: 1 };
      const options = { maxEpochs: study.maxEpochs, factor: hb.factor, iterations: hb.iterations };
      const total = Math.min(maxTrials, hyperbandSchedule(options).totalTrials);
      return { oracle: withQueue(capTrials(hyperbandOracle(space, { ...options, sampler }), maxTrials), space), total };
    }
    case 'asha': {
      const asha = settings.asha ?? { factor: 3, minEpochs: 1 };
      const oracle = ashaOracle(space, { maxEpochs: study.maxEpochs, factor: asha.factor, minEpochs: asha.minEpochs, sampler });
      return { oracle: withQueue(capTrials(oracle, maxTrials), space), total: maxTrials };
    }
    case 'random': {
      // Uncapped under --repair (its cap is the wrapper's); otherwise 20 by default.
      const cap = Number.isFinite(maxTrials) ? maxTrials : settings.repair ? Number.MAX_SAFE_INTEGER : 20;
      return { oracle: withQueue(randomOracle(space, { maxTrials: cap, sampler }), space), total: cap };
    }
    default:
      throw new GradtuneError(`study "${study.name}" uses the algorithm "${study.algorithm}", which this gradtune does not know; upgrade gradtune`);
  }
}
