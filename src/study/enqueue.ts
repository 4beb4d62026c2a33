// `gradtune enqueue` / Tuner.enqueueTrial: a configuration the user wants tried, queued in
// the store and run as the study's next new trial (Optuna's enqueue_trial). Checked
// against the study's space first: every name must be a parameter the space reaches with
// these values, and every value must fit its parameter.
import { GradtuneError, isGradtuneError } from '../errors.js';
import { buildConfig } from '../space/define.js';
import { formatParamType } from '../space/params.js';
import type { ParamValue, Params, SearchSpaceDefinition } from '../space/types.js';

/** Parses --params: a JSON object of numbers, strings and booleans. */
export function parseParamsJson(text: string): Params {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new GradtuneError(`--params is not valid JSON (${(err as Error).message}); give an object such as '{"learning_rate": 0.01, "layers": 2}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GradtuneError(`--params must be a JSON object of parameter values, such as '{"learning_rate": 0.01}'`);
  }
  for (const [name, v] of Object.entries(value)) {
    if (!(typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')) {
      throw new GradtuneError(`--params: "${name}" must be a number, a string or a boolean, got ${JSON.stringify(v)}`);
    }
  }
  return value as Params;
}

/**
 * The queued configuration as the space sees it. Parameters not given take their
 * defaults when checked here; at run time the algorithm draws them (see oracle/queue.ts).
 */
export function checkQueuedParams(space: SearchSpaceDefinition, params: Params): Params {
  if (Object.keys(params).length === 0) throw new GradtuneError('--params is empty: give at least one parameter value');
  let built;
  try {
    built = buildConfig(space, (spec, dflt): ParamValue => {
      if (!Object.hasOwn(params, spec.name)) return dflt;
      const value = params[spec.name];
      // Numbers for a choice of numbers arrive as numbers from JSON; nothing to coerce.
      return value;
    });
  } catch (err) {
    if (!isGradtuneError(err)) throw err;
    throw new GradtuneError(`--params does not fit search space "${space.name}": ${err.message.replace(/ \(was the space changed[^)]*\)/, '')}`);
  }
  const reached = new Set(built.specs.map((s) => s.name));
  const unknown = Object.keys(params).filter((name) => !reached.has(name));
  if (unknown.length > 0) {
    const known = built.specs.map((s) => `${s.name} (${formatParamType(s)})`).join(', ');
    throw new GradtuneError(
      `--params names ${unknown.map((n) => `"${n}"`).join(', ')}, which search space "${space.name}" does not reach with these values; its parameters here are: ${known}`,
    );
  }
  return params;
}
