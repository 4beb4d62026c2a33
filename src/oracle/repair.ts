// --repair as a pure oracle wrapper: after a trial is rejected, the next trial is the same
// configuration with the first remedy its own space offered (stored with its findings by
// the worker, see src/remedy) that no trial of the study has tried yet: a *repair*, linked
// to the trial it repairs (`repairOf`). A repair rejected in turn gets its own remedies
// (those of its configuration: the cures already applied no longer apply), up to
// `maxRepairs` repairs in a row from one original trial.
//
// The wrapped oracle sees each chain (an original and its repairs) as one trial: the
// original's number, params and place in the schedule, with the outcome of the chain's
// latest member. So random search numbers its fresh draws by chain and they do not
// depend on how repairs interleave, grid search never runs a repaired combination again,
// and in Hyperband a repair takes the rejected trial's slot: the round counts the chain
// once, and promoting it continues the repair that completed. Only fresh trials are
// repaired; a rejected promotion continued weights of another configuration.
import { paramsKey } from '../space/params.js';
import { applyRemedy } from '../remedy/apply.js';
import type { QueuedParams, StudyRecord, TrialSummary } from '../store/store.js';
import type { Remedy, TrialDiagnostics } from '../train/diagnostics-types.js';
import type { Decision, Oracle, RunDecision } from './oracle.js';

export interface RepairOptions {
  /** Repairs in a row from one original trial (a repair of a repair counts as the second). */
  maxRepairs: number;
}

export const DEFAULT_MAX_REPAIRS = 3;

/** A study's chains: each trial's original, and each original's latest member. */
interface Chains {
  root: Map<number, number>;
  depth: Map<number, number>;
  latest: Map<number, TrialSummary>;
  repaired: Set<number>;
}

function chainsOf(trials: readonly TrialSummary[]): Chains {
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  const root = new Map<number, number>();
  const depth = new Map<number, number>();
  const find = (t: TrialSummary): [number, number] => {
    const known = root.get(t.number);
    if (known !== undefined) return [known, depth.get(t.number)!];
    const of = t.repairOf === null ? undefined : byNumber.get(t.repairOf);
    const [r, d] = of ? ((x) => [x[0], x[1] + 1] as [number, number])(find(of)) : [t.number, 0];
    root.set(t.number, r);
    depth.set(t.number, d);
    return [r, d];
  };
  const latest = new Map<number, TrialSummary>();
  const repaired = new Set<number>();
  for (const t of trials) {
    const [r, d] = find(t);
    const current = latest.get(r);
    if (!current || d > depth.get(current.number)!) latest.set(r, t);
    if (t.repairOf !== null) repaired.add(t.repairOf);
  }
  return { root, depth, latest, repaired };
}

/**
 * A rejected trial's remedies, in the order to try them: the rejecting finding's first.
 * Stored with the trial when it is told (`remedies`), so the oracle reads them from the
 * light trial summaries.
 */
export function repairRemedies(d: TrialDiagnostics | null | undefined): Remedy[] {
  const findings = d?.findings ?? [];
  const first = d?.rejectedBy ?? (d?.verdict.kind !== 'healthy' ? d?.verdict.kind : undefined);
  const ordered = [...findings.filter((f) => f.kind === first), ...findings.filter((f) => f.kind !== first)];
  return ordered.flatMap((f) => f.remedies ?? []);
}

/** The repair to run now, if a rejected trial has an untried remedy left. */
export function nextRepair(trials: readonly TrialSummary[], opts: RepairOptions, chains = chainsOf(trials)): RunDecision | undefined {
  const tried = new Set(trials.map((t) => paramsKey(t.params)));
  for (const t of trials) {
    if (t.status !== 'rejected' || t.parent !== null || chains.repaired.has(t.number)) continue;
    if (chains.depth.get(t.number)! >= opts.maxRepairs) continue;
    for (const remedy of t.remedies ?? []) {
      const params = applyRemedy(t.params, remedy);
      if (tried.has(paramsKey(params))) continue;
      return {
        kind: 'run',
        params,
        repairOf: t.number,
        ...(t.slot ? { slot: t.slot } : {}),
        ...(t.fromEpoch !== null ? { fromEpoch: t.fromEpoch } : {}),
        ...(t.toEpoch !== null ? { toEpoch: t.toEpoch } : {}),
      };
    }
  }
  return undefined;
}

/**
 * What the wrapped oracle sees: one trial per chain, under the original's number, params
 * and slot, with the latest member's outcome; parents point to originals.
 */
export function chainView(trials: readonly TrialSummary[], chains = chainsOf(trials)): TrialSummary[] {
  return trials
    .filter((t) => t.repairOf === null)
    .map((t) => {
      const last = chains.latest.get(t.number)!;
      const parent = t.parent === null ? null : (chains.root.get(t.parent) ?? t.parent);
      if (last === t) return parent === t.parent ? t : { ...t, parent };
      // The latest member's outcome under the original's identity and place in the schedule.
      return { ...last, number: t.number, params: t.params, parent, fromEpoch: t.fromEpoch, toEpoch: t.toEpoch, slot: t.slot, seed: t.seed, repairOf: null };
    });
}

/** A configuration shown to the wrapped oracle as tried: a stand-in trial, never stored. */
function seen(like: TrialSummary, number: number, d: RunDecision): TrialSummary {
  return { ...like, number, status: 'completed', params: d.params, score: null, bestEpoch: null, parent: null, slot: d.slot ?? null, repairOf: null, remedies: null, pruned: null };
}

/** Fresh configurations the wrapped oracle may propose that a repair ran already, redrawn at most this often. */
const MAX_REDRAWS = 50;

export function repairOracle(inner: Oracle, opts: RepairOptions): Oracle {
  return {
    async next(study: StudyRecord, trials: readonly TrialSummary[], queued?: readonly QueuedParams[]): Promise<Decision> {
      const chains = chainsOf(trials);
      const repair = nextRepair(trials, opts, chains);
      if (repair) return repair;
      const tried = new Set(trials.map((t) => paramsKey(t.params)));
      let view = chainView(trials, chains);
      let decision = await inner.next(study, view, queued);
      // The view hides repairs, so the wrapped oracle may propose a configuration a repair
      // ran (in a grid, every repair is another combination): it is shown that one as
      // tried, for this ask only, and asked again.
      for (let redraw = 1; redraw <= MAX_REDRAWS && decision.kind === 'run' && decision.parent === undefined && tried.has(paramsKey(decision.params)); redraw++) {
        view = [...view, seen(trials[0], -redraw, decision)];
        decision = await inner.next(study, view, queued);
      }
      // A promotion of a chain continues its latest member: the repair that completed.
      if (decision.kind === 'run' && decision.parent !== undefined) {
        const last = chains.latest.get(decision.parent);
        if (last && last.number !== decision.parent) return { ...decision, parent: last.number, params: last.params };
      }
      return decision;
    },
  };
}
