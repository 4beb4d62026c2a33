// `defineSearchSpace` is what a space module default-exports; `buildConfig` runs its
// build function once with a decider; `describeSpace` lists every parameter it can reach.
import seedrandom from 'seedrandom';
import { GradtuneError } from '../errors.js';
import { HyperParameters, type Decider } from './hyperparameters.js';
import { checkTrialConfig } from './check-config.js';
import { defaultDecider, fixedDecider, randomDecider } from './sample.js';
import type { ParamSpec, Params, SearchSpaceDefinition, TrialConfig } from './types.js';

/**
 * Marks a defineSearchSpace result. Symbol.for, not Symbol(): a user's space may import
 * its own copy of gradtune, and the brand must still be recognised.
 */
export const SEARCH_SPACE: unique symbol = Symbol.for('gradtune.searchSpace');

/** One configuration built from a space. */
export interface BuiltConfig {
  config: TrialConfig;
  /** The active parameters; inactive ones are absent. */
  params: Params;
  /** The parameters reached, in declaration order. */
  specs: ParamSpec[];
}

export interface SearchSpace extends SearchSpaceDefinition {
  readonly [SEARCH_SPACE]: true;
  /** The definition as the user wrote it. */
  readonly definition: SearchSpaceDefinition;
  /** Builds one configuration, each value picked by `decider`. */
  buildWith(decider: Decider): BuiltConfig;
  /** Rebuilds the configuration of stored params (what a worker does for a trial). */
  configFor(params: Params): TrialConfig;
}

export function defineSearchSpace(def: SearchSpaceDefinition): SearchSpace {
  if (typeof def !== 'object' || def === null) {
    throw new GradtuneError('defineSearchSpace needs an object { name, description, build }');
  }
  if (typeof def.name !== 'string' || def.name.trim() === '') {
    throw new GradtuneError('defineSearchSpace: name must be a non-empty string');
  }
  if (typeof def.description !== 'string') {
    throw new GradtuneError(`defineSearchSpace("${def.name}"): description must be a string saying what the space explores`);
  }
  if (typeof def.build !== 'function') {
    throw new GradtuneError(`defineSearchSpace("${def.name}"): build must be a function (hp) => ({ model, training })`);
  }
  const space: SearchSpace = Object.freeze({
    [SEARCH_SPACE]: true as const,
    name: def.name,
    description: def.description,
    build: def.build,
    definition: def,
    buildWith: (decider: Decider) => buildConfig(space, decider),
    configFor: (params: Params) => buildConfig(space, fixedDecider(params)).config,
  });
  return space;
}

export function isSearchSpace(value: unknown): value is SearchSpace {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SEARCH_SPACE] === true;
}

export function buildConfig(space: SearchSpaceDefinition, decider: Decider): BuiltConfig {
  const hp = new HyperParameters(decider);
  const config = space.build(hp);
  if (isThenable(config)) {
    // An async build's later rejection must not surface as an unhandled rejection.
    Promise.resolve(config).catch(() => {});
    throw new GradtuneError(
      `search space "${space.name}": build(hp) returned a Promise; it must be synchronous (no async, no await): declare the parameters and return { model, training } directly`,
    );
  }
  // The model builder checks the details; here only the shape, so a forgotten
  // `return` is reported against the space rather than deep inside training.
  if (typeof config !== 'object' || config === null || typeof config.model !== 'object' || typeof config.training !== 'object') {
    throw new GradtuneError(`search space "${space.name}": build(hp) must return { model, training }, got ${describe(config)}`);
  }
  checkTrialConfig(config, `search space "${space.name}"`);
  return { config, params: hp.params, specs: hp.specs };
}

/**
 * The params a build reaches, for an oracle choosing a configuration. A bug in the
 * user's build (a plain Error for some values) must not stop the search: the params
 * reached before the throw are returned, and the worker, rebuilding the configuration,
 * meets the same error and records that trial as failed with its stack (as Optuna
 * does). An invalid declaration (GradtuneError) is the user's to fix and propagates.
 */
export function sampleParams(space: SearchSpaceDefinition, decider: Decider): Params {
  const hp = new HyperParameters(decider);
  try {
    space.build(hp);
  } catch (err) {
    if (err instanceof GradtuneError) throw err;
  }
  return hp.params;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return `an object with keys ${Object.keys(value).join(', ') || '(none)'}`;
}

/**
 * Every parameter the space can reach: the union of the specs seen building with the
 * defaults and with `samples` random seeds. Defaults alone miss conditional parameters
 * (units_6 needs layers = 6). A parameter first seen in a later build is placed after
 * the parameter that preceded it in that build, so units_2 lists right after units_1.
 * Deterministic: the seeds are fixed.
 */
export function describeSpace(space: SearchSpaceDefinition, samples = 300): ParamSpec[] {
  const union: ParamSpec[] = [];
  const known = new Set<string>();
  const merge = (specs: ParamSpec[]) => {
    let at = 0;
    for (const spec of specs) {
      if (known.has(spec.name)) {
        at = union.findIndex((s) => s.name === spec.name) + 1;
      } else {
        union.splice(at++, 0, spec);
        known.add(spec.name);
      }
    }
  };
  merge(buildConfig(space, defaultDecider()).specs);
  for (let i = 0; i < samples; i++) {
    merge(buildConfig(space, randomDecider(seedrandom(`describe:${i}`))).specs);
  }
  return union;
}
