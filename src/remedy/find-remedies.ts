// Remedies from the space itself: for a finding, each cure in CURES's order that the
// trial's own space can express, as a change of one of its parameters. Every parameter
// the configuration reaches is tried at its candidate values; the configuration is
// rebuilt with the changed value (define-by-run: parameters that the change makes reachable
// take their defaults, those it makes unreachable drop out), and the change counts for a
// cure only if the rebuilt configuration has the cure (e.g. every sigmoid layer became
// ReLU-family). Pure: no tfjs, nothing but builds of the space.
import { buildConfig, type BuiltConfig } from '../space/define.js';
import { fixedDecider } from '../space/sample.js';
import { paramsKey } from '../space/params.js';
import type { ParamValue, Params, SearchSpaceDefinition } from '../space/types.js';
import type { Finding, FindingKind, Remedy } from '../train/diagnostics-types.js';
import { aspectsOf, diffAspects, type Aspects } from './aspects.js';
import { candidateValues } from './candidates.js';
import { CURES, type Cure } from './cures.js';

/** One single-parameter change and the configuration it builds. */
interface Variant {
  params: Params;
  param: string;
  value: ParamValue;
  aspects: Aspects;
}

/** Builds; a build that throws (a bug in the space for some values) is no variant. */
function tryBuild(space: SearchSpaceDefinition, params: Params): BuiltConfig | undefined {
  try {
    return buildConfig(space, fixedDecider(params));
  } catch {
    return undefined;
  }
}

/** Every configuration one parameter change away from `params`, the unchanged ones left out. */
export function variantsOf(space: SearchSpaceDefinition, params: Params): { base: BuiltConfig; variants: Variant[] } | undefined {
  const base = tryBuild(space, params);
  if (!base) return undefined;
  const baseKey = paramsKey(base.params);
  const variants: Variant[] = [];
  for (const spec of base.specs) {
    for (const value of candidateValues(spec, base.params[spec.name])) {
      const built = tryBuild(space, { ...base.params, [spec.name]: value });
      if (!built || paramsKey(built.params) === baseKey) continue;
      variants.push({ params: built.params, param: spec.name, value, aspects: aspectsOf(built.config) });
    }
  }
  return { base, variants };
}

function toRemedy(cure: Cure, base: BuiltConfig, baseAspects: Aspects, v: Variant): Remedy {
  const changes = Object.keys(v.params)
    .filter((name) => base.params[name] !== v.params[name])
    // The parameter changed first, then those it made reachable.
    .sort((a, b) => (a === v.param ? -1 : b === v.param ? 1 : 0))
    .map((name) => ({ param: name, from: Object.hasOwn(base.params, name) ? base.params[name] : null, to: v.params[name] }));
  const drops = Object.keys(base.params).filter((name) => !Object.hasOwn(v.params, name));
  const sideEffects = diffAspects(baseAspects, v.aspects)
    .filter((c) => !cure.aspects.includes(c.aspect))
    .map((c) => c.text);
  return { cure: cure.name, changes, drops, sideEffects };
}

/**
 * The remedies for one finding, in the order to try them: for each cure that applies, the
 * change that achieves it with the fewest side effects, then the most preferred value
 * (ties: the parameter declared first, the smaller value).
 */
export function remediesFor(kind: FindingKind, space: SearchSpaceDefinition, params: Params, built = variantsOf(space, params)): Remedy[] {
  if (!built) return [];
  const { base, variants } = built;
  const before = aspectsOf(base.config);
  const remedies: Remedy[] = [];
  for (const cure of CURES[kind]) {
    if (!cure.applies(before)) continue;
    const achieving = variants
      .filter((v) => cure.achieved(before, v.aspects))
      .map((v) => ({ v, remedy: toRemedy(cure, base, before, v), preference: cure.preference(before, v.aspects) }));
    achieving.sort((a, b) => a.remedy.sideEffects.length - b.remedy.sideEffects.length || a.preference - b.preference);
    if (achieving[0]) remedies.push(achieving[0].remedy);
  }
  return remedies;
}

/** The findings with their remedies filled in (one rebuild of the variants for all of them). */
export function withRemedies(findings: readonly Finding[], space: SearchSpaceDefinition, params: Params): Finding[] {
  if (findings.length === 0) return [];
  const built = variantsOf(space, params);
  return findings.map((f) => ({ ...f, remedies: remediesFor(f.kind, space, params, built) }));
}

