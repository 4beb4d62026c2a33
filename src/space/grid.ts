// Grid enumeration: every combination of a space's parameters, in a fixed order.
//
// A define-by-run space has no parameter list to multiply out: which parameters exist
// depends on the values of earlier ones (units_2 only when layers >= 2). So the grid is
// walked as an odometer over the parameters a build *reaches*: a combination is the
// value index of each reached parameter; the next one increments the last reached
// parameter that has another value (carrying into earlier ones) and rebuilds, with every
// parameter after it back at index 0, its default. Parameters a configuration does not
// reach are never multiplied in, and the combinations come out in lexicographic order of
// their indexes, each exactly once, with no list of them ever held in memory.
import { GradtuneError } from '../errors.js';
import { sampleParams } from './define.js';
import { checkGridPoints, gridAxis, type GridValueOptions } from './grid-values.js';
import type { Decider } from './hyperparameters.js';
import type { Params, SearchSpaceDefinition } from './types.js';

export type { GridValueOptions } from './grid-values.js';

/** One point of the grid. */
export interface Combination {
  /** The active parameters, as a trial records them. */
  params: Params;
  /** The value index of each parameter reached, in the order the build reached them. */
  indexes: number[];
  /** How many values each of those parameters has. */
  sizes: number[];
}

/**
 * Builds the combination whose first indexes are `prefix`; every parameter reached
 * beyond it takes index 0 (its default). A build that throws a plain Error ends the
 * combination at the parameters reached so far, as random search does (sampleParams):
 * the worker meets the same error and records the trial as failed.
 */
export function buildCombination(space: SearchSpaceDefinition, prefix: readonly number[], opts: GridValueOptions = {}): Combination {
  const indexes: number[] = [];
  const sizes: number[] = [];
  const decide: Decider = (spec, defaultValue) => {
    const axis = gridAxis(spec, defaultValue, opts);
    const index = prefix[indexes.length] ?? 0;
    if (index >= axis.size) {
      // The same earlier values reached a parameter with fewer values than last time.
      throw new GradtuneError(
        `search space "${space.name}": build(hp) reached parameter "${spec.name}" with different values than before for the same choices; grid search needs a build that depends only on hp (no random numbers)`,
      );
    }
    indexes.push(index);
    sizes.push(axis.size);
    return axis.at(index);
  };
  const params = sampleParams(space, decide);
  return { params, indexes, sizes };
}

/** The combination after `c` in grid order, or undefined after the last. */
export function nextCombination(space: SearchSpaceDefinition, c: Combination, opts: GridValueOptions = {}): Combination | undefined {
  let j = c.indexes.length - 1;
  while (j >= 0 && c.indexes[j] + 1 >= c.sizes[j]) j--;
  if (j < 0) return undefined;
  return buildCombination(space, [...c.indexes.slice(0, j), c.indexes[j] + 1], opts);
}

/** Every combination in grid order, lazily: one build per combination, on demand. */
export function* gridCombinations(space: SearchSpaceDefinition, opts: GridValueOptions = {}): Generator<Combination> {
  checkGridPoints(opts.gridPoints);
  for (let c: Combination | undefined = buildCombination(space, [], opts); c; c = nextCombination(space, c, opts)) yield c;
}

/**
 * Counting walks the grid (a build per combination: a define-by-run space cannot be
 * multiplied out), so it stops here: 100 000 builds of the mlp space take one to two
 * seconds, and a grid that large is more trials than anyone runs without a cap.
 */
export const GRID_COUNT_LIMIT = 100_000;

export interface GridSize {
  /** Combinations counted. */
  count: number;
  /** false: counting stopped at the limit, and the grid has more than `count`. */
  exact: boolean;
}

export function gridSize(space: SearchSpaceDefinition, opts: GridValueOptions & { limit?: number } = {}): GridSize {
  const limit = opts.limit ?? GRID_COUNT_LIMIT;
  let count = 0;
  for (const _ of gridCombinations(space, opts)) {
    if (count === limit) return { count, exact: false };
    count++;
  }
  return { count, exact: true };
}

/** "288 combinations", or "more than 100000 combinations" when counting stopped. */
export function formatGridSize(size: GridSize): string {
  return `${size.exact ? '' : 'more than '}${size.count} combination${size.count === 1 && size.exact ? '' : 's'}`;
}
