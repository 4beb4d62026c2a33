// Grid search: every combination of the space's parameters, in grid order (see
// space/grid.ts: defaults first, the last-declared parameter changing fastest).
import { GradtuneError } from '../errors.js';
import { formatGridSize, gridCombinations, gridSize, type Combination, type GridSize } from '../space/grid.js';
import { checkGridPoints } from '../space/grid-values.js';
import { paramsKey } from '../space/params.js';
import type { Params, SearchSpaceDefinition } from '../space/types.js';
import { TriedConfigurations } from './trial-keys.js';
import type { SyncOracle } from './oracle.js';

export interface GridOracleOptions {
  /** Trials to run; stale trials (lost their worker) do not count. Undefined or Infinity: the whole grid. */
  maxTrials?: number;
  /** Points a float without a step is discretised into; without it such a float is an error. */
  gridPoints?: number;
}

/**
 * Each ask runs the first combination, in grid order, that no trial of the history has
 * tried. The history alone decides, not a position kept anywhere: a killed search
 * continues where it stopped, trials that finished out of order leave no gap, and
 * several processes sharing the study never run a combination twice. A trial counts as
 * tried whatever its status, as in Optuna's GridSampler: a failed or rejected
 * configuration would fail the same way again (--max-retries re-runs it under its own
 * number), and a stale one (its process was lost) is re-run by the store before the
 * oracle is asked.
 */
export function gridOracle(space: SearchSpaceDefinition, opts: GridOracleOptions = {}): SyncOracle {
  const maxTrials = checkMaxTrials(opts.maxTrials);
  const { gridPoints } = opts;
  checkGridPoints(gridPoints);
  // The combinations in grid order, built lazily and once (each is a build of the user's
  // space): an ask at trial 10,000 looks the first 10,000 up instead of building them.
  const built: { params: Params; key: string }[] = [];
  let source: Generator<Combination> | undefined;
  const configurations = new TriedConfigurations();
  const combination = (i: number) => {
    while (built.length <= i) {
      source ??= gridCombinations(space, { gridPoints });
      const next = source.next();
      if (next.done) return undefined;
      built.push({ params: next.value.params, key: paramsKey(next.value.params) });
    }
    return built[i];
  };
  return {
    next(_study, trials) {
      const counted = trials.filter((t) => t.status !== 'stale').length;
      if (counted >= maxTrials) return { kind: 'done', reason: `reached --max-trials ${maxTrials}` };
      const tried = configurations.of(trials);
      // Only as far as the first untried combination.
      for (let i = 0; ; i++) {
        const c = combination(i);
        if (!c) return { kind: 'done', reason: `the grid is complete: ${formatGridSize({ count: i, exact: true })}` };
        if (!tried.has(c.key)) return { kind: 'run', params: { ...c.params } };
      }
    },
  };
}

/** What a grid search will run, known before it starts. */
export interface GridPlan {
  size: GridSize;
  /** Trials of the study when the search ends: the grid, or the --max-trials cap if smaller. */
  trials: number;
}

/**
 * Counts the grid before anything is written, so that a float without a step or a grid
 * too large to enumerate is an error up front rather than at some trial's ask.
 */
export function planGrid(space: SearchSpaceDefinition, opts: GridOracleOptions & { limit?: number } = {}): GridPlan {
  const maxTrials = checkMaxTrials(opts.maxTrials);
  checkGridPoints(opts.gridPoints);
  const size = gridSize(space, { gridPoints: opts.gridPoints, limit: opts.limit });
  if (!size.exact && maxTrials === Infinity) {
    const smaller = opts.gridPoints === undefined ? 'larger steps or fewer choices' : 'larger steps, fewer choices or fewer --grid-points';
    throw new GradtuneError(
      `the grid of search space "${space.name}" has ${formatGridSize(size)}, too many to run whole: give --max-trials N to run its first N, or give its parameters ${smaller}`,
    );
  }
  return { size, trials: size.exact ? Math.min(maxTrials, size.count) : maxTrials };
}

function checkMaxTrials(maxTrials: number | undefined): number {
  if (maxTrials === undefined || maxTrials === Infinity) return Infinity;
  if (!Number.isInteger(maxTrials) || maxTrials < 1) {
    throw new GradtuneError(`--max-trials must be a whole number >= 1, got ${maxTrials}`);
  }
  return maxTrials;
}
